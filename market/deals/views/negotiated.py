"""Deal pages: my deals, the deal page (shared by every kind), and the negotiated flow's actions.

Each action loads the deal the user may see (404 otherwise), calls one service, commits once and
goes back to the deal page with a flashed message; a refused action rolls back, so it changes
nothing, and says why. Someone who can see a deal but may not act on it gets 403.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from market.accounts.permissions import is_bureau
from market.accounts.points.models import Point
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.money import FEN_PER_WAN, AmountError, parse_yuan, yuan_grouped
from market.core.schemas import load
from market.deals import approvals as rules
from market.deals import ledger, uploads
from market.deals import negotiation as n
from market.deals.models import Deal
from market.deals.negotiation import page as deal_page
from market.deals.negotiation.common import stale_as_conflict, tell
from market.deals.negotiation.schemas import DateForm, FilingForm, RegistrationForm
from market.deals.permissions import PARTY, can_act, deal_for, role_of
from market.deals.views.blueprint import bp
from market.deals.vocabulary import (
    DealKind,
    DealStatus,
    DocumentKind,
    EvidenceLevel,
    FeeMode,
    LedgerEvent,
    PaymentKind,
    PaymentPeriod,
    PaymentStatus,
    RoyaltyBase,
)
from market.payments import services as payments
from market.payments.models import Payment
from market.payments.providers import get_provider
from market.web.actions import run_action

LABELS = {"DealStatus": DealStatus, "DealKind": DealKind, "LedgerEvent": LedgerEvent, "DocumentKind": DocumentKind,
          "EvidenceLevel": EvidenceLevel,
          "PaymentKind": PaymentKind, "PaymentStatus": PaymentStatus, "FeeMode": FeeMode,
          "RoyaltyBase": RoyaltyBase, "PaymentPeriod": PaymentPeriod}


@bp.app_template_global("deal_label")
def deal_label(enum_name: str, value: str | None) -> str:
    """Label of a deal vocabulary value (market.deals.vocabulary) in the request's language."""
    enum = LABELS.get(enum_name)
    if enum is None or value is None or value not in enum.__members__:
        return value or ""
    return enum[value].label(get_lang())


@bp.app_template_global("deal_yuan")
def deal_yuan(fen: int | None) -> str:
    """An amount where it binds (deal pages, confirmations): exact to the fen, "50,000.00 元" or "¥50,000.00".

    The site's `yuan` rounds large sums to 万元 (R-DI-2), which is not what a party transfers or signs for.
    """
    if fen is None:
        return "—"
    return f"¥{yuan_grouped(fen)}" if get_lang() == "en" else f"{yuan_grouped(fen)} 元"


@bp.app_template_global("deal_wan")
def deal_wan(fen: int | None) -> str:
    """An amount in a list's 万元 column: two decimals, rounded half up ("5.00"); the unit is in the header."""
    if fen is None:
        return "—"
    return f"{(Decimal(fen) / FEN_PER_WAN).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def deal_or_404(deal_id: int) -> Deal:
    """The deal the current user may see; 404 for any other (its existence is not revealed)."""
    try:
        return deal_for(current_user, deal_id)
    except DomainError:
        abort(404)


def _back(deal: Deal, anchor: str = ""):
    return redirect(url_for("deals.deal", deal_id=deal.id) + (f"#{anchor}" if anchor else ""))


def _first_error(errors: dict) -> DomainError:
    field, messages = next(iter(errors.items()))
    while isinstance(messages, (list, dict)):
        messages = next(iter(messages.values())) if isinstance(messages, dict) else messages[0]
    return DomainError("deal.form", f"{messages}", f"{messages}", field=field)


def confirmed() -> None:
    """A binding act needs the box ticked on its confirmation page (as `sign`); without it nothing happens."""
    if request.form.get("confirm") != "1":
        raise DomainError("deal.confirm_required", "请先在确认页核对对方和金额，勾选确认后再提交。",
                          "Check the other party and the amount on the confirmation page and tick the box first.",
                          field="confirm")


def form_values(schema, data=None) -> dict:
    values, errors = load(schema, data if data is not None else request.form)
    if errors:
        raise _first_error(errors)
    return values


class Stored:
    """Files stored during a request; removed again if the request is refused."""

    def __init__(self):
        self.documents: list = []

    def take(self, deal: Deal, kind: str, *, needed: bool = False):
        file = request.files.get("file")
        if file is None or not file.filename:
            if needed:
                raise DomainError("upload.missing", "请选择要上传的文件。", "Choose a file to upload.", field="file")
            return None
        document = uploads.store_document(deal, kind, file, current_user)
        self.documents.append(document)
        return document

    def discard(self) -> None:
        for document in self.documents:
            uploads.remove_document(document)


