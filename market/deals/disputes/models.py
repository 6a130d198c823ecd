"""Disputes under a deal (R-OL-13; PL 52): negotiation, then mediation, then the courts.

A dispute sits beside its deal and never changes the deal's state; each step is also a
ledger line. The database allows one open dispute per deal and only the stages and outcomes
named here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listings.vocabulary import Labelled
from market.core.db import Base, utcnow


class DisputeStage(Labelled):
    NEGOTIATION = "NEGOTIATION", "协商", "Negotiation"
    # PL 52 names CNIPA as the mediator of open-licence disputes; other deals go to any mediator.
    CNIPA_MEDIATION = "CNIPA_MEDIATION", "调解", "Mediation"
    LITIGATION = "LITIGATION", "诉讼", "Court"


class DisputeOutcome(Labelled):
    SETTLED = "SETTLED", "和解", "Settled by the parties"
    MEDIATED = "MEDIATED", "调解解决", "Resolved by mediation"
    JUDGED = "JUDGED", "判决/裁定", "Decided by the court"
    WITHDRAWN = "WITHDRAWN", "撤回", "Withdrawn"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


_OPEN_SQL = text("resolved_on IS NULL")


class Dispute(Base):
    """One dispute between the parties of a deal, from opening to its outcome."""

    __tablename__ = "deal_disputes"
    __table_args__ = (
        CheckConstraint(_in("stage", DisputeStage), name="stage_known"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', DisputeOutcome)}", name="outcome_known"),
        # Resolved means both a date and an outcome; open means neither.
        CheckConstraint("(resolved_on IS NULL) = (outcome IS NULL)", name="resolved_with_outcome"),
        CheckConstraint("resolved_on IS NULL OR resolved_on >= opened_on", name="resolved_after_opened"),
        Index("uq_deal_disputes_open_per_deal", "deal_id", unique=True,
              sqlite_where=_OPEN_SQL, postgresql_where=_OPEN_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    opened_by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    opened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[str] = mapped_column(String(16), default=DisputeStage.NEGOTIATION)
    subject: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The mediator or court handling the current stage, and its case number, once known.
    forum: Mapped[str] = mapped_column(String(200), default="")
    case_no: Mapped[str] = mapped_column(String(60), default="")
    opened_on: Mapped[date]
    escalated_on: Mapped[date | None]
    resolved_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(12))
    resolved_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Both parties may act on one dispute; the later of two simultaneous steps is refused.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    opened_by_org = relationship("Organisation", foreign_keys=[opened_by_org_id])

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None
