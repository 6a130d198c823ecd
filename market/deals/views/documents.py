"""Deal papers: the contract (HTML and PDF), the written notice, the filing package.

Only the parties, the operator of the deal's point, the bureau (and the patent's co-owners, who
license with the seller) may read them; anyone else gets 404, as if the deal did not exist.
"""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user

from market.core.i18n import get_lang
from market.core.time import today_local
from market.deals import documents
from market.deals.documents import frozen as frozen_page
from market.deals.models import ContractText, Deal
from market.deals.negotiation import signature
from market.deals.permissions import deal_for
from market.deals.views.blueprint import bp


def _deal(deal_id: int) -> Deal:
    return deal_for(current_user._get_current_object() if current_user.is_authenticated else None, deal_id)


def _pdf(doc: documents.Document, name: str) -> Response:
    response = Response(documents.render_pdf(doc), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(template: str, deal: Deal, doc: documents.Document, **extra) -> Response:
    response = Response(render_template(template, deal=deal, doc=doc, **extra))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _frozen(deal: Deal) -> ContractText | None:
    """The text under signature: signed by both, or frozen by the first signer (never re-rendered)."""
    return signature.signed_text(deal) or signature.open_text(deal)


def frozen_response(data: bytes, mimetype: str, name: str = "") -> Response:
    """Contract bytes served exactly as hashed: no template, the frozen page's CSP, never cached."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = frozen_page.CSP
    if name:
        response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:deal_id>/contract")
def contract(deal_id: int):
    deal = _deal(deal_id)
    frozen = _frozen(deal)
    if frozen is not None:
        return frozen_response(frozen.html, "text/html")
    return _page("deals/documents/contract.html", deal, documents.contract(deal, get_lang()))


@bp.get("/<int:deal_id>/contract.pdf")
def contract_pdf(deal_id: int):
    deal = _deal(deal_id)
    frozen = _frozen(deal)
    if frozen is not None:
        return frozen_response(frozen.pdf, "application/pdf", f"contract-{documents.contract_number(deal)}.pdf")
    return _pdf(documents.contract(deal, get_lang()), f"contract-{documents.contract_number(deal)}")


@bp.get("/<int:deal_id>/notice")
def notice(deal_id: int):
    deal = _deal(deal_id)
    return _page("deals/documents/notice.html", deal, documents.notice(deal, get_lang()))


@bp.get("/<int:deal_id>/notice.pdf")
def notice_pdf(deal_id: int):
    deal = _deal(deal_id)
    return _pdf(documents.notice(deal, get_lang()), f"notice-{documents.contract_number(deal)}")


@bp.get("/<int:deal_id>/filing-package")
def filing_package(deal_id: int):
    deal = _deal(deal_id)
    today = today_local()
    return _page("deals/documents/filing_package.html", deal, documents.filing_package(deal, get_lang(), today),
                 deadline=documents.filing_deadline(deal), today=today)


@bp.get("/<int:deal_id>/filing-package.pdf")
def filing_package_pdf(deal_id: int):
    deal = _deal(deal_id)
    return _pdf(documents.filing_package(deal, get_lang()), f"filing-{documents.contract_number(deal)}")
