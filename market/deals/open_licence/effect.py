"""What an announced declaration is worth while in effect: its days and the annual-fee reduction."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from market.deals.open_licence.models import OpenLicenceDeclaration

OPEN_LICENCE_FEE_REDUCTION_PCT = Decimal("15")  # PL 51 ¶2; 财税〔2024〕23号 item 2


def in_effect_period(decl: OpenLicenceDeclaration) -> tuple[date, date] | None:
    """The first and last day the declaration was (or will be) in effect, from its CNIPA dates."""
    if decl.announce_date is None:
        return None
    ends = [d for d in (decl.term_end,
                        decl.withdraw_announce_date - timedelta(days=1) if decl.withdraw_announce_date else None,
                        decl.ended_on - timedelta(days=1) if decl.ended_on else None) if d is not None]
    last = min(ends) if ends else date.max
    return (decl.announce_date, last) if last >= decl.announce_date else None


def in_effect_days(decl: OpenLicenceDeclaration, start: date, end: date) -> int:
    """Days of [start, end] (a fee year) during which the open licence was being implemented."""
    period = in_effect_period(decl)
    if period is None:
        return 0
    first, last = max(period[0], start), min(period[1], end)
    return max((last - first).days + 1, 0)


def annual_fee_reduction_pct(open_licence_in_effect: bool, other_reduction_pct: Decimal = Decimal("0")) -> Decimal:
    """The reduction that applies: the most favourable one, never the two added together (R-OL-12)."""
    if not open_licence_in_effect:
        return other_reduction_pct
    return max(OPEN_LICENCE_FEE_REDUCTION_PCT, other_reduction_pct)


# -- the listing ----------------------------------------------------------------------------
