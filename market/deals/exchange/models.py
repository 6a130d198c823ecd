"""Lots, their registrations, their ledger and their bids.

A `Lot` offers one listing (a single patent or a package) by 挂牌 or by auction. Intending buyers
register (`LotRegistration`), pay a deposit and are qualified by the seller or the point operator
with a reason. Every step is a `LotEvent` line (append-only, as the deal ledger); every accepted bid
is a `Bid` row. When the lot ends with a buyer, the deal it creates points back to it: the lot and
its bids are the evidence that the price was formed by listing or auction, not by agreement.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listings.models import Listing
from listings.vocabulary import Labelled
from market.accounts.models import Organisation
from market.core.db import Base, utcnow


class LotMethod(Labelled):
    LISTING = "LISTING", "挂牌交易", "Listing with a disclosure period"
    AUCTION = "AUCTION", "拍卖", "Auction"


class LotStatus(Labelled):
    OPEN = "OPEN", "公示期（接受报名）", "Disclosure period (registration open)"
    BIDDING = "BIDDING", "竞价中", "Bidding"
    AWARDED = "AWARDED", "已成交", "Awarded"
    UNSOLD = "UNSOLD", "未成交", "Not sold"
    WITHDRAWN = "WITHDRAWN", "已撤牌", "Withdrawn"


class BiddingFormat(Labelled):
    ASCENDING = "ASCENDING", "公开增价竞价", "Ascending open bidding"
    SEALED = "SEALED", "密封报价", "Sealed bids"


class RegistrationStatus(Labelled):
    PENDING = "PENDING", "待确认资格", "Awaiting qualification"
    QUALIFIED = "QUALIFIED", "资格已确认", "Qualified"
    REFUSED = "REFUSED", "资格未通过", "Not qualified"
    WITHDRAWN = "WITHDRAWN", "已撤回报名", "Withdrawn"


class DepositStatus(Labelled):
    NONE = "NONE", "无需保证金", "No deposit"
    DUE = "DUE", "保证金待缴", "Deposit due"
    PAID = "PAID", "保证金已缴", "Deposit paid"
    REFUNDED = "REFUNDED", "保证金已退还", "Deposit refunded"
    APPLIED = "APPLIED", "保证金已转为价款", "Deposit applied to the price"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


_LIVE_LOT_SQL = text("status IN ('OPEN', 'BIDDING')")


class Lot(Base):
    """One listing offered by 挂牌 or auction, from its publication to its outcome."""

    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint(_in("method", LotMethod), name="method_known"),
        CheckConstraint(_in("status", LotStatus), name="status_known"),
        CheckConstraint(_in("bidding_format", BiddingFormat), name="format_known"),
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("increment_fen > 0", name="increment_positive"),
        CheckConstraint("deposit_fen >= 0", name="deposit_not_negative"),
        CheckConstraint("floor_fen IS NULL OR floor_fen <= price_fen", name="price_not_below_floor"),
        CheckConstraint("reserve_fen IS NULL OR reserve_fen > 0", name="reserve_positive"),
        CheckConstraint("extension_minutes >= 0", name="extension_not_negative"),
        CheckConstraint("registration_closes_at > opens_at", name="period_ordered"),
        # One live lot per listing: a listing cannot be on two 挂牌/auction processes at once.
        Index("uq_lots_live_per_listing", "listing_id", unique=True,
              sqlite_where=_LIVE_LOT_SQL, postgresql_where=_LIVE_LOT_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("points.id"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(12), default=LotMethod.LISTING)
    # The deal the lot will make: TRANSFER or a licence kind (market.deals.vocabulary.DealKind).
    deal_kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=LotStatus.OPEN, index=True)
    # Listing price (挂牌价) or the auction's starting price; for an SOE not below the approved value.
    price_fen: Mapped[int] = mapped_column(BigInteger)
    # The lowest price a re-opened lot may ask (the approved value for an SOE; the seller's own otherwise).
    floor_fen: Mapped[int | None] = mapped_column(BigInteger)
    # An auction's reserve price (保留价): never shown to bidders.
    reserve_fen: Mapped[int | None] = mapped_column(BigInteger)
    increment_fen: Mapped[int] = mapped_column(BigInteger)
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    qualifications: Mapped[str] = mapped_column(Text, default="")
    disclosure_working_days: Mapped[int] = mapped_column(default=20)
    # Server clock: publication and the end of registration (working days, chinese-calendar).
    opens_at: Mapped[datetime]
    registration_closes_at: Mapped[datetime]
    bidding_format: Mapped[str] = mapped_column(String(12), default=BiddingFormat.ASCENDING)
    bidding_opens_at: Mapped[datetime | None]
    bidding_closes_at: Mapped[datetime | None]
    # Each bid in the last N minutes moves the close N minutes later (ascending bidding).
    extension_minutes: Mapped[int] = mapped_column(default=5)
    # Who conducts an auction: the point operator, or a recorded auction house (name and licence no.).
    conductor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    auction_house: Mapped[str] = mapped_column(String(200), default="")
    previous_lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    listing: Mapped[Listing] = relationship()
    seller: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    registrations: Mapped[list[LotRegistration]] = relationship(
        back_populates="lot", order_by="LotRegistration.id")


class LotRegistration(Base):
    """An intending buyer's registration for a lot, its deposit and its qualification."""

    __tablename__ = "lot_registrations"
    __table_args__ = (
        UniqueConstraint("lot_id", "buyer_org_id"),
        CheckConstraint(_in("status", RegistrationStatus), name="status_known"),
        CheckConstraint(_in("deposit_status", DepositStatus), name="deposit_status_known"),
        # A qualification decision always has its reason and its author.
        CheckConstraint("status NOT IN ('QUALIFIED', 'REFUSED') OR (decided_at IS NOT NULL AND "
                        "decided_by_id IS NOT NULL AND decision_reason <> '')", name="decision_with_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=RegistrationStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    deposit_status: Mapped[str] = mapped_column(String(12), default=DepositStatus.NONE)
    deposit_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    lot: Mapped[Lot] = relationship(back_populates="registrations")
    buyer: Mapped[Organisation] = relationship()


class LotEvent(Base):
    """One line of a lot's ledger. Never updated, never deleted (the database refuses both)."""

    __tablename__ = "lot_events"
    __table_args__ = (UniqueConstraint("lot_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(24), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("lot_registrations.id"))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Bid(Base):
    """An accepted bid. A refused bid writes nothing; an accepted one is never changed or removed."""

    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("lot_id", "seq"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        # The second line behind the lot's row lock (migration 0021): an ascending lot never
        # accepts two bids of one amount, a sealed lot never two bids of one registration.
        Index("uq_bids_open_amount", "lot_id", "amount_fen", unique=True,
              sqlite_where=text("NOT sealed"), postgresql_where=text("NOT sealed")),
        Index("uq_bids_sealed_once", "registration_id", unique=True,
              sqlite_where=text("sealed"), postgresql_where=text("sealed")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lot_registrations.id"), index=True)
    bidder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Order of acceptance within the lot, under the lot's row lock: ties are broken by it.
    seq: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A sealed bid's amount stays on the server until the close.
    sealed: Mapped[bool] = mapped_column(default=False, server_default=false())
