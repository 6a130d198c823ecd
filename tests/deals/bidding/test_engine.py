"""The bidding engine: who may bid, how much, when; the close; refusals write nothing."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError, IntegrityError

from market.core.errors import DomainError
from market.core.extensions import db
from market.deals.exchange import bidding, lots
from market.deals.exchange.models import (
    Bid,
    BiddingFormat,
    DepositStatus,
    LotEvent,
    LotMethod,
    LotStatus,
    RegistrationStatus,
)
from tests import factories as f
from tests.deals.bidding.world import person, world
from tests.deals.exchange.lots_world import register


def _bids(lot) -> list[tuple[int, int]]:
    return [(b.seq, b.amount_fen) for b in db.session.scalars(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.seq))]


def _refused(w, code: str, call) -> DomainError:
    """The call is refused with `code`, and neither a bid nor a ledger line was written."""
    before = (len(_bids(w.lot)), db.session.scalar(select(func.count(LotEvent.id)).where(LotEvent.lot_id == w.lot.id)))
    with db.session.begin_nested() as nested:
        with pytest.raises(DomainError) as caught:
            call()
        nested.rollback()
    assert caught.value.code == code, caught.value.code
    assert caught.value.zh and caught.value.en and caught.value.zh != caught.value.en
    after = (len(_bids(w.lot)), db.session.scalar(select(func.count(LotEvent.id)).where(LotEvent.lot_id == w.lot.id)))
    assert after == before
    return caught.value


def test_start_bidding_opens_the_window_and_writes_a_ledger_line(session):
    w = world(start=False)
    bidding.start_bidding(session, w.lot, at=w.now)
    assert w.lot.status == LotStatus.BIDDING
    assert w.lot.bidding_closes_at - w.lot.bidding_opens_at == timedelta(minutes=60)
    kinds = session.scalars(select(LotEvent.kind).where(LotEvent.lot_id == w.lot.id).order_by(LotEvent.seq)).all()
    assert kinds[-1] == "BIDDING_STARTED" and "BIDDING_STARTED" not in kinds[:-1]


def test_a_window_set_in_the_past_opens_now_with_its_length(session):
    w = world(start=False)
    late = w.now + timedelta(hours=3)
    bidding.start_bidding(session, w.lot, at=late)
    assert w.lot.bidding_opens_at == late and w.lot.bidding_closes_at == late + timedelta(minutes=60)


def test_listing_needs_two_qualified_bidders_an_auction_one(session):
    w = world(bidders=1, start=False)
    _refused(w, "bidding_too_few_bidders", lambda: bidding.start_bidding(session, w.lot, at=w.now))
    assert w.lot.status == LotStatus.OPEN
    a = world(bidders=1, start=False, method=LotMethod.AUCTION, reserve_fen=2_000_000)
    bidding.start_bidding(session, a.lot, at=a.now)
    assert a.lot.status == LotStatus.BIDDING


def test_an_unpaid_deposit_does_not_count_towards_starting(session):
    w = world(bidders=1, start=False)
    register(w.lot, person(f.organisation(org_type="PRIVATE")), pay=False)
    _refused(w, "bidding_too_few_bidders", lambda: bidding.start_bidding(session, w.lot, at=w.now))


def test_ascending_first_bid_at_the_price_then_each_by_the_increment(session):
    w = world()
    _refused(w, "bid_too_low", lambda: w.bid(0, 9_999))
    w.bid(0, 10_000)
    _refused(w, "bid_too_low", lambda: w.bid(1, 10_099))
    _refused(w, "bid_too_low", lambda: w.bid(1, 10_000))  # equal to the current price loses
    w.bid(1, 10_100)
    w.bid(2, 12_000)
    assert _bids(w.lot) == [(1, 1_000_000), (2, 1_010_000), (3, 1_200_000)]
    state = bidding.state_of(session, w.lot)
    assert (state.current_fen, state.next_min_fen, state.bids) == (1_200_000, 1_210_000, 3)


def test_the_leader_cannot_raise_against_itself(session):
    w = world()
    w.bid(0, 10_000)
    _refused(w, "bid_already_leading", lambda: w.bid(0, 11_000))


def test_bids_before_the_opening_or_at_and_after_the_close_are_refused(session):
    w = world()
    _refused(w, "bid_not_open", lambda: w.bid(0, 10_000, minutes=-1))
    _refused(w, "bid_closed", lambda: w.bid(0, 10_000, minutes=60))
    _refused(w, "bid_closed", lambda: w.bid(0, 10_000, minutes=600))


def test_a_lot_not_yet_bidding_refuses_bids(session):
    w = world(start=False)
    _refused(w, "bid_not_open", lambda: w.bid(0, 10_000))


def test_a_bid_in_the_last_minutes_extends_the_close(session):
    w = world(extension_minutes=5)
    close = w.lot.bidding_closes_at
    w.bid(0, 10_000, minutes=50)  # ten minutes before the close: no extension
    assert w.lot.bidding_closes_at == close
    w.bid(1, 10_100, minutes=57)
    assert w.lot.bidding_closes_at == close + timedelta(minutes=5)
    w.bid(0, 10_200, minutes=61)  # after the original close, inside the extended one
    assert w.lot.bidding_closes_at == close + timedelta(minutes=10)
    kinds = session.scalars(select(LotEvent.kind).where(LotEvent.lot_id == w.lot.id).order_by(LotEvent.seq)).all()
    assert kinds.count("BIDDING_EXTENDED") == 2


def test_unqualified_unpaid_refused_and_withdrawn_registrations_cannot_bid(session):
    w = world(bidders=4)
    w.registrations[0].status = RegistrationStatus.REFUSED
    w.registrations[1].deposit_status = DepositStatus.DUE
    w.registrations[2].status = RegistrationStatus.WITHDRAWN
    session.flush()
    _refused(w, "bid_not_qualified", lambda: w.bid(0, 10_000))
    _refused(w, "bid_deposit_unpaid", lambda: w.bid(1, 10_000))
    _refused(w, "bid_not_qualified", lambda: w.bid(2, 10_000))
    stranger = person(f.organisation(org_type="PRIVATE"))
    _refused(w, "bid_not_qualified", lambda: bidding.place_bid(session, w.lot, stranger, 1_000_000, at=w.at(1)))
    w.bid(3, 10_000)


def test_the_seller_and_the_point_operator_cannot_bid_even_if_registered(session):
    w = world()
    register(w.lot, w.seller)
    register(w.lot, w.operator)
    colleague = person(w.seller.organisation)
    for user in (w.seller, colleague, w.operator):
        _refused(w, "bid_own_lot", lambda u=user: bidding.place_bid(session, w.lot, u, 1_000_000, at=w.at(1)))


@pytest.mark.parametrize(("amount", "code"), [
    (math.nan, "bid_not_finite"), (math.inf, "bid_not_finite"), (-math.inf, "bid_not_finite"),
    (1_000_000.0, "bid_not_fen"), (1_000_000.5, "bid_not_fen"), ("1000000", "bid_not_fen"), (True, "bid_not_fen"),
    (-1_000_000, "bid_not_positive"), (0, "bid_not_positive"), (10**14, "bid_too_large")])
def test_amounts_that_are_not_whole_positive_fen_are_refused(session, amount, code):
    w = world()
    err = _refused(w, code, lambda: bidding.place_bid(session, w.lot, w.bidders[0], amount, at=w.at(1)))
    assert err.field == "amount"


def test_sealed_one_bid_each_at_least_the_price_with_no_increment_rule(session):
    w = world(fmt=BiddingFormat.SEALED)
    _refused(w, "bid_too_low", lambda: w.bid(0, 9_999))
    w.bid(0, 10_000)
    w.bid(1, 10_000)  # equal sealed bids are both accepted; the earlier one wins the tie
    _refused(w, "bid_sealed_twice", lambda: w.bid(0, 20_000))
    state = bidding.state_of(session, w.lot)
    assert state.current_fen is None and state.next_min_fen == 1_000_000
    assert all(b.sealed for b in session.scalars(select(Bid).where(Bid.lot_id == w.lot.id)))


def test_sealed_bids_do_not_extend_the_close(session):
    w = world(fmt=BiddingFormat.SEALED)
    close = w.lot.bidding_closes_at
    w.bid(0, 10_000, minutes=59)
    assert w.lot.bidding_closes_at == close


def test_close_before_the_close_is_refused(session):
    w = world()
    _refused(w, "bidding_not_closed", lambda: bidding.close_bidding(session, w.lot, at=w.at(59)))


def test_close_awards_the_highest_ascending_bid(session):
    w = world()
    w.bid(0, 10_000)
    w.bid(1, 10_500)
    deal = bidding.close_bidding(session, w.lot, at=w.at(60))
    assert w.lot.status == LotStatus.AWARDED
    assert (deal.buyer_org_id, deal.price_fen) == (w.bidders[1].organisation_id, 1_050_000)
    assert deal.price_formed_by == "LISTING" and w.lot.deal_id == deal.id
    assert [r.deposit_status for r in w.registrations] == ["REFUNDED", "APPLIED", "REFUNDED"]
    _refused(w, "bidding_not_running", lambda: bidding.close_bidding(session, w.lot, at=w.at(61)))


def test_sealed_tie_goes_to_the_bid_accepted_first(session):
    w = world(fmt=BiddingFormat.SEALED)
    w.bid(2, 11_000)
    w.bid(1, 12_000)
    w.bid(0, 12_000)
    deal = bidding.close_bidding(session, w.lot, at=w.at(60))
    assert (deal.buyer_org_id, deal.price_fen) == (w.bidders[1].organisation_id, 1_200_000)


def test_no_bids_is_no_sale(session):
    w = world()
    assert bidding.close_bidding(session, w.lot, at=w.at(60)) is None
    assert w.lot.status == LotStatus.UNSOLD


def test_an_auction_below_its_reserve_is_no_sale_and_at_the_reserve_a_sale(session):
    w = world(method=LotMethod.AUCTION, reserve_fen=1_500_000)
    w.bid(0, 10_000)
    w.bid(1, 14_900)
    assert bidding.close_bidding(session, w.lot, at=w.at(60)) is None
    assert w.lot.status == LotStatus.UNSOLD
    a = world(method=LotMethod.AUCTION, reserve_fen=1_500_000)
    a.bid(0, 15_000)
    assert bidding.close_bidding(session, a.lot, at=a.at(60)).price_fen == 1_500_000


def test_the_database_refuses_a_second_ascending_bid_of_one_amount_and_a_second_sealed_bid(session):
    w = world()
    first = w.bid(0, 10_000)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Bid(lot_id=w.lot.id, registration_id=w.registrations[1].id, amount_fen=1_000_000,
                        bidder_org_id=w.bidders[1].organisation_id, seq=2))
        session.flush()
    s = world(fmt=BiddingFormat.SEALED)
    s.bid(0, 10_000)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Bid(lot_id=s.lot.id, registration_id=s.registrations[0].id, sealed=True,
                        bidder_org_id=s.bidders[0].organisation_id, seq=2, amount_fen=2_000_000))
        session.flush()
    assert first.seq == 1


def test_accepted_bids_cannot_be_changed_or_deleted(session):
    w = world()
    w.bid(0, 10_000)
    with pytest.raises(DatabaseError), session.begin_nested():
        session.execute(Bid.__table__.update().values(amount_fen=1))


def test_the_daily_settling_starts_bidding_between_two_buyers_and_closes_it_when_due(session):
    w = world(start=False)
    assert lots.settle_due_lots(session, at=w.now) == {w.lot.id: LotStatus.BIDDING}
    w.bid(0, 10_000)
    assert lots.settle_due_lots(session, at=w.at(59)) == {}
    assert lots.settle_due_lots(session, at=w.at(60)) == {w.lot.id: LotStatus.AWARDED}
    assert w.lot.deal_id is not None


def test_an_auction_with_one_qualified_bidder_goes_to_bidding(session):
    w = world(bidders=1, start=False, method=LotMethod.AUCTION, reserve_fen=1_000_000)
    assert lots.settle_due_lots(session, at=w.now) == {w.lot.id: LotStatus.BIDDING}