def act(deal: Deal, action, success: tuple[str, str], *, anchor: str = "", may_upload: bool = True):
    """Run `action(stored)` for the deal page: commit on success, roll back and explain on refusal."""
    stored = Stored()
    role = role_of(current_user, deal)
    if may_upload and request.files.get("file") and role not in ("seller", "buyer", "co_owner"):
        abort(403)
    def run_it():
        with stale_as_conflict():
            action(stored)
            db.session.flush()

    # A refusal for lack of right (403) goes to the app's error page with its message; others are flashed.
    done = run_action(run_it, undo=stored.discard, raise_on=(403,))
    if done.ok:
        flash(t(*success), "success")
    else:
        flash(done.message, "error")
    return _back(deal, anchor)


# ---- lists and pages ------------------------------------------------------------------------------

@bp.get("/")
@login_required
def mine():
    """The deals of my organisation (a point operator: its point's; the bureau: all)."""
    org_id = current_user.organisation_id
    query = select(Deal)
    if is_bureau(current_user):
        pass
    elif current_user.organisation.is_point_operator:
        query = query.where(or_(Deal.point_id.in_(select(Point.id).where(Point.operator_id == org_id)),
                                Deal.seller_org_id == org_id, Deal.buyer_org_id == org_id))
    else:
        query = query.where(or_(Deal.seller_org_id == org_id, Deal.buyer_org_id == org_id))
    status = request.args.get("status", "")
    if status in DealStatus.__members__:
        query = query.where(Deal.status == status)
    deals = db.session.scalars(query.order_by(Deal.updated_at.desc(), Deal.id.desc()).limit(300)).all()
    return render_template("deals/mine.html", deals=deals, status=status, statuses=list(DealStatus))


@bp.get("/<int:deal_id>")
@login_required
def deal(deal_id: int):
    return render_deal(deal_or_404(deal_id))


def render_deal(item: Deal, **form) -> str:
    """The deal page; `form` puts a refused form back with its input and errors (offer_values, offer_errors)."""
    view = deal_page.build(current_user, item, lang=get_lang())
    return render_template("deals/deal.html", deal=item, page=view, steps=rules.BY_CODE,
                           bases=rules.VALUATION_BASES, filing_types=rules.FILING_TYPES,
                           royalty_bases=list(RoyaltyBase), periods=list(PaymentPeriod),
                           document_kinds=list(DocumentKind), offer_values=form.get("offer_values") or {},
                           offer_errors=form.get("offer_errors") or {})


@bp.post("/<int:deal_id>/messages")
@login_required
def message(deal_id: int):
    item = deal_or_404(deal_id)
    return act(item, lambda stored: n.post_message(current_user, item, request.form.get("message", "")),
                ("留言已发送", "Message sent"), anchor="ledger")


@bp.post("/<int:deal_id>/<any(decline, cancel, void):what>")
@login_required
def close(deal_id: int, what: str):
    item = deal_or_404(deal_id)
    reason = request.form.get("reason", "")
    service = {"decline": n.decline, "cancel": n.cancel, "void": n.void_deal}[what]
    done = {"decline": ("已结束洽谈", "Negotiation ended"), "cancel": ("交易已取消", "Deal cancelled"),
            "void": ("交易已作废", "Deal voided")}[what]

    def run(stored):
        # Voiding cannot be undone: confirmed on its own page first (void_page). Someone who may not void
        # at all hears that from the service (403), not a request to confirm.
        if what == "void" and (role_of(current_user, item) in ("seller", "buyer") or is_bureau(current_user)):
            confirmed()
        service(current_user, item, reason)

    return act(item, run, done)


@bp.get("/<int:deal_id>/void")
@login_required
def void_page(deal_id: int):
    """What voiding does, to which deal, between whom and for how much; nothing changes on GET."""
    item = deal_or_404(deal_id)
    if not deal_page.build(current_user, item, lang=get_lang()).can_void:
        abort(403)
    return render_template("deals/confirm_void.html", deal=item)


# ---- approvals and signature -------------------------------------------------------------------------

