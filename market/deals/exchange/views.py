"""Lot pages: the public list and notice, opening a lot, registering, deposits and qualification.

Reading a lot settles it first when its period has ended (settle_due_lots, as the daily job does):
the outcome rests on the server's clock, so whoever looks first sees the same result the job
would write. Binding acts (registering, deciding or withdrawing a registration, withdrawing a lot) go
through a confirmation page; the POST that follows checks everything again.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from listings.services import get_listing
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.schemas import load
from market.deals.exchange import lots, public, registrations
from market.deals.exchange.deposits import deposit_payment
from market.deals.exchange.lots import role_in_lot
from market.deals.exchange.models import BiddingFormat, DepositStatus, LotMethod
from market.deals.exchange.schemas import LotForm
from market.payments import services as payments
from market.payments.providers import get_provider
from market.web.actions import run_action

bp = Blueprint("lots", __name__, url_prefix="/lots")
FORM_INPUTS = ("method", "deal_kind", "price_yuan", "floor_yuan", "approved_value_yuan", "valuation_filing_no",
               "reserve_yuan", "increment_yuan", "deposit_yuan", "qualifications", "disclosure_working_days",
               "bidding_format", "extension_minutes", "bidding_hours", "auction_house")
# The service names its fields in fen; the form in 元.
FORM_FIELD = {"price_fen": "price_yuan", "floor_fen": "floor_yuan", "approved_value_fen": "approved_value_yuan",
              "reserve_fen": "reserve_yuan", "increment_fen": "increment_yuan", "deposit_fen": "deposit_yuan"}


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _settled_lot(lot_id: int):
    """The lot, after settling whatever period has ended by now (committed like the daily job)."""
    run_action(lambda: lots.settle_due_lots(db.session, at=utcnow()))
    lot = public.lot_or_none(db.session, lot_id)
    if lot is None:
        abort(404)
    return lot


def _manager_lot(lot_id: int):
    lot = _settled_lot(lot_id)
    if role_in_lot(_user(), lot) is None:
        abort(403)  # the lot itself is public; its registrations are not
    return lot


@bp.get("/")
def index():
    run_action(lambda: lots.settle_due_lots(db.session, at=utcnow()))
    now = utcnow()
    return render_template("exchange/list.html", lots=[public.summary(x, now) for x in public.list_lots(db.session)])


@bp.get("/<int:lot_id>")
def lot(lot_id: int):
    item = _settled_lot(lot_id)
    user = _user()
    mine = registrations.own_registration(user, item)
    return render_template("exchange/lot.html", lot=item, s=public.summary(item, utcnow()),
                           ledger=public.ledger(db.session, item), bids=public.bids(db.session, item),
                           mine=mine, deposit=deposit_payment(db.session, mine) if mine else None,
                           role=role_in_lot(user, item))


def _render_form(listing, values=None, errors=None, previous=None):
    values = values or {"deal_kind": next((k for k in lots.LOT_KINDS if k in (listing.modes or [])), ""),
                        "disclosure_working_days": 20, "extension_minutes": 5, "bidding_hours": 1,
                        "method": "LISTING",
                        "price_yuan": f"{listing.asking_price_fen / 100:.2f}" if listing.asking_price_fen else ""}
    kinds = [(k.value, k.label(get_lang())) for k in lots.LOT_KINDS if k in (listing.modes or [])]
    return render_template("exchange/new.html", listing=listing, values=values, errors=errors or {}, kinds=kinds,
                           methods=[(m.value, m.label(get_lang())) for m in LotMethod],
                           formats=[(b.value, b.label(get_lang())) for b in BiddingFormat],
                           soe=listing.organisation.org_type == "SOE", previous=previous), 422 if errors else 200


def _listing_or_404(raw) -> object:
    raw = str(raw or "")
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
        abort(404)
    try:
        listing = get_listing(int(raw))
    except DomainError:
        abort(404)
    if role_in_lot(_user(), listing) is None:
        abort(403)
    return listing


@bp.get("/new")
@login_required
def new():
    return _render_form(_listing_or_404(request.args.get("listing")))


def _submit(listing, previous=None):
    typed = {name: request.form.get(name, "") for name in FORM_INPUTS}
    values, errors = load(LotForm(), request.form)
    if request.form.get("confirm") != "1":
        errors["confirm"] = [t("请勾选确认后再发布。", "Tick the confirmation before publishing.")]
    if errors:
        return _render_form(listing, typed, errors, previous)
    user = _user()
    if previous is not None:
        done = run_action(lambda: lots.reopen_lot(db.session, user, previous, values, at=utcnow()), abort_on=(403,))
    else:
        done = run_action(lambda: lots.open_lot(db.session, user, listing, values, at=utcnow()), abort_on=(403,))
    if not done.ok:
        field = FORM_FIELD.get(done.error.field or "", done.error.field or "price_yuan")
        return _render_form(listing, typed, {field: [done.message]}, previous)
    flash(t("挂牌公告已发布。", "The lot is published."), "success")
    return redirect(url_for("lots.lot", lot_id=done.value.id))


@bp.post("/new")
@login_required
def create():
    return _submit(_listing_or_404(request.form.get("listing_id")))


@bp.route("/<int:lot_id>/reopen", methods=("GET", "POST"))
@login_required
def reopen(lot_id: int):
    previous = _manager_lot(lot_id)
    if request.method == "GET":
        values = {"deal_kind": previous.deal_kind, "method": previous.method, "qualifications": previous.qualifications,
                  "deposit_yuan": f"{previous.deposit_fen / 100:.2f}", "disclosure_working_days": 20,
                  "extension_minutes": previous.extension_minutes, "bidding_format": previous.bidding_format,
                  # the length the previous lot announced (a late bid's extension is not part of it)
                  "bidding_hours": max(1, int((previous.bidding_closes_at - previous.bidding_opens_at).total_seconds()
                                              // 3600))}
        return _render_form(previous.listing, values, previous=previous)
    return _submit(previous.listing, previous)


@bp.get("/<int:lot_id>/manage")
@login_required
def manage(lot_id: int):
    item = _manager_lot(lot_id)
    return render_template("exchange/manage.html", lot=item, s=public.summary(item, utcnow()),
                           deposits={r.id: deposit_payment(db.session, r) for r in item.registrations})


@bp.get("/<int:lot_id>/registrations/<int:reg_id>/decide")
@login_required
def decide_confirm(lot_id: int, reg_id: int):
    item = _manager_lot(lot_id)
    try:
        reg = registrations.registration_for(item, reg_id)
    except DomainError:
        abort(404)
    qualified = request.args.get("qualified") == "1"
    return render_template("exchange/decide.html", lot=item, reg=reg, qualified=qualified, errors={}, values={})


@bp.post("/<int:lot_id>/registrations/<int:reg_id>/decide")
@login_required
def decide(lot_id: int, reg_id: int):
    item = _manager_lot(lot_id)
    try:
        reg = registrations.registration_for(item, reg_id)
    except DomainError:
        abort(404)
    qualified = request.form.get("qualified") == "1"
    reason = request.form.get("reason", "")
    if request.form.get("confirm") != "1":
        errors = {"confirm": [t("请勾选确认后再提交。", "Tick the confirmation first.")]}
    else:
        done = run_action(lambda: registrations.decide(db.session, _user(), item, reg, qualified, reason, at=utcnow()),
                          abort_on=(403,))
        if done.ok:
            flash(t("已记录资格确认结果，报名人将收到通知。", "The decision is recorded; the buyer is told."), "success")
            return redirect(url_for("lots.manage", lot_id=item.id))
        errors = done.field_errors("reason")
    return render_template("exchange/decide.html", lot=item, reg=reg, qualified=qualified, errors=errors,
                           values={"reason": reason}), 422


@bp.post("/<int:lot_id>/registrations/<int:reg_id>/deposit-received")
@login_required
def deposit_received(lot_id: int, reg_id: int):
    """The payee confirms the bank transfer of a deposit arrived (offline provider)."""
    item = _manager_lot(lot_id)
    try:
        reg = registrations.registration_for(item, reg_id)
    except DomainError:
        abort(404)
    payment = deposit_payment(db.session, reg)
    if payment is None:
        abort(404)
    if request.form.get("confirm") != "1":
        flash(t("请勾选确认已核对到账。", "Tick that you checked the money arrived."), "error")
        return redirect(url_for("lots.manage", lot_id=item.id))
    done = run_action(lambda: registrations.confirm_deposit(db.session, _user(), item, reg, at=utcnow()),
                      abort_on=(403,))
    flash(done.message if not done.ok else t("已确认保证金到账。", "Deposit receipt confirmed."),
          "error" if not done.ok else "success")
    return redirect(url_for("lots.manage", lot_id=item.id))


def _withdraw_page(item, values=None, errors=None):
    """The confirmation before 撤牌: what becomes of each registration and its deposit."""
    paid = [r for r in item.registrations if r.deposit_status == DepositStatus.PAID]
    due = [r for r in item.registrations if r.deposit_status == DepositStatus.DUE]
    return render_template("exchange/withdraw.html", lot=item, s=public.summary(item, utcnow()),
                           paid=paid, paid_fen=item.deposit_fen * len(paid), due=due,
                           values=values or {}, errors=errors or {}), 422 if errors else 200


@bp.get("/<int:lot_id>/withdraw")
@login_required
def withdraw_lot_confirm(lot_id: int):
    return _withdraw_page(_manager_lot(lot_id))


@bp.post("/<int:lot_id>/withdraw")
@login_required
def withdraw_lot(lot_id: int):
    item = _manager_lot(lot_id)
    reason = request.form.get("reason", "")
    errors = {}
    if not reason.strip():
        errors["reason"] = [t("请说明撤牌原因（将在公告页显示）。", "Say why the lot is withdrawn (shown publicly).")]
    if request.form.get("confirm") != "1":
        errors["confirm"] = [t("请勾选确认后再撤牌。", "Tick the confirmation first.")]
    if not errors:
        done = run_action(lambda: lots.withdraw_lot(db.session, _user(), item, reason, at=utcnow()), abort_on=(403,))
        if done.ok:
            flash(t("已撤牌，保证金全部退还。", "Withdrawn; every deposit is refunded."), "success")
            return redirect(url_for("lots.lot", lot_id=item.id))
        errors = done.field_errors("confirm")
    return _withdraw_page(item, {"reason": reason}, errors)


@bp.get("/<int:lot_id>/register")
@login_required
def register_confirm(lot_id: int):
    item = _settled_lot(lot_id)
    return render_template("exchange/register.html", lot=item, s=public.summary(item, utcnow()), errors={}, values={})


@bp.post("/<int:lot_id>/register")
@login_required
def register(lot_id: int):
    item = _settled_lot(lot_id)
    statement = request.form.get("statement", "")
    if request.form.get("confirm") != "1":
        errors = {"confirm": [t("请勾选确认后再提交。", "Tick the confirmation first.")]}
    else:
        done = run_action(lambda: registrations.register(db.session, _user(), item, statement, at=utcnow()))
        if done.ok:
            flash(t("报名成功。", "Registered."), "success")
            return redirect(url_for("lots.lot", lot_id=item.id) + "#mine")
        errors = {"confirm": [done.message]}
    return render_template("exchange/register.html", lot=item, s=public.summary(item, utcnow()), errors=errors,
                           values={"statement": statement}), 422


def _own_registration_or_404(item):
    mine = registrations.own_registration(_user(), item)
    if mine is None:
        abort(404)  # nothing of this organisation's to withdraw
    return mine


def _withdraw_registration_page(item, mine, errors=None):
    return render_template("exchange/withdraw_registration.html", lot=item, s=public.summary(item, utcnow()),
                           mine=mine, deposit=deposit_payment(db.session, mine), errors=errors or {},
                           refusal=registrations.withdrawal_refusal(_user(), item, mine, at=utcnow())), 422 if errors else 200


@bp.get("/<int:lot_id>/withdraw-registration")
@login_required
def withdraw_registration_confirm(lot_id: int):
    item = _settled_lot(lot_id)
    return _withdraw_registration_page(item, _own_registration_or_404(item))


@bp.post("/<int:lot_id>/withdraw-registration")
@login_required
def withdraw_registration(lot_id: int):
    item = _settled_lot(lot_id)
    mine = _own_registration_or_404(item)
    if request.form.get("confirm") != "1":
        return _withdraw_registration_page(item, mine, {"confirm": [t("请勾选确认后再撤回。", "Tick the confirmation first.")]})
    done = run_action(lambda: registrations.withdraw(db.session, _user(), item, at=utcnow()), abort_on=(403,))
    if not done.ok:
        return _withdraw_registration_page(item, mine, done.field_errors("confirm"))
    flash(t("已撤回报名，保证金将退还。", "Registration withdrawn; the deposit is refunded."), "success")
    return redirect(url_for("lots.lot", lot_id=item.id) + "#mine")


@bp.post("/<int:lot_id>/deposit")
@login_required
def pay_deposit(lot_id: int):
    """The buyer opens its deposit at the configured provider: bank details, or Stripe's checkout."""
    item = _settled_lot(lot_id)
    mine = registrations.own_registration(_user(), item)
    payment = deposit_payment(db.session, mine) if mine else None
    if payment is None or not _user().is_admin:
        abort(404)
    provider = get_provider(current_app)
    done = run_action(lambda: payments.start_checkout(db.session, payment, provider.methods[0], provider=provider))
    if not done.ok:
        flash(done.message, "error")
        return redirect(url_for("lots.lot", lot_id=item.id) + "#mine")
    return render_template("exchange/deposit.html", lot=item, payment=payment, checkout=done.value,
                           instructions=asdict(done.value.instructions) if done.value.instructions else None,
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY"),
                           return_url=url_for("lots.lot", lot_id=item.id, _external=True) + "#mine")
