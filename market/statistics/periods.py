"""Reporting periods: month, quarter, half-year, year, year-to-date or any range. Pure.

A period is a closed range of Shanghai calendar dates. It knows its neighbours for the two
comparisons the bureau reports: 同比 (the same period a year earlier) and 环比 (the period just
before, of the same kind), and how to cut itself into buckets for a trend.

    >>> p = parse_period("2024-Q2")
    >>> (p.start, p.end, p.previous().key, p.year_ago().key)
    (datetime.date(2024, 4, 1), datetime.date(2024, 6, 30), '2024-Q1', '2023-Q2')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from market.core.errors import DomainError
from market.core.time import add_months

EARLIEST = date(1985, 4, 1)  # the Patent Law came into force; no deal can be older
LATEST = date(2100, 12, 31)

MONTH, QUARTER, HALF, YEAR, YTD, RANGE = "month", "quarter", "half", "year", "ytd", "range"
GRANULARITIES = (MONTH, QUARTER, HALF, YEAR)

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_HALF = re.compile(r"^(\d{4})-?H([12])$", re.I)
_YEAR = re.compile(r"^(\d{4})$")


def _error(code: str, zh: str, en: str, field: str = "period") -> DomainError:
    return DomainError(f"statistics.{code}", zh, en, field=field, status=400)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    kind: str = RANGE

    # ---- naming -----------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """A stable text form that `parse_period` reads back (URLs, file names, API)."""
        y = self.start.year
        if self.kind == MONTH:
            return f"{y}-{self.start.month:02d}"
        if self.kind == QUARTER:
            return f"{y}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == HALF:
            return f"{y}-H{1 if self.start.month == 1 else 2}"
        if self.kind == YEAR:
            return str(y)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def label(self, lang: str = "zh") -> str:
        y, zh = self.start.year, lang != "en"
        if self.kind == MONTH:
            return f"{y}年{self.start.month}月" if zh else self.start.strftime("%B %Y")
        if self.kind == QUARTER:
            q = (self.start.month - 1) // 3 + 1
            return f"{y}年第{q}季度" if zh else f"Q{q} {y}"
        if self.kind == HALF:
            first = self.start.month == 1
            return (f"{y}年{'上' if first else '下'}半年" if zh
                    else f"{'First' if first else 'Second'} half of {y}")
        if self.kind == YEAR:
            return f"{y}年" if zh else str(y)
        if self.kind == YTD:
            return (f"{y}年1月1日至{self.end.month}月{self.end.day}日（年初至今）" if zh
                    else f"{y} year to date ({self.end.isoformat()})")
        return (f"{self.start.isoformat()} 至 {self.end.isoformat()}" if zh
                else f"{self.start.isoformat()} to {self.end.isoformat()}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def closed(self, today: date) -> bool:
        """Over: nothing new can fall in it, except ledger lines recorded late (see revisions)."""
        return self.end < today

    # ---- comparisons ------------------------------------------------------------------------
    def previous(self) -> Period | None:
        """环比: the period of the same kind just before; None for year-to-date (no such thing)."""
        if self.kind == YTD:
            return None
        if self.kind in (MONTH, QUARTER, HALF, YEAR):
            months = {MONTH: 1, QUARTER: 3, HALF: 6, YEAR: 12}[self.kind]
            start = add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1), self.kind)
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, RANGE)

    def year_ago(self) -> Period:
        """同比: the same dates one year earlier (29 February becomes the 28th)."""
        start = add_months(self.start, -12)
        end = add_months(self.end, -12)
        if self.end == _last_day(self.end.year, self.end.month):
            end = _last_day(end.year, end.month)
        return Period(start, end, self.kind)

    # ---- trends -----------------------------------------------------------------------------
    def granularity(self) -> str:
        """The bucket a trend over this period is drawn in: a few dozen points at most."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        if months <= 36:
            return MONTH
        if months <= 16 * 3:
            return QUARTER
        return YEAR

    def buckets(self, granularity: str | None = None) -> list[str]:
        """Bucket keys from start to end, in order, including empty ones."""
        granularity = granularity or self.granularity()
        keys, day = [], self.start
        while day <= self.end:
            key = bucket_key(day, granularity)
            if not keys or keys[-1] != key:
                keys.append(key)
            day = _next_bucket_start(day, granularity)
        return keys


