"""Negotiated deals on the JSON API (routes on market.web.api.bp): list, read with ledger, request, act."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from listings.services import get_listing
from market.core.errors import Conflict, DomainError, NotFound
from market.core.extensions import db
from market.core.i18n import get_lang
from market.deals import negotiation as n
from market.deals.hooks import own_demand
from market.deals.models import Deal, DealEvent
from market.deals.negotiation import ending, verification
from market.deals.negotiation.common import stale_as_conflict
from market.deals.negotiation.schemas import (
    AcceptIn,
    DealDetailOut,
    DealOut,
    DealRequestIn,
    EndingAnswerIn,
    EndingIn,
    FilingIn,
    OfferIn,
    ReasonIn,
    RegistrationIn,
    SignIn,
)
from market.deals.permissions import deal_for
from market.deals.vocabulary import DealStatus
from market.web.api import body_of, route
from market.web.api import bp as api_bp
from market.web.errors import json_error
from market.web.openapi import describe

TAG = "deals"


def _me():
    return current_user._get_current_object()


def _deal(id: int) -> Deal:
    return deal_for(_me(), id)


def _detail(deal: Deal) -> dict:
    deal.checklist_out = [{"code": s.step.code, "rule": s.step.rule, "title": s.step.title(_lang()), "done": s.done,
                           "basis": s.step.basis(_lang()), "sign_from": s.waiting_until}
                          for s in n.checklist(deal)] if deal.kind != "OPEN_LICENSE" else []
    deal.payments_out = n.payments_of(deal)
    deal.contract_out = {"sha256": None, "frozen": False, "signed_by": [], "pdf_sha256": None}
    signed = n.signed_text(deal)
    if signed is not None:
        deal.contract_out = {"sha256": signed.sha256, "frozen": True, "pdf_sha256": signed.pdf_sha256,
                             "signed_by": [s.side for s in signed.signatures]}
    elif deal.status in (DealStatus.AGREED, DealStatus.APPROVALS):
        state = n.to_sign(deal)
        deal.contract_out = {"sha256": state.sha256, "frozen": state.frozen is not None, "signed_by": state.signed_by,
                             "pdf_sha256": state.frozen.pdf_sha256 if state.frozen else None}
    deal.filing_evidence = verification.state(deal, verification.FILING)
    deal.registration_evidence = verification.state(deal, verification.REGISTRATION)
    # The ledger as stored, in order (the relationship may hold lines added in this request).
    deal.ledger_out = list(db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id)
                                          .order_by(DealEvent.seq)))
    return DealDetailOut().dump(deal)


def _commit() -> None:
    with stale_as_conflict():
        db.session.commit()


@api_bp.errorhandler(StaleDataError)
def changed_meanwhile(err: StaleDataError):
    """A row with a version (a deal, a payment) changed under this request: 409, never a 500."""
    db.session.rollback()
    conflict = Conflict("deal.changed", "记录刚刚被他人更新，请重新读取后再试。",
                        "The record was just changed by someone else; read it again and retry.")
    return json_error(409, conflict.code, conflict.message(_lang()))


def _lang() -> str:
    return get_lang()


@route("/deals", summary="Deals of your organisation (as seller or buyer), newest first", tag=TAG, auth=True,
       response=DealOut, many=True)
def deal_list():
    org_id = current_user.organisation_id
    query = select(Deal).where(or_(Deal.seller_org_id == org_id, Deal.buyer_org_id == org_id))
    status = request.args.get("status")
    if status:
        if status not in DealStatus.__members__:
            raise DomainError("bad_query", "参数 status 无效", "Unknown status", field="status", status=400)
        query = query.where(Deal.status == status)
    return DealOut(many=True).dump(db.session.scalars(query.order_by(Deal.id.desc()).limit(500)).all())


@route("/deals/<int:id>", summary="One deal with its offers, approvals, payments and ledger", tag=TAG, auth=True,
       response=DealDetailOut)
def deal_get(id: int):
    return _detail(_deal(id))


@route("/deals", methods=("POST",), summary="Request a licence, transfer or equity deal on a published listing "
       "(or take a fixed-price listing on its listed terms)", tag=TAG, auth=True, body=DealRequestIn,
       response=DealDetailOut, status=201)
def deal_create():
    args = body_of(DealRequestIn())
    try:
        listing = get_listing(args["listing_id"])
    except NotFound:
        raise NotFound("listing_not_found", "挂牌不存在", "No such listing", field="listing_id") from None
    demand = None
    if args["demand_id"] is not None:
        demand = own_demand(args["demand_id"], current_user.organisation_id)
        if demand is None:
            raise NotFound("demand_not_found", "需求不存在", "No such demand", field="demand_id")
    if args["accept_listed_terms"]:
        deal = n.accept_listed_terms(_me(), listing, args["kind"], start_date=args["start_date"],
                                     end_date=args["end_date"], message=args["message"], demand=demand)
    else:
        deal = n.request_deal(_me(), listing, args["kind"], terms=args["terms"], message=args["message"],
                              demand=demand)
    _commit()
    return _detail(deal), 201


@route("/deals/<int:id>/offers", methods=("POST",), summary="Make an offer or counter-offer", tag=TAG, auth=True,
       body=OfferIn, response=DealDetailOut, status=201)
def deal_offer(id: int):
    deal = _deal(id)
    args = body_of(OfferIn())
    message = args.pop("message")
    n.make_offer(_me(), deal, args, message)
    _commit()
    return _detail(deal), 201


@route("/deals/<int:id>/accept", methods=("POST",), summary="Accept the offer on the table (the other party's)",
       tag=TAG, auth=True, body=AcceptIn, response=DealDetailOut)
def deal_accept(id: int):
    deal = _deal(id)
    args = body_of(AcceptIn())
    n.accept_offer(_me(), deal, args["offer_id"])
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/decline", methods=("POST",), summary="End a negotiation without agreement", tag=TAG,
       auth=True, body=ReasonIn, response=DealDetailOut)
def deal_decline(id: int):
    deal = _deal(id)
    n.decline(_me(), deal, body_of(ReasonIn())["reason"])
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/cancel", methods=("POST",), summary="Call off a deal before signature (rights released)",
       tag=TAG, auth=True, body=ReasonIn, response=DealDetailOut)
def deal_cancel(id: int):
    deal = _deal(id)
    n.cancel(_me(), deal, body_of(ReasonIn())["reason"])
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/void", methods=("POST",), summary="Void a mistaken deal with a reason (parties or the "
       "bureau); the ledger keeps it", tag=TAG, auth=True, body=ReasonIn, response=DealDetailOut)
def deal_void(id: int):
    deal = _deal(id)
    n.void_deal(_me(), deal, body_of(ReasonIn())["reason"])
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/sign", methods=("POST",), summary="Sign: confirm the SHA-256 of the contract text (both parties; signed when both confirmed one text)",
       tag=TAG, auth=True, body=SignIn, response=DealDetailOut)
def deal_sign(id: int):
    deal = _deal(id)
    args = body_of(SignIn())
    n.sign_contract(_me(), deal, args["sha256"])
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/filing", methods=("POST",), summary="Record the CNIPA filing of a licence contract",
       tag=TAG, auth=True, body=FilingIn, response=DealDetailOut)
def deal_filing(id: int):
    deal = _deal(id)
    args = body_of(FilingIn())
    n.record_filing(deal, args["record_no"], args["filing_date"], _me())
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/registration", methods=("POST",), summary="Record the CNIPA registration of a transfer "
       "or equity contribution (it takes effect that day)", tag=TAG, auth=True, body=RegistrationIn,
       response=DealDetailOut)
def deal_registration(id: int):
    deal = _deal(id)
    args = body_of(RegistrationIn())
    n.record_registration(_me(), deal, args["registered_on"], args["registration_no"],
                          application_number=args.get("application_number"))
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/ending", methods=("POST",), summary="Propose to terminate or rescind a deal in effect or "
       "paid, with its legal grounds (the other party confirms; a deal in effect is never voided)", tag=TAG,
       auth=True, body=EndingIn, response=DealDetailOut)
def deal_ending(id: int):
    deal = _deal(id)
    args = body_of(EndingIn())
    ending.propose_ending(_me(), deal, args["ground"], args["explanation"], args["refund_fen"])
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/ending/answer", methods=("POST",), summary="Confirm or decline the other party's proposal "
       "to terminate or rescind", tag=TAG, auth=True, body=EndingAnswerIn, response=DealDetailOut)
def deal_ending_answer(id: int):
    deal = _deal(id)
    args = body_of(EndingAnswerIn())
    ending.answer_ending(_me(), deal, args["accept"], args["reason"])
    _commit()
    return _detail(deal)


@route("/deals/<int:id>/consent", methods=("POST",), summary="A co-owner on the platform consents to the deal "
       "from its own account (R-LC-4, R-TR-3)", tag=TAG, auth=True, response=DealDetailOut)
def deal_consent(id: int):
    deal = _deal(id)
    n.record_consent(_me(), deal, "")
    _commit()
    return _detail(deal)


for _endpoint in ("deal_get", "deal_offer", "deal_accept", "deal_decline", "deal_cancel", "deal_void", "deal_sign",
                  "deal_filing", "deal_registration", "deal_ending", "deal_ending_answer", "deal_consent"):
    describe(_endpoint, errors=[403, 404, 409])
describe("deal_create", errors=[403, 404, 409])
describe("deal_accept", body_required=False, errors=[403, 404, 409])
describe("deal_list", params=[{"name": "status", "in": "query", "required": False,
                               "schema": {"type": "string", "enum": [s.value for s in DealStatus]}}])
