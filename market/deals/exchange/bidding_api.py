"""Bidding on the JSON API (routes on market.web.api.bp): the viewer's board, and placing a bid.

Amounts are integer fen (`amount_fen`), as everywhere on the API; a float, NaN or Infinity is
refused before the engine sees it. The board is the same one the page shows (market.deals.
exchange.board): other bidders anonymised, sealed amounts hidden until the close, no reserve.
"""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from market.core.db import utcnow
from market.core.extensions import db
from market.core.money import MAX_FEN
from market.core.schemas import BaseSchema
from market.deals.exchange import bidding
from market.deals.exchange.bidding_views import settle_if_due
from market.deals.exchange.board import board, lot_for
from market.web.actions import run_api_action
from market.web.api import body_of, route


class BidInputSchema(BaseSchema):
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_FEN),
                                metadata={"description": "The bid in fen (1 元 = 100), a whole number"})


class BidLineSchema(BaseSchema):
    seq = fields.Integer()
    bidder = fields.String(metadata={"description": "竞买人N for other bidders; the viewer's own is marked `mine`"})
    mine = fields.Boolean()
    amount_fen = fields.Integer(allow_none=True, metadata={"description": "null while a sealed bidding runs"})
    placed_at = fields.String()


class BoardSchema(BaseSchema):
    """The bidding as the caller may see it (never the reserve price)."""

    lot_id = fields.Integer()
    status = fields.String()
    format = fields.String(metadata={"description": "ASCENDING or SEALED"})
    method = fields.String(metadata={"description": "LISTING (挂牌) or AUCTION"})
    server_now = fields.String()
    opens_at = fields.String()
    closes_at = fields.String()
    seconds_left = fields.Integer()
    price_fen = fields.Integer()
    increment_fen = fields.Integer()
    current_fen = fields.Integer(allow_none=True)
    next_min_fen = fields.Integer(allow_none=True)
    bids_count = fields.Integer()
    can_bid = fields.Boolean()
    my_registration = fields.String(allow_none=True)
    my_bid_fen = fields.Integer(allow_none=True)
    leading = fields.Boolean()
    bids = fields.List(fields.Nested(BidLineSchema))
    result = fields.Dict(allow_none=True, metadata={"description": "After the close: status, winner, won, price_fen, "
                                                                   "deal_id (for the parties)"})


class BidPlacedSchema(BaseSchema):
    """The accepted bid (its order of acceptance and amount) and the price after it; the board is
    GET /lots/<id>/bidding."""

    bid = fields.Nested(BidLineSchema)
    current_fen = fields.Integer(allow_none=True)
    next_min_fen = fields.Integer()
    closes_at = fields.String()


@route("/lots/<int:lot_id>/bidding", tag="lots", auth=True, response=BoardSchema,
       summary="A lot's bidding as you may see it: price, next minimum bid, time left, bids (others anonymised), "
               "the result after the close")
def bidding_board_api(lot_id: int):
    lot, role = lot_for(db.session, current_user, lot_id)
    settle_if_due(lot)
    return BoardSchema().dump(board(db.session, lot, current_user, role, now=utcnow(), you="您").as_json())


@route("/lots/<int:lot_id>/bids", methods=("POST",), tag="lots", auth=True, body=BidInputSchema,
       response=BidPlacedSchema, status=201,
       summary="Bid on a lot (a qualified bidder, during the bidding window; binding)")
def place_bid_api(lot_id: int):
    lot, role = lot_for(db.session, current_user, lot_id)
    amount = body_of(BidInputSchema())["amount_fen"]
    user = current_user._get_current_object()

    def bid_and_answer() -> dict:
        bid = bidding.place_bid(db.session, lot, user, amount, at=utcnow())
        # The answer as it stands under the lot's lock, before the commit (which would expire the
        # lot and the bid, and cost three queries to read them and the price again).
        state = bidding.state_after(lot, bid)
        return {"bid": {"seq": bid.seq, "bidder": "您", "mine": True, "amount_fen": bid.amount_fen,
                        "placed_at": bid.placed_at.isoformat() + "Z"},
                "current_fen": state.current_fen, "next_min_fen": state.next_min_fen,
                "closes_at": lot.bidding_closes_at.isoformat() + "Z"}

    return BidPlacedSchema().dump(run_api_action(bid_and_answer)), 201
