"""Legal dates: the calendar of Asia/Shanghai, and month arithmetic for statutory deadlines. Pure."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_local(now: datetime | None = None) -> date:
    """Today's date in Shanghai (a contract signed at 01:00 local time is dated that day, not UTC's)."""
    return (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).date()


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day.

    IR 15 ¶2's "within 3 months of the effective date": 2024-11-30 + 3 months = 2025-02-28.
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
