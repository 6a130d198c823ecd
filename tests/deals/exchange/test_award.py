"""award / no_sale: the deal a lot makes, and what becomes of every deposit (issue 14)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from market.core.db import utcnow
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from market.deals import settlement
from market.deals.exchange.award import award, no_sale
from market.deals.exchange.models import LotEvent
from market.deals.models import PatentClaim
from market.deals.negotiation import state_assets, steps
from market.payments.models import Payment
from tests.deals.exchange.lots_world import lot, register
from tests.deals.negotiation_world import agreed, world
from tests.deals.test_package_deals import package_world


def _kinds(item):
    return [e.kind for e in db.session.scalars(select(LotEvent).where(LotEvent.lot_id == item.id)
                                                 .order_by(LotEvent.seq))]


def test_award_makes_an_agreed_deal_priced_by_the_listing(session):
    w = world()
    item = lot(w)
    winner = register(item, w.buyer)
    loser = register(item, w.other)
    deal = award(db.session, item, winner, 8_000_000, at=utcnow())
    assert deal.status == "AGREED" and deal.price_fen == 8_000_000
    assert deal.price_formed_by == "LISTING" and deal.pricing_method == "LISTING"
    assert deal.buyer_org_id == w.buyer.organisation_id and deal.seller_org_id == w.listing.organisation_id
    assert deal.approvals["lot"]["lot_id"] == item.id
    assert item.status == "AWARDED" and item.deal_id == deal.id
    # The winner's deposit counts towards the price; the other one went back through the provider.
    assert winner.deposit_status == "APPLIED" and loser.deposit_status == "REFUNDED"
    refunded = db.session.get(Payment, loser.deposit_payment_id)
    assert refunded.status == "REFUNDED" and refunded.refunded_fen == 500_000
    assert db.session.get(Payment, winner.deposit_payment_id).status == "PAID"
    assert _kinds(item)[-3:] == ["DEPOSIT_APPLIED", "DEPOSIT_REFUNDED", "AWARDED"]
    # The transfer price still due is the price less the deposit already paid.
    [price] = settlement.schedule_payments(deal)
    assert price.amount_fen == 8_000_000 - 500_000


def test_auction_award_is_priced_by_auction(session):
    w = world()
    item = lot(w, method="AUCTION", reserve_fen=9_000_000)
    reg = register(item, w.buyer)
    with pytest.raises(DomainError) as refused:
        award(db.session, item, reg, 8_500_000, at=utcnow())
    assert refused.value.code == "lot.reserve_not_met"
    deal = award(db.session, item, reg, 9_100_000, at=utcnow())
    assert deal.price_formed_by == "AUCTION"


def test_the_lot_satisfies_the_exchange_listing_step_of_an_soe(session, app):
    w = world(seller_type="SOE")
    item = lot(w, price_fen=200_000_000, floor_fen=150_000_000)
    deal = award(db.session, item, register(item, w.buyer), 200_000_000, at=utcnow())
    assert "EXCHANGE_LISTING" in [s.code for s in steps.required(deal)]
    deal.valuation = {"value_fen": 150_000_000}
    assert state_assets.exchange_listing_done(deal)
    # A first listing below the approved value does not count (SA78 §3(1)).
    deal.valuation = {"value_fen": 250_000_000}
    assert not state_assets.exchange_listing_done(deal)


def test_a_negotiated_deal_cannot_claim_the_step_by_writing_a_record(session):
    w = world(seller_type="SOE")
    deal = agreed(w, "TRANSFER")
    deal.approvals = {"EXCHANGE_LISTING": {"first_listing_price_fen": 9_000_000}}
    deal.valuation = {"value_fen": 1}
    assert not state_assets.exchange_listing_done(deal)


def test_award_refuses_a_buyer_who_is_not_a_qualified_bidder(session):
    w = world()
    item = lot(w)
    # One world for every case (a refusal writes nothing): unqualified, deposit unpaid, the seller itself.
    for reg in (register(item, w.buyer, qualify=False), register(item, w.other, pay=False),
                register(item, w.seller)):
        with pytest.raises(Conflict):
            award(db.session, item, reg, 8_000_000, at=utcnow())
        assert item.status == "OPEN" and item.deal_id is None


def test_award_refuses_a_bad_price(session):
    w = world()
    item = lot(w)
    reg = register(item, w.buyer)
    for price in (0, -1, 7_999_999, 8_000_000.0, True, float("nan")):
        with pytest.raises(DomainError):
            award(db.session, item, reg, price, at=utcnow())
        assert item.status == "OPEN", price


def test_no_sale_refunds_paid_deposits_and_cancels_unpaid_ones(session):
    w = world()
    item = lot(w)
    paid = register(item, w.buyer)
    unpaid = register(item, w.other, pay=False)
    no_sale(db.session, item, at=utcnow(), reason="无合格竞买人")
    assert item.status == "UNSOLD"
    assert paid.deposit_status == "REFUNDED"
    assert db.session.get(Payment, unpaid.deposit_payment_id).status == "CANCELLED"
    assert _kinds(item)[-1] == "UNSOLD"
    with pytest.raises(Conflict):
        award(db.session, item, paid, 8_000_000, at=utcnow())


def test_licence_lot_makes_a_licence_to_the_end_of_the_patent(session):
    w = world()
    item = lot(w, deal_kind="LICENSE_EXCLUSIVE")
    deal = award(db.session, item, register(item, w.buyer), 8_000_000, at=utcnow())
    assert deal.kind == "LICENSE_EXCLUSIVE" and deal.end_date == w.patent.last_protected_day
    assert deal.fee_terms["lump_fen"] == 8_000_000


def test_a_lot_on_a_package_awards_a_deal_on_every_patent_with_its_rights_on_each(session):
    """A package sold by 挂牌 covers and claims each of its patents, as a negotiated deal on it does."""
    w = package_world(3)
    item = lot(w, price_fen=8_000_000)
    winner = register(item, w.buyer)
    deal = award(db.session, item, winner, 8_000_000, at=utcnow())
    assert [p.id for p in deal.members] == [p.id for p in w.listing.members] and len(deal.members) == 3
    owned = db.session.scalars(select(PatentClaim.patent_id).where(PatentClaim.deal_id == deal.id)).all()
    assert sorted(owned) == sorted(p.id for p in w.listing.members)
