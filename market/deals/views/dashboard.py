"""The deals part of the organisation dashboard (/dashboard, served by the site blueprint)."""

from __future__ import annotations

from datetime import timedelta

from market.core.i18n import get_lang
from market.core.time import today_local
from market.deals.dashboard import board_for
from market.deals.vocabulary import DealStatus

# Deadlines further away than this wait off the dashboard (overdue ones always show).
HORIZON = timedelta(days=90)


def deal_status(value: str) -> str:
    try:
        return DealStatus(value).label(get_lang())
    except ValueError:
        return value


def deals_dashboard(organisation_id: int) -> dict:
    """Template values for templates/dashboard/_deals.html."""
    return {"board": board_for(organisation_id, today_local()), "deal_status": deal_status, "horizon": HORIZON}
