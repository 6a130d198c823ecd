"""Deal pages: the record of an open licence taken (licence, notice, fee, papers, ledger)."""

from __future__ import annotations

from flask import abort, current_app, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from market.core.extensions import db
from market.core.i18n import get_lang
from market.core.time import today_local
from market.deals import documents, settlement  # noqa: F401  (settlement registers the payment hook)
from market.deals.fees import FeeTerms
from market.deals.models import Deal
from market.deals.open_licence.extras import label, taken_services
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.permissions import deal_for, role_of
from market.deals.views.blueprint import bp
from market.deals.vocabulary import DealKind, DealStatus, LedgerEvent, PaymentKind, PaymentStatus
from market.payments.models import Payment


def deal_page_url(deal: Deal, anchor: str = "") -> str | None:
    """The deal page (receipts, checkout, confirmation of payments) when the app has one."""
    if "deals.deal" not in current_app.view_functions:
        return None
    return url_for("deals.deal", deal_id=deal.id) + (f"#{anchor}" if anchor else "")


def open_licence_context(deal: Deal) -> dict:
    """What the licence record and the deal page's open-licence panel show."""

    decl = db.session.get(OpenLicenceDeclaration, deal.declaration_id) if deal.declaration_id else None
    every = list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)
                                    .order_by(Payment.due_date, Payment.id)))
    # The patent fee and the technical services chosen with it are shown apart (issue 14; R-OL-8).
    payments = [p for p in every if p.kind != PaymentKind.SERVICE_FEE]
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return {"decl": decl, "payments": payments, "payments_url": deal_page_url(deal, "payments"),
            "services": taken_services(deal), "service_payments": [p for p in every if p.kind == PaymentKind.SERVICE_FEE],
            "service_label": label,
            "deal_url": deal_page_url(deal), "role": role_of(user, deal),
            "notice_event": documents.notice_event(deal), "deadline": documents.filing_deadline(deal),
            "today": today_local(), "fee": FeeTerms.from_dict(deal.fee_terms).describe(
                "en" if _lang() == "en" else "zh") if deal.fee_terms else "",
            "contract_no": documents.contract_number(deal)}


def _lang() -> str:
    return get_lang()


@bp.get("/<int:deal_id>/licence")
def licence(deal_id: int):
    deal = deal_for(current_user._get_current_object() if current_user.is_authenticated else None, deal_id)
    if deal.kind != DealKind.OPEN_LICENSE:
        abort(404)
    return render_template("deals/open_licence.html", deal=deal, **open_licence_context(deal))


@bp.app_context_processor
def inject() -> dict:
    # The deal page (another module's template) includes deals/_open_licence_panel.html with `deal`.
    return {"open_licence_context": open_licence_context, "deal_status": DealStatus, "ledger_event": LedgerEvent,
            "payment_kind": PaymentKind, "payment_status": PaymentStatus}
