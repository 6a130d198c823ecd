"""Deal pages: the contributors' reward floor (R-ST-5), shown to the seller with its costs form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.money import yuan_grouped, yuan_plain
from market.deals.models import Deal
from market.deals.negotiation.common import stale_as_conflict
from market.deals.permissions import SELLER, can_act, deal_for, role_of
from market.deals.rewards import contributors as contributor_rewards
from market.deals.rewards import services as rewards
from market.deals.views.blueprint import bp
from market.deals.vocabulary import DealStatus as S
from market.web.actions import run_action

# Before agreement there is nothing to reward; a deal that came to nothing never will.
HIDDEN = frozenset({S.NEGOTIATING, S.DECLINED, S.CANCELLED, S.VOID})


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def money(fen: int | None) -> str:
    """Exact to the fen (the site's `yuan` rounds large sums to 万元)."""
    if fen is None:
        return "—"
    text = yuan_grouped(fen)
    return t(f"{text} 元", f"¥{text}")


@bp.app_template_global("reward_panel")
def reward_panel(deal: Deal) -> dict | None:
    """What the seller's reward panel shows; None for anyone else or a deal the rule does not concern."""
    user = _user()
    if deal.status in HIDDEN or role_of(user, deal) != SELLER:
        return None
    view = contributor_rewards.reward_view(deal)
    if view is None:
        return None
    floor = view.floor
    return {"view": view, "floor": floor, "acts": can_act(user, deal, SELLER), "money": money,
            "pct": rewards.pct_text, "yuan_text": yuan_plain, "equity": floor.basis == rewards.EQUITY,
            "explanation": rewards.explanation(floor, get_lang())}


@bp.post("/<int:deal_id>/reward")
@login_required
def reward_costs(deal_id: int):
    try:
        deal = deal_for(_user(), deal_id)
    except DomainError:
        abort(404)
    back = redirect(url_for("deals.deal", deal_id=deal.id) + "#reward")
    def record():
        with stale_as_conflict():
            costs = rewards.Costs(**{name: rewards.parse_yuan(request.form.get(name.replace("_fen", "_yuan")), name)
                                     for name in rewards.COST_FIELDS})
            contributor_rewards.record_costs(_user(), deal, costs, has_scheme=bool(request.form.get("has_scheme")))
            db.session.flush()

    done = run_action(record)
    if not done.ok:
        if done.error.status == 403:
            return render_template("errors/error.html", status=403, message=done.message), 403
        flash(done.message, "error")
        return back
    flash(t("已更新奖励测算的扣除项", "The deductible costs are saved"), "success")
    return back
