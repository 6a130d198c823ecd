"""Patent term: the last protected day and the remaining term for display (domain.md §1.1)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from listings.vocabulary import PatentType

# The 2020 Patent Law amendment took force here; designs filed from this day get 15 years.
DESIGN_TERM_CHANGE = date(2021, 6, 1)


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years; 29 Feb becomes 28 Feb in a common year."""
    # Implementing Regulations: a period counted in years ends on the corresponding day of the
    # last month, or on that month's last day when it has no corresponding day.
    target = day.year + years
    last = calendar.monthrange(target, day.month)[1]
    return day.replace(year=target, day=min(day.day, last))


def term_years(patent_type: PatentType, filing_date: date, *,
               design_term_change: date = DESIGN_TERM_CHANGE) -> int:
    """Statutory term in years (PL 42): invention 20, utility model 10, design 15 or 10."""
    if patent_type is PatentType.INVENTION:
        return 20
    if patent_type is PatentType.UTILITY_MODEL:
        return 10
    if patent_type is PatentType.DESIGN:
        return 15 if filing_date >= design_term_change else 10
    raise ValueError(f"unknown patent type {patent_type!r}")


def last_protected_day(patent_type: PatentType, filing_date: date, term_extension_days: int = 0,
                       *, design_term_change: date = DESIGN_TERM_CHANGE) -> date:
    """Filing date + term years − 1 day + any term extension: the cap for every licence end date."""
    if term_extension_days < 0:
        raise ValueError("term_extension_days cannot be negative")
    years = term_years(patent_type, filing_date, design_term_change=design_term_change)
    anniversary = add_years(filing_date, years)
    return anniversary - timedelta(days=1) + timedelta(days=term_extension_days)


def remaining_term(last_day: date, today: date) -> tuple[int, int]:
    """Whole years and days of protection left, counting today; (0, 0) once the term is over."""
    end = last_day + timedelta(days=1)  # protection runs to the end of last_day
    if today >= end:
        return (0, 0)
    years = end.year - today.year
    if add_years(today, years) > end:
        years -= 1
    return (years, (end - add_years(today, years)).days)


def format_remaining(last_day: date, today: date, lang: str = "zh") -> str:
    """The remaining term as text, e.g. '剩余 3 年 45 天' or '3 years 45 days left'."""
    years, days = remaining_term(last_day, today)
    if (years, days) == (0, 0):
        return "Term expired" if lang == "en" else "已届满"
    if lang == "en":
        parts = [f"{years} year{'s' if years != 1 else ''}" if years else "",
                 f"{days} day{'s' if days != 1 else ''}" if days else ""]
        return " ".join(p for p in parts if p) + " left"
    parts = [f"{years} 年" if years else "", f"{days} 天" if days else ""]
    return "剩余 " + " ".join(p for p in parts if p)
