"""Deals and their ledger: licences (open and negotiated), transfers and equity investments.

One `Deal` row holds a deal's current state and agreed terms; `DealEvent` is the ledger, appended
and never changed (the database refuses UPDATE and DELETE on it); `PatentClaim` rows are the rights
a deal or an open-licence declaration holds on a patent, and the database refuses two that
conflict (two exclusive licences over overlapping days, an exclusive licence during an open
licence, two changes of ownership).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listings.models import Listing, Patent
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core.db import Base, utcnow
from market.deals.vocabulary import DealStatus

# One enterprise takes a given open licence once; a void acquisition does not count.
_LIVE_OPEN_LICENCE_SQL = text("kind = 'OPEN_LICENSE' AND status <> 'VOID'")


class Deal(Base):
    """A licence, open-licence acquisition, transfer or equity investment between two parties."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("price_fen IS NULL OR price_fen >= 0", name="price_not_negative"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                        name="term_ordered"),
        CheckConstraint("seller_org_id <> buyer_org_id", name="two_parties"),
        Index("uq_deals_open_licence_per_licensee", "declaration_id", "buyer_org_id", unique=True,
              sqlite_where=_LIVE_OPEN_LICENCE_SQL, postgresql_where=_LIVE_OPEN_LICENCE_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Printed on the contract and quoted on payments: PSM-<year>-<kind letter>-<id>.
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(24), default=DealStatus.NEGOTIATING, index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    declaration_id: Mapped[int | None] = mapped_column(
        ForeignKey("open_licence_declarations.id"), index=True)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id"))
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"))
    # Licensor / assignor / investor, and licensee / assignee / investee company.
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The chain point credited with the deal (product.md: chain attribution).
    point_id: Mapped[int | None] = mapped_column(ForeignKey("points.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # Agreed terms (copied from the accepted offer or the announced declaration).
    price_fen: Mapped[int | None] = mapped_column(BigInteger)  # contract amount; None for royalty-only
    fee_terms: Mapped[dict] = mapped_column(JSON, default=dict)
    # The listing's label (协议定价/挂牌/拍卖), as the seller typed it: shown, never relied on.
    pricing_method: Mapped[str | None] = mapped_column(String(12))
    # How the price was actually formed: LISTING or AUCTION only when the platform's own listing or
    # auction process set it; a price the parties negotiated is AGREEMENT (R-ST-1, R-ST-3).
    price_formed_by: Mapped[str] = mapped_column(String(12), default="AGREEMENT", server_default="AGREEMENT")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    territory: Mapped[str] = mapped_column(String(200), default="中华人民共和国境内")
    field_of_use: Mapped[str] = mapped_column(String(500), default="")
    sublicense_allowed: Mapped[bool] = mapped_column(default=False)  # PL 12: default no
    other_terms: Mapped[str] = mapped_column(Text, default="")

    # Equity investment (§2 EquityDeal): value, shares, valuation and its filing.
    share_pct: Mapped[str | None] = mapped_column(String(12))
    registered_capital_fen: Mapped[int | None] = mapped_column(BigInteger)
    valuation: Mapped[dict] = mapped_column(JSON, default=dict)
    # What approvals this deal needs and what has been done (publicity, decision, waivers...).
    approvals: Mapped[dict] = mapped_column(JSON, default=dict)

    # Dates with legal meaning (Asia/Shanghai calendar dates).
    notice_delivered_at: Mapped[datetime | None]
    agreed_at: Mapped[datetime | None]
    signed_date: Mapped[date | None]
    effective_date: Mapped[date | None]
    licensed_date: Mapped[date | None]
    filing_deadline: Mapped[date | None]
    filing_date: Mapped[date | None]
    filing_record_no: Mapped[str | None] = mapped_column(String(60))
    registration_filed_date: Mapped[date | None]
    registration_date: Mapped[date | None]
    registration_no: Mapped[str | None] = mapped_column(String(60))
    capital_registered_date: Mapped[date | None]
    completed_date: Mapped[date | None]
    void_reason: Mapped[str] = mapped_column(String(500), default="")
    # SELF_DECLARED / DOCUMENTED / VERIFIED, kept by market.deals.evidence.refresh (issue 12 §4).
    evidence_level: Mapped[str] = mapped_column(String(16), default="SELF_DECLARED",
                                                server_default="SELF_DECLARED", index=True)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking: two people acting on one deal at once cannot both win.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    patent: Mapped[Patent] = relationship()
    listing: Mapped[Listing | None] = relationship()
    seller: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    buyer: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    point: Mapped[Point | None] = relationship()
    events: Mapped[list[DealEvent]] = relationship(back_populates="deal", order_by="DealEvent.id")
    offers: Mapped[list[Offer]] = relationship(back_populates="deal", order_by="Offer.id")
    # A deal on a package (专利包) snapshots the package's further patents when it is requested.
    further_patents: Mapped[list[DealPatent]] = relationship(
        back_populates="deal", order_by="DealPatent.position", cascade="all, delete-orphan")

    @property
    def members(self) -> list[Patent]:
        """Every patent the deal covers, the lead (`patent`) first; one unless it is a package deal."""
        return [self.patent, *(m.patent for m in self.further_patents)]

    @property
    def is_package(self) -> bool:
        return bool(self.further_patents)

    def party_of(self, organisation_id: int | None) -> str | None:
        if organisation_id == self.seller_org_id:
            return "seller"
        if organisation_id == self.buyer_org_id:
            return "buyer"
        return None


class DealPatent(Base):
    """A further patent a package deal covers (the lead is Deal.patent), frozen when the deal is requested.

    A transfer of a package registers each patent at CNIPA: its own registration is kept here (and on
    the ledger), and the deal is registered only when every patent is.
    """

    __tablename__ = "deal_patents"
    __table_args__ = (UniqueConstraint("deal_id", "patent_id", name="uq_deal_patents_member"),
                      UniqueConstraint("deal_id", "position", name="uq_deal_patents_position"),
                      CheckConstraint("position >= 1", name="member_after_lead"))

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    position: Mapped[int]

    deal: Mapped[Deal] = relationship(back_populates="further_patents")
    patent: Mapped[Patent] = relationship()


class DealEvent(Base):
    """One line of the deal ledger. Never updated, never deleted: a mistake is a VOID line."""

    __tablename__ = "deal_events"
    __table_args__ = (UniqueConstraint("deal_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(24), index=True)
    # The legal date of the event (registration date, filing date...), which statistics count by.
    occurred_on: Mapped[date] = mapped_column(index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # Contract number, payment reference, filing or registration number, document ids.
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)

    deal: Mapped[Deal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Offer(Base):
    """报价 / 还价: one party's proposed terms, with a message; the other accepts or counters."""

    __tablename__ = "deal_offers"
    __table_args__ = (CheckConstraint("price_fen IS NULL OR price_fen >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    from_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    fee_terms: Mapped[dict] = mapped_column(JSON, default=dict)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    territory: Mapped[str] = mapped_column(String(200), default="中华人民共和国境内")
    field_of_use: Mapped[str] = mapped_column(String(500), default="")
    sublicense_allowed: Mapped[bool] = mapped_column(default=False)
    share_pct: Mapped[str | None] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text, default="")
    # OPEN until accepted, superseded by a counter-offer, or withdrawn.
    status: Mapped[str] = mapped_column(String(12), default="OPEN")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="offers")
    from_org: Mapped[Organisation] = relationship()


class PatentClaim(Base):
    """A right held on a patent over a period, by a deal or an open-licence declaration.

    Claims of one group may not overlap on one patent while active: PostgreSQL enforces it with
    an exclusion constraint, SQLite (whose writers are serialised) with a trigger. Both are in
    the migration, so a bug in the services cannot give two buyers one exclusive right.
    """

    __tablename__ = "patent_claims"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    claim_group: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(20))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("open_licence_declarations.id"))
    # A right recorded in the CNIPA register (imported), not made by a platform deal: it blocks
    # platform licences exactly as a platform claim does (R-OL-7, R-LC-1).
    register_event_id: Mapped[int | None] = mapped_column(ForeignKey("legal_events.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    # For an ownership claim: who held the patent before the deal moved it away.
    from_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    transferred: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]


class DealDocument(Base):
    """An uploaded file (receipt, signed contract, filing certificate...), stored outside the web root."""

    __tablename__ = "deal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(200))
    stored_as: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoyaltyReport(Base):
    """提成报告: the licensee's figures for one period, the royalty due, the licensor's answer."""

    __tablename__ = "royalty_reports"
    __table_args__ = (
        UniqueConstraint("deal_id", "period_start"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("base_amount_fen >= 0", name="base_not_negative"),
        CheckConstraint("amount_due_fen >= 0", name="due_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    base_kind: Mapped[str] = mapped_column(String(16))
    base_amount_fen: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(12))  # decimal percent as written in the terms
    amount_due_fen: Mapped[int] = mapped_column(BigInteger)
    payment_due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="SUBMITTED")
    note: Mapped[str] = mapped_column(Text, default="")
    dispute_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))

    deal: Mapped[Deal] = relationship()


class ContractText(Base):
    """The contract as the first signer froze it: its exact bytes (HTML and PDF) and their SHA-256.

    Both parties sign by confirming `sha256` on the platform; the deal is signed only when both
    confirmed the same text. A change of terms after the first signature supersedes the text (its
    signature then counts for nothing) and the next signer freezes a new one.
    """

    __tablename__ = "contract_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    html: Mapped[bytes] = mapped_column(LargeBinary)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    # The deal's terms the text was made from; a different fingerprint now means the terms changed.
    terms_sha256: Mapped[str] = mapped_column(String(64))
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    # The day the text's due dates count from: the licence's start if later than the freeze, else the freeze day.
    dues_from: Mapped[date]
    # OPEN (waiting for the other party), SIGNED (both confirmed it), SUPERSEDED (terms changed).
    status: Mapped[str] = mapped_column(String(12), default="OPEN")
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    signatures: Mapped[list[ContractSignature]] = relationship(back_populates="text",
                                                                 order_by="ContractSignature.id")


class ContractSignature(Base):
    """One party's own user confirming the frozen text's hash, at the server's time."""

    __tablename__ = "contract_signatures"
    __table_args__ = (UniqueConstraint("contract_text_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_text_id: Mapped[int] = mapped_column(ForeignKey("contract_texts.id"), index=True)
    side: Mapped[str] = mapped_column(String(8))  # seller | buyer
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    text: Mapped[ContractText] = relationship(back_populates="signatures")
    user: Mapped[User] = relationship()


class PublicityObjection(Base):
    """异议: anyone's objection to a publicised deal, left on the public page during the period."""

    __tablename__ = "publicity_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