@bp.post("/<int:deal_id>/approvals/<code>")
@login_required
def approval(deal_id: int, code: str):
    item = deal_or_404(deal_id)
    step = rules.BY_CODE.get(code)
    if step is None:
        abort(404)

    def run(stored):
        if code == rules.CO_OWNER_CONSENT.code:
            n.record_consent(current_user, item, request.form.get("owner", ""), stored.take(item, step.document_kind))
        else:
            n.record_step(current_user, item, code, _approval_data(), stored.take(item, step.document_kind))

    return act(item, run, (f"已登记：{step.zh}", f"Recorded: {step.en}"), anchor="approvals")


def _approval_data() -> dict:
    """The approval form's fields for the service; the appraised value is typed in 元 and kept in fen."""
    data = request.form.to_dict()
    if "value_yuan" in data:
        raw = data.pop("value_yuan")
        try:
            data["value_fen"] = parse_yuan(raw)
        except AmountError:
            raise DomainError("deal.approval_field", "评估值须为以元为单位的金额，最多两位小数，如 280000 或 280000.50。",
                              "The appraised value is in yuan, at most two decimals, e.g. 280000 or 280000.50.",
                              field="value_yuan") from None
        if data["value_fen"] is None and data.get("basis") != "NONE_ALLOWED":
            raise DomainError("deal.approval_field", "请填写评估值（元）。", "Give the appraised value in yuan.",
                              field="value_yuan")
    return data


# ---- filing and registration ---------------------------------------------------------------------------

