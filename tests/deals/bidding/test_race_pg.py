"""Twenty bidders bid the same amount at the same instant, round after round, on PostgreSQL.

Real threads, real connections, real commits (the app and schema of tests/deals/test_concurrency_pg):
each round every bidder reads the same next minimum bid, waits at a barrier and bids it. Exactly
one bid per round may be accepted; every acknowledged (committed) bid must be in the table; the
accepted bids strictly increase in acceptance order; the close makes exactly one winner.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import User
from market.core.db import utcnow
from market.core.extensions import db
from market.deals.exchange import bidding
from market.deals.exchange.models import Bid, Lot, LotEvent, LotStatus
from market.deals.models import Deal
from tests.concurrently import at_once
from tests.deals.bidding.world import world
from tests.deals.test_concurrency_pg import CONTENDERS, pg_app  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres
ROUNDS = 4


def test_simultaneous_equal_bids_one_accepted_per_round_none_lost_one_winner(pg_app):  # noqa: F811
    with pg_app.app_context():
        w = world(bidders=CONTENDERS, deposit_fen=0, extension_minutes=0)
        lot_id, user_ids = w.lot.id, [u.id for u in w.bidders]
        db.session.commit()
        db.session.remove()

    def bidder(user_id: int, start) -> tuple:
        user = db.session.get(User, user_id)
        lot = db.session.get(Lot, lot_id)
        amount = bidding.state_of(db.session, lot).next_min_fen
        db.session.commit()  # everyone bids from the same committed state
        start()
        bid = bidding.place_bid(db.session, lot, user, amount, at=utcnow())
        return ("ack", (bid.seq, bid.amount_fen, user_id))

    outcomes = [o for _ in range(ROUNDS)
                for o in at_once(pg_app, user_ids, bidder, refused=lambda key, err: ("refused", err.code))]
    acks = [o[1] for o in outcomes if o[0] == "ack"]
    refusals = [o[1] for o in outcomes if o[0] == "refused"]
    errors = [o for o in outcomes if o[0] == "error"]
    assert errors == []
    # One acceptance per round: everyone bid the same amount, the first committed took it.
    assert len(acks) == ROUNDS and len(refusals) == ROUNDS * (CONTENDERS - 1)
    assert set(refusals) <= {"bid_too_low", "bid_already_leading"}
    with pg_app.app_context():
        stored = db.session.execute(select(Bid.seq, Bid.amount_fen, Bid.placed_by_id)
                                    .where(Bid.lot_id == lot_id).order_by(Bid.seq)).all()
        assert [tuple(r) for r in stored] == sorted(acks)  # every acknowledged bid, nothing else
        amounts = [r.amount_fen for r in stored]
        assert all(b > a for a, b in zip(amounts, amounts[1:]))
        lot = db.session.get(Lot, lot_id)
        deal = bidding.close_bidding(db.session, lot, at=lot.bidding_closes_at + timedelta(seconds=1))
        db.session.commit()
        assert lot.status == LotStatus.AWARDED and deal.price_fen == amounts[-1]
        assert db.session.get(User, stored[-1].placed_by_id).organisation_id == deal.buyer_org_id
        assert len(db.session.scalars(select(Deal.id).where(Deal.listing_id == lot.listing_id)).all()) == 1
        assert db.session.scalars(select(LotEvent.kind).where(LotEvent.lot_id == lot_id,
                                                              LotEvent.kind == "BID")).all() == ["BID"] * ROUNDS
        db.session.remove()
