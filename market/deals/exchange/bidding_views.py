"""The live bidding page (endpoints `bidding.*`, under /lots/<id>/bidding).

The page works without JavaScript (it says to reload, and a reload shows the new state); with
JavaScript it polls a small JSON document every few seconds and counts down from the server's
time, never the browser's. A bid goes through a confirmation page first (the amount in 元, the
lot, "binding"); only the POST from that page bids. A bidding whose close has passed is settled
when it is read (the same settling the daily job does), so the result shows at once.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from market.core.db import utcnow, write_intent
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import t
from market.core.money import AmountError, parse_yuan, yuan_grouped, yuan_plain
from market.deals.exchange import bidding, lots
from market.deals.exchange.board import board, lot_for
from market.deals.exchange.models import Lot, LotStatus
from market.web.actions import run_action

bp = Blueprint("bidding", __name__, url_prefix="/lots")

_AMOUNT_WORDS = {
    "invalid": ("请输入金额（元），例如 10000 或 10,000.50", "Enter an amount in yuan, e.g. 10000 or 10,000.50"),
    "negative": ("出价不能为负数", "A bid cannot be negative"),
    "decimals": ("金额最多精确到分（两位小数）", "At most two decimals (fen)"),
    "too_large": ("金额超出允许的最大数额", "The amount is above the largest allowed"),
}


def settle_if_due(lot: Lot) -> None:
    """Close a bidding whose close has passed (server clock), as the daily job does (settle_due_lots)."""
    if lot.status == LotStatus.BIDDING and lot.bidding_closes_at and utcnow() >= lot.bidding_closes_at:
        # A read that writes: end the read transaction and take the write lock first (SQLite).
        db.session.rollback()
        with write_intent():
            run_action(lambda: lots.settle_due_lots(db.session, at=utcnow()))
        db.session.refresh(lot)


def _loaded(lot_id: int):
    """The lot and the viewer's role; 404 for anyone with no part in the bidding."""
    try:
        lot, role = lot_for(db.session, current_user, lot_id)
    except DomainError:
        abort(404)
    settle_if_due(lot)
    return lot, role


def _parse_amount(raw: str | None) -> tuple[int | None, str | None]:
    """The typed amount in fen, or the reason it was refused (words for the field)."""
    try:
        fen = parse_yuan(raw)
    except AmountError as err:
        return None, t(*_AMOUNT_WORDS[err.reason])
    if fen is None:
        return None, t("请填写出价金额", "Enter the amount of your bid")
    if fen == 0:
        return None, t("出价必须大于零", "A bid must be above zero")
    return fen, None


def _page(lot: Lot, role: str, *, amount: str = "", error: str | None = None, status: int = 200):
    view = board(db.session, lot, current_user, role, now=utcnow(), you=t("您", "You"), bidder=t("竞买人", "Bidder "))
    return render_template("bidding/live.html", lot=lot, b=view, amount=amount, error=error), status


@bp.get("/<int:lot_id>/bidding")
@login_required
def live(lot_id: int):
    lot, role = _loaded(lot_id)
    return _page(lot, role)


@bp.get("/<int:lot_id>/bidding/state.json")
@login_required
def state(lot_id: int):
    """What the page polls: the viewer's board as JSON (never the reserve, never a sealed amount)."""
    lot, role = _loaded(lot_id)
    response = jsonify(board(db.session, lot, current_user, role, now=utcnow(), you=t("您", "You"), bidder=t("竞买人", "Bidder ")).as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:lot_id>/bidding/confirm")
@login_required
def confirm(lot_id: int):
    """The confirmation of a bid: what, for how much, binding. Nothing is written on GET."""
    lot, role = _loaded(lot_id)
    raw = request.args.get("amount", "")[:40]
    fen, error = _parse_amount(raw)
    if error:
        return _page(lot, role, amount=raw, error=error, status=422)
    view = board(db.session, lot, current_user, role, now=utcnow(), you=t("您", "You"), bidder=t("竞买人", "Bidder "))
    if not view.can_bid:
        flash(t("您现在不能对该标的出价", "You cannot bid on this lot now"), "error")
        return redirect(url_for("bidding.live", lot_id=lot.id))
    if view.next_min_fen is not None and fen < view.next_min_fen:
        return _page(lot, role, amount=raw, status=422, error=t(
            "出价低于最低应价 {m} 元", "The bid is below the minimum of {m} yuan").format(m=yuan_plain(view.next_min_fen)))
    return render_template("bidding/confirm.html", lot=lot, b=view, fen=fen)


@bp.post("/<int:lot_id>/bids")
@login_required
def place(lot_id: int):
    lot, role = _loaded(lot_id)
    raw = request.form.get("amount", "")[:40]
    fen, error = _parse_amount(raw)
    if error is None and request.form.get("confirm") != "1":
        error = t("请勾选确认：出价一经提交即具约束力", "Tick the box: a bid binds once it is placed")
    if error:
        return _page(lot, role, amount=raw, error=error, status=422)
    done = run_action(lambda: bidding.place_bid(db.session, lot, current_user, fen, at=utcnow()))
    if not done.ok:
        db.session.refresh(lot)
        return _page(lot, role, amount=raw, error=done.message, status=done.error.status)
    flash(t("出价已被接受：{a} 元", "Your bid is accepted: ¥{a}").format(a=yuan_grouped(fen)), "success")
    return redirect(url_for("bidding.live", lot_id=lot_id))  # lot_id: lot.id would reload the committed lot
