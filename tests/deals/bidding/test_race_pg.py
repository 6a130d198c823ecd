"""Twenty bidders bid the same amount at the same instant, round after round, on PostgreSQL.

Real threads, real connections, real commits (the app and schema of tests/deals/test_concurrency_pg):
each round every bidder reads the same next minimum bid, waits at a barrier and bids it. Exactly
one bid per round may be accepted; every acknowledged (committed) bid must be in the table; the
accepted bids strictly increase in acceptance order; the close makes exactly one winner.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import User
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.deals.exchange import bidding
from market.deals.exchange.models import Bid, Lot, LotEvent, LotStatus
from market.deals.models import Deal
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
    barrier = threading.Barrier(CONTENDERS)
    acks: list[tuple[int, int, int]] = []
    refusals: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def bidder(user_id: int):
        with pg_app.app_context():
            for _ in range(ROUNDS):
                try:
                    user = db.session.get(User, user_id)
                    lot = db.session.get(Lot, lot_id)
                    amount = bidding.state_of(db.session, lot).next_min_fen
                    db.session.commit()  # everyone bids from the same committed state
                    barrier.wait(timeout=60)
                    bid = bidding.place_bid(db.session, lot, user, amount, at=utcnow())
                    db.session.commit()
                    with lock:
                        acks.append((bid.seq, bid.amount_fen, user_id))
                except DomainError as err:
                    db.session.rollback()
                    with lock:
                        refusals.append(err.code)
                except Exception as err:  # noqa: BLE001  (reported by the assertion below)
                    db.session.rollback()
                    with lock:
                        errors.append(repr(err))
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=bidder, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads)
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
