"""Organisations, their users and per-user API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.vocabulary import OrgStatus, OrgType, Role
from market.core.db import Base, utcnow

SUPPLIER_TYPES = frozenset({OrgType.UNIVERSITY, OrgType.RESEARCH_INSTITUTE, OrgType.SOE,
                            OrgType.PRIVATE, OrgType.FOREIGN, OrgType.INDIVIDUAL, OrgType.OTHER})


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("soe_level IS NULL OR org_type = 'SOE'", name="soe_level_only_for_soe"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Must equal the registered patentee name (REC 12(2)); unique so owner names resolve.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    # Null only for individuals, who have no credit code.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    org_type: Mapped[str] = mapped_column(String(24))
    soe_level: Mapped[str | None] = mapped_column(String(12))
    wholly_state_owned: Mapped[bool] = mapped_column(default=False)
    is_state_funded_rnd: Mapped[bool] = mapped_column(default=False)
    district: Mapped[str] = mapped_column(String(40), default="")
    province: Mapped[str] = mapped_column(String(40), default="上海市")
    country: Mapped[str] = mapped_column(String(2), default="CN")
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # 收款账户: where bank transfers to this organisation go (shown to payers of its deals).
    bank_account_name: Mapped[str] = mapped_column(String(200), default="")
    bank_name: Mapped[str] = mapped_column(String(200), default="")
    bank_account_no: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12), default=OrgStatus.PENDING)
    status_note: Mapped[str] = mapped_column(String(500), default="")
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Its type and region are dimensions of the statistics: a change renews their kept figures.
    # (Nullable in the table: migration 0019_perf adds it in place; every row has one.)
    updated_at: Mapped[datetime] = mapped_column(nullable=True, default=utcnow, onupdate=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    @property
    def type(self) -> OrgType:
        return OrgType(self.org_type)

    @property
    def is_approved(self) -> bool:
        return self.status == OrgStatus.APPROVED

    @property
    def is_bureau(self) -> bool:
        return self.org_type == OrgType.BUREAU

    @property
    def is_point_operator(self) -> bool:
        return self.org_type == OrgType.POINT_OPERATOR

    @property
    def is_supplier(self) -> bool:
        return self.org_type in SUPPLIER_TYPES


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default=Role.MEMBER)
    language: Mapped[str] = mapped_column(String(2), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on login and password change so that old session cookies stop working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # Only a SHA-256 of the token is kept; the prefix lets a person recognise it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Set at issue from API_TOKEN_DAYS; a token past it is refused like a revoked one.
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()
