"""Payments against deals or lot registrations (deposits), and the provider webhook events already seen."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.core.db import Base, utcnow


class Payment(Base):
    """One sum due under a deal (entry fee, lump sum, instalment, royalty, price) or a lot's deposit.

    A deposit (保证金) is paid before any deal exists, so it belongs to the buyer's registration for
    the lot instead; the database holds every payment to exactly one of the two.
    """

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_bounded"),
        UniqueConstraint("deal_id", "kind", "sequence"),
        CheckConstraint("(deal_id IS NULL) <> (registration_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    # A lot deposit: the registration it secures (market.deals.exchange), never a deal's.
    # use_alter: a registration also points at its deposit payment, so the two tables refer to each other.
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("lot_registrations.id", use_alter=True),
                                                        index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(default=1)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    due_date: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default="DUE", index=True)
    provider: Mapped[str | None] = mapped_column(String(12))
    method: Mapped[str | None] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(200))
    receipt_document_id: Mapped[int | None] = mapped_column(ForeignKey("deal_documents.id"))
    paid_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}


class WebhookEvent(Base):
    """A provider event we have received; the unique id makes a replay change nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(12))
    event_id: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(200), default="")
