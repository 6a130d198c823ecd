"""The public publicity pages (R-ST-1): no login; anyone may read them and object during the period."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from market.core.errors import DomainError
from market.core.extensions import limiter
from market.core.i18n import t
from market.deals.negotiation import publicity
from market.web.actions import run_action

bp = Blueprint("publicity", __name__, url_prefix="/publicity")


def _objection_limit() -> str:
    return current_app.config["PUBLICITY_OBJECTION_RATE_LIMIT"]


@bp.get("/")
def notices():
    return render_template("publicity/list.html", notices=publicity.notices())


@bp.get("/<int:deal_id>")
def notice(deal_id: int):
    try:
        item = publicity.notice_for(deal_id)
    except DomainError:
        abort(404)
    return render_template("publicity/notice.html", notice=item)


@bp.post("/<int:deal_id>/objections")
@limiter.limit(_objection_limit)
def object_to(deal_id: int):
    user = current_user._get_current_object() if current_user.is_authenticated else None
    done = run_action(lambda: publicity.object_to(deal_id, request.form.get("body", ""),
                                                  request.form.get("contact", ""), user), abort_on=(404,))
    if done.ok:
        flash(t("异议已提交，卖方将在交易页看到。", "Objection sent; the seller sees it on the deal page."), "success")
    else:
        flash(done.message, "error")
    return redirect(url_for("publicity.notice", deal_id=deal_id))
