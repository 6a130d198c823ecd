"""Patents with their owners, encumbrances and legal events; listings on the shelves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listings.vocabulary import CONFIRMED_SOURCES, DealMode, ListingStatus
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core.db import Base, utcnow

# Listings in these states hold the patent's one place on the shelf (a rejected one can be
# revised and resubmitted, so it still holds it).
LIVE_LISTING_STATES = ("DRAFT", "SUBMITTED", "REJECTED", "PUBLISHED", "SUSPENDED")
_LIVE_SQL = text("status IN ('DRAFT','SUBMITTED','REJECTED','PUBLISHED','SUSPENDED')")


class Patent(Base):
    __tablename__ = "patents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_number: Mapped[str] = mapped_column(String(16), unique=True)
    patent_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500), default="")
    abstract: Mapped[str] = mapped_column(Text, default="")
    first_claim: Mapped[str] = mapped_column(Text, default="")
    filing_date: Mapped[date | None]
    grant_date: Mapped[date | None]
    publication_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    ipc_main: Mapped[str | None] = mapped_column(String(24))
    ipc_all: Mapped[list[str]] = mapped_column(JSON, default=list)
    locarno: Mapped[str | None] = mapped_column(String(8))
    inventors: Mapped[list[str]] = mapped_column(JSON, default=list)
    agent: Mapped[str] = mapped_column(String(200), default="")
    term_extension_days: Mapped[int] = mapped_column(default=0)
    last_protected_day: Mapped[date | None]
    legal_status: Mapped[str] = mapped_column(String(12))
    lapse_reason: Mapped[str | None] = mapped_column(String(16))
    legal_status_date: Mapped[date | None]
    status_checked_at: Mapped[datetime | None]
    annual_fee_paid_through: Mapped[date | None]
    # Where the owners, the legal status and the dates came from (Source) and when the CNIPA
    # register last confirmed them: what only a user typed is shown as unconfirmed (issue 12 §1).
    owners_source: Mapped[str] = mapped_column(String(12), default="USER", server_default="USER")
    legal_status_source: Mapped[str] = mapped_column(String(12), default="USER", server_default="USER")
    dates_source: Mapped[str] = mapped_column(String(12), default="USER", server_default="USER")
    register_checked_at: Mapped[datetime | None]
    industry_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Once a person edits the tags, re-imports stop overwriting them from the IPC mapping.
    industry_tags_edited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owners: Mapped[list[PatentOwner]] = relationship(
        back_populates="patent", order_by="PatentOwner.position", cascade="all, delete-orphan")
    flags: Mapped[list[PatentFlag]] = relationship(
        back_populates="patent", cascade="all, delete-orphan")
    evaluation_reports: Mapped[list[EvaluationReport]] = relationship(
        back_populates="patent", cascade="all, delete-orphan")
    listings: Mapped[list[Listing]] = relationship(back_populates="patent")
    # The patent's register history, in the order it was recorded: what the status is folded from.
    legal_events: Mapped[list[LegalEvent]] = relationship(
        back_populates="patent", order_by="LegalEvent.id", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def patent_no(self) -> str:
        return "ZL" + self.application_number

    @property
    def owner_names(self) -> list[str]:
        return [o.name for o in self.owners]

    # The packages this patent is a further member of (its lead listings are `listings`).
    package_memberships: Mapped[list[ListingPatent]] = relationship(back_populates="patent")

    @property
    def live_listing(self) -> Listing | None:
        """The listing that holds the patent's one place on the shelf, if any: its own, or a package's."""
        own = next((item for item in self.listings if item.status in LIVE_LISTING_STATES), None)
        if own is not None:
            return own
        return next((m.listing for m in self.package_memberships if m.listing.status in LIVE_LISTING_STATES), None)

    @property
    def unconfirmed(self) -> list[str]:
        """What the register has not confirmed (owners, legal_status, dates): only a user's word."""
        return [name for name, source in (("owners", self.owners_source), ("legal_status", self.legal_status_source),
                                          ("dates", self.dates_source)) if source not in CONFIRMED_SOURCES]

    def active_flags(self, on: date | None = None) -> set[str]:
        on = on or date.today()
        return {f.flag for f in self.flags
                if f.active and (f.start_date is None or f.start_date <= on)
                and (f.end_date is None or f.end_date >= on)}