@bp.post("/<int:deal_id>/filing")
@login_required
def filing(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        values = form_values(FilingForm())
        n.record_filing(item, values["record_no"], values["filing_date"], current_user,
                        stored.take(item, DocumentKind.FILING_PROOF))

    return act(item, run, ("已登记合同备案", "The filing is recorded"), anchor="filing")


@bp.post("/<int:deal_id>/filing-rejected")
@login_required
def filing_rejected(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        on = form_values(DateForm())["on"]
        n.record_filing_rejected(item, request.form.get("reason", ""), current_user, on,
                                 stored.take(item, DocumentKind.OTHER))

    return act(item, run, ("已登记备案未通过", "The refusal is recorded"), anchor="filing")


@bp.post("/<int:deal_id>/registration-filed")
@login_required
def registration_filed(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        n.file_registration(current_user, item, form_values(DateForm())["on"], stored.take(item, DocumentKind.OTHER))

    return act(item, run, ("已登记提交转让登记", "The submission is recorded"), anchor="registration")


@bp.post("/<int:deal_id>/registration")
@login_required
def registration(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        values = form_values(RegistrationForm())
        n.record_registration(current_user, item, values["registered_on"], values["registration_no"],
                              stored.take(item, DocumentKind.REGISTRATION_PROOF), values.get("application_number"))

    return act(item, run, ("转让已登记生效", "The transfer is registered"), anchor="registration")


@bp.post("/<int:deal_id>/registration-rejected")
@login_required
def registration_rejected(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        n.record_registration_rejected(current_user, item, request.form.get("reason", ""), form_values(DateForm())["on"],
                                       stored.take(item, DocumentKind.OTHER))

    return act(item, run, ("已登记不予登记", "The refusal is recorded"), anchor="registration")


@bp.post("/<int:deal_id>/capital")
@login_required
def capital(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        n.record_capital_registration(current_user, item, form_values(DateForm())["on"],
                                      stored.take(item, DocumentKind.CAPITAL_REGISTRATION))

    return act(item, run, ("已登记注册资本变更", "The capital registration is recorded"), anchor="registration")


# ---- documents ----------------------------------------------------------------------------------------

@bp.post("/<int:deal_id>/uploads")
@login_required
def upload(deal_id: int):
    item = deal_or_404(deal_id)
    if not can_act(current_user, item, PARTY):
        abort(403)
    kind = request.form.get("kind", "OTHER")

    def run(stored):
        document = stored.take(item, kind, needed=True)

        ledger.append(item, LedgerEvent.MESSAGE, actor=current_user,
                      note=f"上传文件：{deal_label('DocumentKind', kind)} {document.filename}",
                      evidence={"document_id": document.id, "document_kind": kind})

    return act(item, run, ("文件已上传", "File uploaded"), anchor="documents")


@bp.get("/<int:deal_id>/uploads/<int:document_id>")
@login_required
def download(deal_id: int, document_id: int):
    """An uploaded file, for those who may see the deal; served as an attachment, never inline HTML."""
    item = deal_or_404(deal_id)
    try:
        document = uploads.document_of(item, document_id)
        data = uploads.open_document(document)
    except DomainError:
        abort(404)
    response = send_file(data, mimetype=document.content_type, as_attachment=True,
                         download_name=document.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- payments ----------------------------------------------------------------------------------------

def _payment(deal: Deal, payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id) if 0 < payment_id < 2**31 else None
    if payment is None or payment.deal_id != deal.id:
        abort(404)
    return payment


@bp.post("/<int:deal_id>/payments/<int:payment_id>/receipt")
@login_required
def payment_receipt(deal_id: int, payment_id: int):
    """Offline transfer: the payer uploads the bank's receipt (付款凭证)."""
    item = deal_or_404(deal_id)
    payment = _payment(item, payment_id)

    def run(stored):
        if role_of(current_user, item) != "buyer" or not can_act(current_user, item):
            raise DomainError("deal.not_payer", "只有付款方可以上传付款凭证。", "Only the payer uploads the receipt.",
                              status=403)
        if payment.status not in (PaymentStatus.DUE, PaymentStatus.PROCESSING, PaymentStatus.FAILED):
            raise DomainError("deal.payment_closed", "该笔款项已结清或已取消。", "This payment is settled or cancelled.",
                              status=409)
        document = stored.take(item, DocumentKind.PAYMENT_RECEIPT, needed=True)
        payment.receipt_document_id = document.id
        payment.method = payment.method or "bank_transfer"
        ledger.append(item, LedgerEvent.MESSAGE, actor=current_user, amount_fen=payment.amount_fen,
                      note="付款方已上传付款凭证，等待收款方确认",
                      evidence={"payment_id": payment.id, "document_id": document.id})

        tell(item.seller_org_id, item, "receipt", "付款方已上传付款凭证，请核对到账后确认收款",
             "The payer uploaded a receipt; confirm when the money arrives")

    return act(item, run, ("付款凭证已上传，等待收款方确认", "Receipt uploaded; the payee will confirm"),
                anchor="payments")


def _payee_only(item: Deal) -> None:
    if role_of(current_user, item) != "seller" or not can_act(current_user, item):
        raise DomainError("deal.not_payee", "只有收款方可以确认收款。", "Only the payee confirms receipt.", status=403)


@bp.get("/<int:deal_id>/payments/<int:payment_id>/confirm")
@login_required
def payment_confirm_page(deal_id: int, payment_id: int):
    """Before confirming receipt: from whom, how much, the receipt uploaded; nothing changes on GET."""
    item = deal_or_404(deal_id)
    payment = _payment(item, payment_id)
    try:
        _payee_only(item)
    except DomainError:
        abort(403)
    if payment.status not in (PaymentStatus.DUE, PaymentStatus.PROCESSING, PaymentStatus.FAILED):
        flash(t("该笔款项已结清或已取消。", "This payment is settled or cancelled."), "error")
        return _back(item, "payments")
    receipt = uploads.document_of(item, payment.receipt_document_id) if payment.receipt_document_id else None
    return render_template("deals/confirm_payment.html", deal=item, payment=payment, receipt=receipt)


@bp.post("/<int:deal_id>/payments/<int:payment_id>/confirm")
@login_required
def payment_confirm(deal_id: int, payment_id: int):
    """Offline transfer: the payee confirms the money arrived; the deal hears of it through the payment hook."""
    item = deal_or_404(deal_id)
    payment = _payment(item, payment_id)

    def run(stored):
        _payee_only(item)
        confirmed()
        if payment.provider_ref:
            payments.confirm_payment(db.session, payment, actor=current_user)
        else:
            payments.mark_paid(db.session, payment, at=utcnow(), actor=current_user,
                               evidence={"receipt_document_id": payment.receipt_document_id, "offline": True})

    return act(item, run, ("已确认收款", "Receipt confirmed"), anchor="payments")


@bp.post("/<int:deal_id>/payments/<int:payment_id>/checkout")
@login_required
def payment_checkout(deal_id: int, payment_id: int):
    """Pay through the configured provider: bank instructions (offline) or a provider checkout."""
    item = deal_or_404(deal_id)
    payment = _payment(item, payment_id)
    if role_of(current_user, item) != "buyer" or not can_act(current_user, item):
        abort(403)

    provider = get_provider(current_app)
    method = request.form.get("method") or provider.methods[0]
    done = run_action(lambda: payments.start_checkout(db.session, payment, method, provider=provider))
    if not done.ok:
        flash(done.message, "error")
        return _back(item, "payments")
    checkout = done.value
    if checkout.client_secret:
        g.stripe_checkout = True  # this page alone may load Stripe.js (market/web/errors.py)
    return render_template("deals/pay.html", deal=item, payment=payment, checkout=checkout,
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY"),
                           return_url=url_for("deals.deal", deal_id=item.id, _external=True) + "#payments")
