"""The point operator's checks: verify a deal, withdraw that, confirm an amount, and the queue of what waits.

Each action is one service call committed once through run_action; a refusal changes nothing
and comes back as a flashed message on the deal page.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from market.core.errors import DomainError
from market.core.i18n import get_lang, t
from market.deals import evidence, verification
from market.deals.models import Deal
from market.deals.permissions import deal_for
from market.deals.views.blueprint import bp
from market.web.actions import run_action

ACTIONS = {
    "verify": (verification.verify_deal, "note", ("已核实该交易，记入台账", "Deal verified; the line is on the ledger")),
    "withdraw": (verification.withdraw_verification, "reason",
                 ("已撤销核实，记入台账", "Verification withdrawn; the line is on the ledger")),
    "confirm-amount": (verification.confirm_amount, "note",
                       ("已确认金额，该交易计入统计", "Amount confirmed; the deal now counts in the figures")),
}


def _deal(deal_id: int) -> Deal:
    try:
        return deal_for(current_user, deal_id)
    except DomainError:
        abort(404)


@bp.app_template_global("deal_evidence")
def deal_evidence(deal: Deal) -> dict:
    """What the deal page's evidence panel shows: the level, the documents with digests, the review state."""
    return {"level": deal.evidence_level, "documents": verification.evidence_documents(deal),
            "may_verify": verification.may_verify(current_user, deal),
            "awaits_amount_review": evidence.awaits_amount_review(deal),
            "amount_fen": evidence.contract_fen(deal), "review_line_fen": evidence.amount_review_fen(),
            "lines": [e for e in deal.events if e.kind in (*evidence.VERIFYING_EVENTS, "EVIDENCE_WITHDRAWN",
                                                          "AMOUNT_CONFIRMED")]}


@bp.post("/<int:deal_id>/evidence/<any(verify, withdraw, 'confirm-amount'):what>")
@login_required
def evidence_action(deal_id: int, what: str):
    item = _deal(deal_id)
    service, field, success = ACTIONS[what]
    done = run_action(lambda: service(current_user, item, request.form.get(field)))
    if done.error is not None:
        if done.error.status == 403:
            return render_template("errors/error.html", status=403, message=done.message), 403
        flash(done.message, "error")
    else:
        flash(t(*success), "success")
    return redirect(url_for("deals.deal", deal_id=deal_id) + "#evidence")


@bp.get("/review")
@login_required
def review():
    """待核实: amounts above the review line and counted deals not yet verified, for the operator or bureau."""
    try:
        queue = verification.review_queue(current_user)
    except DomainError as err:
        return render_template("errors/error.html", status=err.status, message=err.message(get_lang())), err.status
    return render_template("deals/review.html", queue=queue, review_line_fen=evidence.amount_review_fen(),
                           contract_fen=evidence.contract_fen)