class PatentOwner(Base):
    """A patentee in register order; co-owners matter for R-OL-5, R-LC-4, R-TR-3."""

    __tablename__ = "patent_owners"
    __table_args__ = (UniqueConstraint("patent_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    patent: Mapped[Patent] = relationship(back_populates="owners")
    organisation: Mapped[Organisation | None] = relationship()


class PatentFlag(Base):
    """An encumbrance or right in force (质押, 保全, 中止, licences …) with its period."""

    __tablename__ = "patent_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    flag: Mapped[str] = mapped_column(String(24))
    active: Mapped[bool] = mapped_column(default=True)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(200), default="")
    pledgee: Mapped[str] = mapped_column(String(200), default="")
    pledgee_consent_doc: Mapped[str] = mapped_column(String(300), default="")

    patent: Mapped[Patent] = relationship(back_populates="flags")


class EvaluationReport(Base):
    """专利权评价报告 for a utility model or design (PL 50; IR 62-63)."""

    __tablename__ = "evaluation_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    report_no: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date]
    # NO_DEFECT: meets the grant conditions; DEFECT: CNIPA found a defect (R-OL-3 warns).
    conclusion: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")

    patent: Mapped[Patent] = relationship(back_populates="evaluation_reports")


class LegalEvent(Base):
    """A CNIPA legal-status event as imported, kept as evidence of the status we derived.

    From the register import (source REGISTER) it is a register record with its details (licence
    kind and term, parties, 备案号, pledgee, new owner, extension days, fee paid-through date);
    `detail_key` is a digest of those details, so re-importing one file adds nothing.
    """

    __tablename__ = "legal_events"
    __table_args__ = (UniqueConstraint("patent_id", "event_date", "event", "detail_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    event_date: Mapped[date | None]
    event: Mapped[str] = mapped_column(String(200))
    recognised: Mapped[bool] = mapped_column(default=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(12), default="EXPORT", server_default="EXPORT")
    details: Mapped[dict | None] = mapped_column(JSON, default=dict)
    detail_key: Mapped[str] = mapped_column(String(64), default="", server_default="")

    patent: Mapped[Patent] = relationship(back_populates="legal_events")


class Listing(Base):
    """A patent on the shelf of one point, with the modes and price its owner offers."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("asking_price_fen IS NULL OR asking_price_fen >= 0", name="price_not_negative"),
        CheckConstraint("price_negotiable OR asking_price_fen IS NOT NULL", name="price_or_negotiable"),
        # One patent has at most one live listing; finished ones stay as history.
        Index("uq_listings_live_patent", "patent_id", unique=True,
              sqlite_where=_LIVE_SQL, postgresql_where=_LIVE_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 64-bit: a 32-bit column would stop at ¥21.47 million, below real transfer prices.
    asking_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_negotiable: Mapped[bool] = mapped_column(default=False)
    pricing_method: Mapped[str] = mapped_column(String(12), default="AGREEMENT")
    problem_solved: Mapped[str] = mapped_column(Text, default="")
    advantages: Mapped[str] = mapped_column(Text, default="")
    applications: Mapped[str] = mapped_column(Text, default="")
    maturity: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default=ListingStatus.DRAFT, index=True)
    status_note: Mapped[str] = mapped_column(String(500), default="")
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    patent: Mapped[Patent] = relationship(back_populates="listings")
    organisation: Mapped[Organisation] = relationship()
    point: Mapped[Point] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    events: Mapped[list[ListingEvent]] = relationship(
        back_populates="listing", order_by="ListingEvent.id", cascade="all, delete-orphan")
    # A package (专利包): the patents sold with the lead one, in the patentee's order.
    further_members: Mapped[list[ListingPatent]] = relationship(
        back_populates="listing", order_by="ListingPatent.position", cascade="all, delete-orphan")

    @property
    def is_package(self) -> bool:
        return bool(self.further_members)

    @property
    def members(self) -> list[Patent]:
        """Every patent the listing sells, the lead first; one for a single-patent listing."""
        return [self.patent, *(m.patent for m in self.further_members)]

    @property
    def offers_open_licence(self) -> bool:
        return DealMode.OPEN_LICENSE in self.modes


class ListingEvent(Base):
    """One lifecycle transition of a listing: who, when, from, to, why."""

    __tablename__ = "listing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    listing: Mapped[Listing] = relationship(back_populates="events")


class ListingPatent(Base):
    """A further patent of a package listing (the lead one is Listing.patent, position 0).

    A patent sits in a package at most once; that it is in no other live listing at the same time is
    checked by listings.packages when the package is made, under the patents' row locks
    (listings.services.hold_shelf), so two requests made at the same moment cannot both pass.
    """

    __tablename__ = "listing_patents"
    __table_args__ = (UniqueConstraint("listing_id", "patent_id", name="uq_listing_patents_member"),
                      UniqueConstraint("listing_id", "position", name="uq_listing_patents_position"),
                      CheckConstraint("position >= 1", name="member_after_lead"))

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    position: Mapped[int]

    listing: Mapped[Listing] = relationship(back_populates="further_members")
    patent: Mapped[Patent] = relationship(back_populates="package_memberships")
