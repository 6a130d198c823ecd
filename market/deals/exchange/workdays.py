"""Working days of a disclosure period (公告期), from chinese-calendar's public holidays and make-up days. Pure.

A period of N working days starts the day after publication (Asia/Shanghai) and ends at the end of
its Nth working day. chinese-calendar knows the State Council's holiday notice of each year it was
released for; a day in a later year (the notice is published each November) is counted Monday to
Friday, and the lot records that its end was estimated that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from market.core.time import SHANGHAI


@dataclass(frozen=True)
class Period:
    """The last day of the period, the instant registration closes, and whether any day was estimated."""

    last_day: date
    closes_at: datetime  # naive UTC, as every timestamp is stored
    estimated: bool


def is_workday(day: date) -> tuple[bool, bool]:
    """(is it a working day, was it estimated because the calendar does not know the year)."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        return day.weekday() < 5, True


def local_day(at: datetime) -> date:
    """The Shanghai calendar day of a server timestamp (naive UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(SHANGHAI).date()


def start_of_local_day(day: date) -> datetime:
    """Midnight in Shanghai at the start of `day`, as naive UTC."""
    return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def disclosure_period(opened_at: datetime, working_days: int) -> Period:
    """The period of `working_days` working days after the day of `opened_at`."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day, counted, estimated = local_day(opened_at), 0, False
    while counted < working_days:
        day += timedelta(days=1)
        workday, guessed = is_workday(day)
        estimated = estimated or guessed
        counted += workday
    return Period(day, start_of_local_day(day + timedelta(days=1)), estimated)


def working_days_left(now: datetime, last_day: date) -> int:
    """Working days from today (included) to the period's last day: the countdown the public page shows."""
    day, left = local_day(now), 0
    while day <= last_day:
        left += is_workday(day)[0]
        day += timedelta(days=1)
    return left


BIDDING_STARTS = time(10, 0)  # Shanghai: bidding is held in office hours, announced with the lot


def bidding_window(last_day: date, minutes: int) -> tuple[datetime, datetime]:
    """The bidding announced with the lot: 10:00 Shanghai on the first working day after the period's
    last day, for `minutes` — every bidder knows from the first day when the price is contested."""
    day = last_day + timedelta(days=1)
    while not is_workday(day)[0]:
        day += timedelta(days=1)
    opens = datetime.combine(day, BIDDING_STARTS, SHANGHAI).astimezone(UTC).replace(tzinfo=None)
    return opens, opens + timedelta(minutes=minutes)
