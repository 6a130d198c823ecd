"""An open-licence declaration and the history of its states (domain.md §2, §3.2)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listings.models import Listing, Patent
from market.accounts.models import Organisation
from market.core.db import Base, utcnow

# At most one declaration per patent is on its way or in effect; ended ones stay as history.
_LIVE_SQL = text("status IN ('DRAFT', 'ELIGIBLE', 'FILED_WITH_CNIPA', 'ANNOUNCED', 'WITHDRAWAL_FILED')")


class OpenLicenceDeclaration(Base):
    """开放许可声明: one patent number per declaration (OLF), all patentees consenting."""

    __tablename__ = "open_licence_declarations"
    __table_args__ = (
        Index("uq_declarations_live_patent", "patent_id", unique=True,
              sqlite_where=_LIVE_SQL, postgresql_where=_LIVE_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    # The declaring patentee (the organisation whose users manage it).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # All registered patentees, in register order, and who has consented (R-OL-5).
    patentees: Mapped[list[str]] = mapped_column(JSON, default=list)
    consents: Mapped[dict] = mapped_column(JSON, default=dict)
    fee_terms: Mapped[dict] = mapped_column(JSON, default=dict)
    term_start: Mapped[date | None]
    term_end: Mapped[date | None]
    territory: Mapped[str] = mapped_column(String(200), default="中华人民共和国境内")
    other_terms: Mapped[str] = mapped_column(Text, default="")
    fee_basis_note: Mapped[str] = mapped_column(Text, default="")  # 许可使用费估算依据及方法
    evaluation_report_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_reports.id"))
    pledgee_consent_doc: Mapped[str] = mapped_column(String(300), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="DRAFT", index=True)
    cnipa_filing_date: Mapped[date | None]
    announce_date: Mapped[date | None]
    gazette_issue: Mapped[str] = mapped_column(String(60), default="")  # 公告卷期
    not_announced_reason: Mapped[str] = mapped_column(String(500), default="")
    withdraw_request_date: Mapped[date | None]
    withdraw_announce_date: Mapped[date | None]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    patent: Mapped[Patent] = relationship()
    listing: Mapped[Listing | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
    events: Mapped[list[DeclarationEvent]] = relationship(
        back_populates="declaration", order_by="DeclarationEvent.id")
    # The technical services on offer beside it, oldest first (read-only: extras.py writes them).
    # Loaded with the declarations of a list in one query (queries.announced_declarations).
    services_on_offer: Mapped[list[OfferedService]] = relationship(
        primaryjoin="and_(OfferedService.declaration_id == OpenLicenceDeclaration.id, "
                    "OfferedService.withdrawn_at.is_(None))",
        order_by="OfferedService.id", viewonly=True)


class DeclarationEvent(Base):
    """One state change of a declaration, with its legal date (filing, announcement, withdrawal)."""

    __tablename__ = "declaration_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("open_licence_declarations.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    declaration: Mapped[OpenLicenceDeclaration] = relationship(back_populates="events")


class OfferedService(Base):
    """A priced technical service the patentee offers beside its declaration: the platform's offer only.

    Not part of the statutory declaration filed with CNIPA (IR 85 lists what that holds), so adding,
    repricing or withdrawing one never touches the declaration; a licensee may take the licence
    without any of them (R-OL-8, no tying). Withdrawing stops new takes; takes keep their snapshot.
    """

    __tablename__ = "open_licence_services"
    __table_args__ = (
        CheckConstraint("unit_price_fen > 0", name="price_positive"),
        CheckConstraint("max_quantity IS NULL OR max_quantity >= 1", name="max_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("open_licence_declarations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # ServiceKind
    description: Mapped[str] = mapped_column(String(1000))
    unit: Mapped[str] = mapped_column(String(20))  # 次, 人天, 小时 …
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    max_quantity: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    declaration: Mapped[OpenLicenceDeclaration] = relationship()


class TakenService(Base):
    """A service chosen with a licence, as it was offered at the moment of the take (never rewritten)."""

    __tablename__ = "open_licence_taken_services"
    __table_args__ = (
        UniqueConstraint("deal_id", "service_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("amount_fen = unit_price_fen * quantity", name="amount_is_price_times_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("open_licence_services.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(1000))
    unit: Mapped[str] = mapped_column(String(20))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
