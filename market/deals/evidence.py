"""How far a deal's record can be checked: its evidence level (issue 12 §4). Never commits.

SELF_DECLARED: only what the parties typed. DOCUMENTED: a document a reader can check was
uploaded (signed contract, receipt, filing certificate...). VERIFIED: the CNIPA register (through
the legal-status import) or the point operator confirmed the step that makes the deal count.
The level is kept on the deal, not computed per query, because every statistics figure is broken
down by it; `refresh` is the one place that sets it, called whenever such a line is written.
"""

from __future__ import annotations

from sqlalchemy import func, select

from market.core.extensions import db
from market.deals.models import Deal, DealDocument
from market.deals.vocabulary import EvidenceLevel, LedgerEvent

VERIFYING_EVENTS = frozenset({LedgerEvent.FILING_VERIFIED, LedgerEvent.REGISTRATION_VERIFIED,
                              LedgerEvent.EVIDENCE_VERIFIED})


def level_of(deal: Deal) -> str:
    if any(event.kind in VERIFYING_EVENTS for event in deal.events):
        return EvidenceLevel.VERIFIED
    if deal.id is not None and db.session.scalar(
            select(func.count(DealDocument.id)).where(DealDocument.deal_id == deal.id)):
        return EvidenceLevel.DOCUMENTED
    return EvidenceLevel.SELF_DECLARED


def refresh(deal: Deal) -> str:
    """Recompute and store the deal's evidence level; returns it."""
    deal.evidence_level = level_of(deal)
    return deal.evidence_level
