"""Appending to the deal ledger and moving a deal between states. Never commits.

Every change of a deal's state writes one ledger line with its legal date; statistics are
computed from these lines (domain.md §6), so the line is written in the same flush as the state.
"""

from __future__ import annotations

from datetime import date

from market.core.extensions import db
from market.core.time import today_local
from market.deals import machine
from market.deals.evidence import LEVEL_LINES
from market.deals.evidence import refresh as refresh_evidence
from market.deals.models import Deal, DealEvent


def append(deal: Deal, kind: str, *, occurred_on: date | None = None, amount_fen: int | None = None,
           actor=None, actor_org_id: int | None = None, note: str = "", evidence: dict | None = None,
           from_status: str | None = None, to_status: str | None = None) -> DealEvent:
    """Add one ledger line to `deal` (seq numbers are per deal and gap-free)."""
    session = db.session
    if deal.id is None:
        session.flush([deal])
    # Lines are only ever added through here and through `deal.events`, so the collection (loaded
    # once per transaction) knows the last seq: no MAX() query, and no autoflush, for each line.
    # Loading it with autoflush on would flush a new line and then append it a second time.
    with session.no_autoflush:
        pending = (e.seq for e in session.new if isinstance(e, DealEvent) and e.deal_id == deal.id)
        seq = max((e.seq for e in deal.events), default=0)
        seq = max(seq, *pending, 0) + 1
        event = DealEvent(
            deal_id=deal.id, seq=seq, kind=kind, occurred_on=occurred_on or today_local(),
            amount_fen=amount_fen, actor_user_id=getattr(actor, "id", None),
            actor_org_id=actor_org_id if actor_org_id is not None else getattr(actor, "organisation_id", None),
            note=note, evidence=evidence or {}, from_status=from_status, to_status=to_status)
        session.add(event)
        deal.events.append(event)
        if kind in LEVEL_LINES:  # a payment, a verification...: what the deal's record shows
            refresh_evidence(deal)
    return event


def move(deal: Deal, to_status: str, event_kind: str, **kwargs) -> DealEvent:
    """Check the transition against the deal's state machine, change state, log the line."""
    machine.check(deal.kind, deal.status, to_status)
    from_status = deal.status
    deal.status = to_status
    return append(deal, event_kind, from_status=from_status, to_status=to_status, **kwargs)
