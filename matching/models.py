"""Technology demands, what enterprises did with matches, and deal requests started from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listings.models import Listing
from market.accounts.models import Organisation
from market.core.db import Base, utcnow
from matching.vocabulary import DemandStatus, InquiryStatus, Visibility


class Demand(Base):
    """技术需求: an enterprise's problem, what it hopes for, and what it can spend."""

    __tablename__ = "demands"
    __table_args__ = (
        CheckConstraint("budget_min_fen IS NULL OR budget_min_fen >= 0", name="budget_min_not_negative"),
        CheckConstraint("budget_max_fen IS NULL OR budget_min_fen IS NULL OR budget_max_fen >= budget_min_fen",
                        name="budget_range_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    expected_outcome: Mapped[str] = mapped_column(Text, default="")
    # Private: shown only to the enterprise itself, whatever the visibility.
    existing_basis: Mapped[str] = mapped_column(Text, default="")
    budget_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    budget_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    timeline: Mapped[str] = mapped_column(String(200), default="")
    visibility: Mapped[str] = mapped_column(String(12), default=Visibility.PUBLIC)
    status: Mapped[str] = mapped_column(String(12), default=DemandStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def text(self) -> str:
        """What the engine matches on."""
        return "\n".join(x for x in (self.title, self.problem, self.expected_outcome) if x)


class MatchFeedback(Base):
    """What an enterprise did with one proposed patent for one demand: saved, dismissed, contacted."""

    __tablename__ = "match_feedback"
    __table_args__ = (UniqueConstraint("demand_id", "listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(20))
    reason_text: Mapped[str] = mapped_column(String(500), default="")
    score: Mapped[float | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    demand: Mapped[Demand] = relationship()
    listing: Mapped[Listing] = relationship()


class Inquiry(Base):
    """交易意向: an enterprise asks for a deal on a listing, in one of the modes it offers.

    The negotiated deal itself (offers, approvals, contract) grows out of this request.
    """

    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=InquiryStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    listing: Mapped[Listing] = relationship()
    organisation: Mapped[Organisation] = relationship()
    demand: Mapped[Demand | None] = relationship()
