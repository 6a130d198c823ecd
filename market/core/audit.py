"""The audit log: sensitive actions, written in the action's own transaction; the bureau reads it.

The table is append-only in the database itself (migration 0010 adds triggers that refuse UPDATE
and DELETE on SQLite and PostgreSQL), so no code path, and no later bug, can rewrite what was done.
There is no route to edit or delete an entry; the bureau's page is market/accounts/audit_log.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import has_request_context, request
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import Base, utcnow
from market.core.extensions import db

if TYPE_CHECKING:  # the accounts floor, above this one, defines them; relationships name them
    from market.accounts.models import Organisation, User

PER_PAGE = 50


class AuditAction(StrEnum):
    ORG_APPROVED = "ORG_APPROVED"
    ORG_REJECTED = "ORG_REJECTED"
    ORG_PROFILE_UPDATED = "ORG_PROFILE_UPDATED"
    MEMBER_ADDED = "MEMBER_ADDED"
    ROLE_CHANGED = "ROLE_CHANGED"
    MEMBER_DEACTIVATED = "MEMBER_DEACTIVATED"
    PASSWORD_RESET = "PASSWORD_RESET"
    API_TOKEN_ISSUED = "API_TOKEN_ISSUED"
    API_TOKEN_REVOKED = "API_TOKEN_REVOKED"
    DEAL_VOIDED = "DEAL_VOIDED"
    STATISTICS_EXPORTED = "STATISTICS_EXPORTED"
    OPEN_LICENCE_CNIPA_STEP = "OPEN_LICENCE_CNIPA_STEP"
    LEGAL_STATUS_CONFIRMED = "LEGAL_STATUS_CONFIRMED"

    def label(self, lang: str = "zh") -> str:
        zh, en = LABELS[self]
        return en if lang == "en" else zh


LABELS = {
    AuditAction.ORG_APPROVED: ("批准机构", "Organisation approved"),
    AuditAction.ORG_REJECTED: ("驳回机构", "Organisation rejected"),
    AuditAction.ORG_PROFILE_UPDATED: ("更新机构住所和联系人", "Organisation address and contact updated"),
    AuditAction.MEMBER_ADDED: ("添加成员", "Member added"),
    AuditAction.ROLE_CHANGED: ("变更角色", "Role changed"),
    AuditAction.MEMBER_DEACTIVATED: ("停用成员", "Member deactivated"),
    AuditAction.PASSWORD_RESET: ("重置密码", "Password reset"),
    AuditAction.API_TOKEN_ISSUED: ("创建 API 令牌", "API token issued"),
    AuditAction.API_TOKEN_REVOKED: ("撤销 API 令牌", "API token revoked"),
    AuditAction.DEAL_VOIDED: ("作废交易", "Deal voided"),
    AuditAction.STATISTICS_EXPORTED: ("导出统计", "Statistics exported"),
    AuditAction.OPEN_LICENCE_CNIPA_STEP: ("登记开放许可办理结果", "Open-licence CNIPA step recorded"),
    AuditAction.LEGAL_STATUS_CONFIRMED: ("服务点核实法律状态", "Legal status confirmed by the point"),
}


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Null for what the system does by itself (a command-line export names no user).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()
    actor_org: Mapped[Organisation | None] = relationship()


def record(action: AuditAction, *, actor: User | None, object_type: str, object_id: object = "",
           summary: str = "") -> AuditEntry:
    """Append one entry to the caller's transaction: it commits or rolls back with the action."""
    entry = AuditEntry(action=action, actor_user_id=actor.id if actor is not None else None,
                       actor_org_id=actor.organisation_id if actor is not None else None,
                       object_type=object_type, object_id=str(object_id)[:64], summary=summary[:500],
                       ip=_client_address())
    db.session.add(entry)
    return entry


def _client_address() -> str | None:
    if not has_request_context():
        return None
    return (request.remote_addr or "")[:45] or None
