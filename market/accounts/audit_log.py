"""The bureau's page of the audit log (the log itself: market/core/audit.py)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from market.accounts.permissions import bureau_required
from market.core.audit import PER_PAGE, AuditAction, AuditEntry
from market.core.extensions import db
from market.core.i18n import get_lang

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@bureau_required
def log():
    action = request.args.get("action", "")
    if action not in AuditAction.__members__:
        action = ""
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1
    query = select(AuditEntry).options(selectinload(AuditEntry.actor), selectinload(AuditEntry.actor_org))
    if action:
        query = query.where(AuditEntry.action == action)
    result = db.paginate(query.order_by(AuditEntry.id.desc()), page=page, per_page=PER_PAGE, error_out=False)
    lang = get_lang()
    return render_template("audit/log.html", entries=result.items, page=page, pages=result.pages or 1,
                           total=result.total or 0, action=action,
                           actions=[(a.value, a.label(lang)) for a in AuditAction],
                           label=lambda code: AuditAction(code).label(lang) if code in AuditAction.__members__
                           else code,
                           page_url=lambda page: url_for("audit.log", page=page, **({"action": action}
                                                                                     if action else {})))
