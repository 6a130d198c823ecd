"""Lots on the JSON API (routes on market.web.api.bp): the public list and notice, opening, registering."""

from __future__ import annotations

from flask_login import current_user

from listings.services import get_listing
from market.core.db import utcnow
from market.core.errors import NotFound
from market.core.extensions import db
from market.deals.exchange import lots, public, registrations
from market.deals.exchange.schemas import LotApiInput, LotOut, RegistrationInput, RegistrationOut
from market.web.actions import run_action, run_api_action
from market.web.api import body_of, route

TAG = "lots"


def _lot(id: int):
    run_action(lambda: lots.settle_due_lots(db.session, at=utcnow()))
    lot = public.lot_or_none(db.session, id)
    if lot is None:
        raise NotFound("lot_not_found", "挂牌项目不存在", "No such lot")
    return lot


@route("/lots", summary="Lots on the exchange (挂牌交易/拍卖): live ones first; registrants are never named", tag=TAG,
       response=LotOut, many=True)
def lot_list():
    run_action(lambda: lots.settle_due_lots(db.session, at=utcnow()))
    now = utcnow()
    return LotOut(many=True).dump([public.summary(x, now) for x in public.list_lots(db.session)])


@route("/lots/<int:id>", summary="One lot: terms, period end and working days left, how many registered", tag=TAG,
       response=LotOut)
def lot_get(id: int):
    return LotOut().dump(public.summary(_lot(id), utcnow()))


@route("/lots", methods=("POST",), summary="Open a lot on a published listing (its seller's or point operator's "
       "administrator); amounts in fen, the period in working days", tag=TAG, auth=True, body=LotApiInput,
       response=LotOut, status=201)
def lot_create():
    args = body_of(LotApiInput())
    try:
        listing = get_listing(args.pop("listing_id"))
    except NotFound:
        raise NotFound("listing_not_found", "挂牌不存在", "No such listing", field="listing_id") from None
    user = current_user._get_current_object()
    lot = run_api_action(lambda: lots.open_lot(db.session, user, listing, args, at=utcnow()))
    return LotOut().dump(public.summary(lot, utcnow())), 201


@route("/lots/<int:id>/registrations", methods=("POST",), summary="Register your organisation as an intending "
       "buyer (administrator); the deposit falls due", tag=TAG, auth=True, body=RegistrationInput,
       response=RegistrationOut, status=201)
def lot_register(id: int):
    lot = _lot(id)
    args = body_of(RegistrationInput())
    user = current_user._get_current_object()
    reg = run_api_action(lambda: registrations.register(db.session, user, lot, args["statement"], at=utcnow()))
    return RegistrationOut().dump(reg), 201