def _next_bucket_start(day: date, granularity: str) -> date:
    if granularity == MONTH:
        return add_months(day.replace(day=1), 1)
    if granularity == QUARTER:
        return add_months(date(day.year, (day.month - 1) // 3 * 3 + 1, 1), 3)
    if granularity == HALF:
        return add_months(date(day.year, 1 if day.month <= 6 else 7, 1), 6)
    return date(day.year + 1, 1, 1)


def bucket_key(day: date, granularity: str) -> str:
    """The bucket of a date: '2024-05', '2024-Q2', '2024-H1' or '2024' (as the SQL computes it)."""
    if granularity == MONTH:
        return f"{day.year}-{day.month:02d}"
    if granularity == QUARTER:
        return f"{day.year}-Q{(day.month + 2) // 3}"
    if granularity == HALF:
        return f"{day.year}-H{(day.month + 5) // 6}"
    if granularity == YEAR:
        return str(day.year)
    raise ValueError(granularity)


def bucket_label(key: str, lang: str = "zh") -> str:
    return parse_period(key).label(lang)


def month(year: int, m: int) -> Period:
    return Period(date(year, m, 1), _last_day(year, m), MONTH)


def quarter(year: int, q: int) -> Period:
    return Period(date(year, 3 * q - 2, 1), _last_day(year, 3 * q), QUARTER)


def half(year: int, h: int) -> Period:
    return Period(date(year, 6 * h - 5, 1), _last_day(year, 6 * h), HALF)


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), YEAR)


def year_to_date(today: date) -> Period:
    return Period(date(today.year, 1, 1), today, YTD)


def _year(text: str) -> int:
    y = int(text)
    if not EARLIEST.year <= y <= LATEST.year:
        raise _error("year_range", f"年份须在{EARLIEST.year}至{LATEST.year}之间。",
                     f"The year must be between {EARLIEST.year} and {LATEST.year}.")
    return y


def parse_period(text: str, today: date | None = None) -> Period:
    """'2024', '2024-Q2', '2024-H1', '2024-05', 'ytd', or 'YYYY-MM-DD..YYYY-MM-DD'."""
    text = (text or "").strip()
    if text.lower() == YTD:
        if today is None:
            raise ValueError("ytd needs today's date")
        return year_to_date(today)
    if ".." in text:
        start, _, end = text.partition("..")
        return period_from_range(start, end)
    if m := _YEAR.match(text):
        return year(_year(m.group(1)))
    if m := _QUARTER.match(text):
        return quarter(_year(m.group(1)), int(m.group(2)))
    if m := _HALF.match(text):
        return half(_year(m.group(1)), int(m.group(2)))
    if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        return month(_year(m.group(1)), int(m.group(2)))
    raise _error("period_invalid", f"无法识别的统计期间“{text}”：请用 2024、2024-Q2、2024-H1、2024-05、ytd 或起止日期。",
                 f"Unknown period “{text}”: use 2024, 2024-Q2, 2024-H1, 2024-05, ytd or a date range.")


def _date(text: str, field: str) -> date:
    try:
        value = date.fromisoformat(str(text).strip())
    except ValueError:
        raise _error("date_invalid", f"日期“{text}”无效，请用 YYYY-MM-DD。",
                     f"“{text}” is not a date; use YYYY-MM-DD.", field) from None
    if not EARLIEST <= value <= LATEST:
        raise _error("date_range", f"日期须在{EARLIEST.isoformat()}至{LATEST.isoformat()}之间。",
                     f"Dates must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}.", field)
    return value


def period_from_range(start_text: str, end_text: str) -> Period:
    """A range given as two dates; named as a month, quarter, half or year when it is exactly one."""
    start, end = _date(start_text, "from"), _date(end_text, "to")
    if start > end:
        raise _error("range_reversed", f"起始日期（{start.isoformat()}）晚于截止日期（{end.isoformat()}）。",
                     f"The start date ({start.isoformat()}) is after the end date ({end.isoformat()}).", "from")
    return classify(start, end)


def classify(start: date, end: date) -> Period:
    if start.day == 1 and end == _last_day(end.year, end.month) and start.year == end.year:
        span = end.month - start.month + 1
        if span == 12:
            return Period(start, end, YEAR)
        if span == 6 and start.month in (1, 7):
            return Period(start, end, HALF)
        if span == 3 and start.month in (1, 4, 7, 10):
            return Period(start, end, QUARTER)
        if span == 1:
            return Period(start, end, MONTH)
    return Period(start, end, RANGE)
