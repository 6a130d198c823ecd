"""Deal pages for the steps that must not be self-declared: signature, confirmations, ending.

The signature page states what is signed, with whom and for how much, and the text's SHA-256;
the point operator confirms an absent co-owner's consent or a certificate; a deal in effect ends
by a proposal the other party confirms, or by the bureau's decision (issue 12 §2).
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from market.core.errors import DomainError
from market.core.money import AmountError, parse_yuan
from market.deals import negotiation as n
from market.deals.negotiation import ending, signature, verification
from market.deals.permissions import can_act
from market.deals.views.blueprint import bp
from market.deals.views.documents import frozen_response
from market.deals.views.negotiated import act, deal_or_404
from market.deals.vocabulary import DocumentKind


@bp.get("/<int:deal_id>/sign")
@login_required
def sign_page(deal_id: int):
    """The confirmation: the text, its hash, the counterpart and the amount; nothing changes on GET."""
    item = deal_or_404(deal_id)
    if not can_act(current_user, item):
        abort(403)
    state = signature.to_sign(item)
    side = item.party_of(current_user.organisation_id)
    other = item.buyer if side == "seller" else item.seller
    return render_template("deals/sign.html", deal=item, state=state, other=other, side=side,
                           kind=signature.kind_words(item))


@bp.get("/<int:deal_id>/sign/text")
@login_required
def sign_text(deal_id: int):
    """The exact bytes whose hash the signature page shows (frozen, or as they would be frozen now)."""
    item = deal_or_404(deal_id)
    return frozen_response(signature.to_sign(item).html, "text/html")


@bp.post("/<int:deal_id>/sign")
@login_required
def sign(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        if request.form.get("confirm") != "1":
            raise DomainError("deal.sign_confirm", "请勾选确认您已阅读并同意该合同文本。",
                              "Tick the box to confirm you read and accept this text.", field="confirm")
        sha = signature.require_hash(request.form.get("sha256", ""))
        n.sign_contract(current_user, item, sha, stored.take(item, DocumentKind.SIGNED_CONTRACT))

    return act(item, run, ("已在平台签署合同文本", "You signed the contract text on the platform"), anchor="sign")


@bp.post("/<int:deal_id>/consent-confirm")
@login_required
def consent_confirm(deal_id: int):
    item = deal_or_404(deal_id)
    return act(item, lambda stored: n.confirm_consent(current_user, item, request.form.get("owner", ""),
                                                       request.form.get("reason", "")),
               ("已确认共有人的书面同意", "The co-owner's consent is confirmed"), anchor="approvals", may_upload=False)


@bp.post("/<int:deal_id>/verify/<any(filing, registration):what>")
@login_required
def verify_certificate(deal_id: int, what: str):
    item = deal_or_404(deal_id)
    raw = request.form.get("document_id", "")
    document_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    return act(item, lambda stored: verification.confirm_certificate(current_user, item, what, document_id,
                                                                     request.form.get("reason", "")),
               ("已核实", "Verified"), anchor="filing" if what == "filing" else "registration", may_upload=False)


def _refund() -> int:
    try:
        return parse_yuan(request.form.get("refund")) or 0
    except AmountError:
        raise DomainError("deal.refund_amount", "退款金额格式不正确，请填写元（如 1200.50）。",
                          "The refund is in yuan, e.g. 1200.50.", field="refund") from None


@bp.post("/<int:deal_id>/ending")
@login_required
def ending_propose(deal_id: int):
    item = deal_or_404(deal_id)

    def run(stored):
        ground, why = request.form.get("ground", ""), request.form.get("explanation", "")
        if current_user.organisation and item.party_of(current_user.organisation_id) is None:
            ending.decide_ending(current_user, item, ground, why, stored.take(item, DocumentKind.OTHER), _refund())
        else:
            ending.propose_ending(current_user, item, ground, why, _refund(), stored.take(item, DocumentKind.OTHER))

    return act(item, run, ("已记录", "Recorded"), anchor="ending", may_upload=False)


@bp.post("/<int:deal_id>/ending/answer")
@login_required
def ending_answer(deal_id: int):
    item = deal_or_404(deal_id)
    accept = request.form.get("accept") == "1"
    return act(item, lambda stored: ending.answer_ending(current_user, item, accept, request.form.get("reason", "")),
               ("已答复", "Answered"), anchor="ending", may_upload=False)
