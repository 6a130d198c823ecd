"""Deal pages: disputes (R-OL-13) — a party raises one, takes it to mediation or court, records the end.

Everyone who may see the deal sees its disputes; only the parties act on them. The panel is
included by the deal page; the JSON routes live in market.deals.disputes.api.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.deals.disputes import services as disputes
from market.deals.disputes.models import Dispute, DisputeOutcome, DisputeStage
from market.deals.models import Deal
from market.deals.negotiation.common import stale_as_conflict
from market.deals.permissions import can_act, deal_for, role_of
from market.deals.views.blueprint import bp
from market.web.actions import run_action


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.app_template_global("dispute_panel")
def dispute_panel(deal: Deal) -> dict | None:
    """What the deal page's dispute panel shows; None when there is nothing to show or do."""
    user = _user()
    rows = disputes.disputes_of(deal)
    acts = can_act(user, deal)
    may_open = acts and disputes.may_open(deal) and not any(d.is_open for d in rows)
    if not rows and not may_open:
        return None
    lang = get_lang()

    def next_stages(dispute: Dispute) -> list[tuple[str, str]]:
        return [(s.value, disputes.stage_label(deal, s, lang))
                for s in disputes.NEXT_STAGES[DisputeStage(dispute.stage)]]

    def outcomes(dispute: Dispute) -> list[tuple[str, str]]:
        mine = user is not None and user.organisation_id == dispute.opened_by_org_id
        return [(o.value, o.label(lang)) for o in disputes.OUTCOMES[DisputeStage(dispute.stage)]
                if o != DisputeOutcome.WITHDRAWN or mine]

    return {"disputes": rows, "acts": acts, "may_open": may_open, "role": role_of(user, deal),
            "stage": lambda s: disputes.stage_label(deal, s, lang),
            "outcome": lambda o: DisputeOutcome(o).label(lang) if o else "",
            "party": lambda org_id: deal.seller.name if org_id == deal.seller_org_id else deal.buyer.name,
            "next_stages": next_stages, "outcomes": outcomes, "is_open_licence": deal.kind == "OPEN_LICENSE",
            "max_subject": disputes.MAX_SUBJECT, "max_text": disputes.MAX_TEXT}


def _deal(deal_id: int) -> Deal:
    try:
        return deal_for(_user(), deal_id)
    except DomainError:
        abort(404)


def _act(deal: Deal, action: Callable[[], object], done: tuple[str, str]):
    """Run one dispute service: commit and say so, or roll back and say why (403 stays a 403)."""
    def act():
        with stale_as_conflict():
            action()
            db.session.flush()

    outcome = run_action(act)
    if not outcome.ok:
        if outcome.error.status in (403, 404):  # 404: a dispute id of another deal
            return render_template("errors/error.html", status=outcome.error.status,
                                   message=outcome.message), outcome.error.status
        flash(outcome.message, "error")
        return redirect(url_for("deals.deal", deal_id=deal.id) + "#disputes")
    flash(t(*done), "success")
    return redirect(url_for("deals.deal", deal_id=deal.id) + "#disputes")


def _date(raw: str | None) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("dispute.date", "日期格式无效，请用 YYYY-MM-DD。", "Enter the date as YYYY-MM-DD.",
                          field="resolved_on") from None


@bp.post("/<int:deal_id>/disputes")
@login_required
def dispute_open(deal_id: int):
    deal = _deal(deal_id)
    form = request.form
    return _act(deal, lambda: disputes.raise_dispute(_user(), deal, subject=form.get("subject", ""),
                                                     reason=form.get("reason", "")),
                ("争议已提出，已通知对方", "Dispute raised; the other party has been told"))


@bp.post("/<int:deal_id>/disputes/<int:dispute_id>/escalate")
@login_required
def dispute_escalate(deal_id: int, dispute_id: int):
    deal = _deal(deal_id)
    form = request.form
    return _act(deal, lambda: disputes.escalate(_user(), deal, dispute_id, to_stage=form.get("stage", ""),
                                                forum=form.get("forum", ""), case_no=form.get("case_no", ""),
                                                note=form.get("note", "")),
                ("争议已转入下一阶段", "The dispute moved on to the next stage"))


@bp.post("/<int:deal_id>/disputes/<int:dispute_id>/resolve")
@login_required
def dispute_resolve(deal_id: int, dispute_id: int):
    deal = _deal(deal_id)
    form = request.form
    return _act(deal, lambda: disputes.resolve(_user(), deal, dispute_id, outcome=form.get("outcome", ""),
                                               note=form.get("note", ""), on=_date(form.get("resolved_on"))),
                ("已登记争议结果", "The end of the dispute is recorded"))
