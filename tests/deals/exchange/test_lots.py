"""Opening lots, registrations and their decisions, withdrawal, re-opening and the end of the period."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.deals.exchange import lots, registrations
from market.deals.exchange.models import Lot, LotEvent
from market.deals.exchange.workdays import bidding_window, disclosure_period, working_days_left
from market.payments.models import Payment
from tests import factories as f
from tests.deals.exchange.lots_world import register
from tests.deals.negotiation_world import agreed, world

TERMS = {"method": "LISTING", "deal_kind": "TRANSFER", "price_fen": 8_000_000, "deposit_fen": 500_000,
         "qualifications": "依法设立的企业法人", "disclosure_working_days": 20}


def _open(w, user=None, **more):
    seller = w.listing.organisation
    seller.bank_account_name, seller.bank_name, seller.bank_account_no = seller.name, "上海银行", "31001234567"
    return lots.open_lot(db.session, user or w.seller, w.listing, {**TERMS, **more}, at=utcnow())


def test_the_period_skips_holidays_and_counts_make_up_days():
    # Published on Monday 2026-09-28 (Shanghai): the National Day holiday (10-01..10-07) is not
    # counted, and Saturday 10-10 is a make-up working day (调休), so it is the fifth.
    period = disclosure_period(datetime(2026, 9, 28, 2), 5)
    assert period.last_day.isoformat() == "2026-10-10" and not period.estimated
    # Registration closes at midnight Shanghai after the last day, stored as UTC.
    assert period.closes_at == datetime(2026, 10, 10, 16, 0)
    # A year the calendar does not know yet is counted Monday to Friday, and says so.
    assert disclosure_period(datetime(2026, 12, 28, 2), 10).estimated
    assert working_days_left(datetime(2026, 9, 28, 2), period.last_day) == 6


def test_the_bidding_is_announced_with_the_lot_on_the_next_working_day_at_ten():
    # The period's last day is Saturday 2026-10-10 (a make-up working day); Sunday is not a working
    # day, so bidding is on Monday 10-12 at 10:00 Shanghai (02:00 UTC), for the lot's hour.
    period = disclosure_period(datetime(2026, 9, 28, 2), 5)
    opens, closes = bidding_window(period.last_day, 60)
    assert (opens, closes) == (datetime(2026, 10, 12, 2, 0), datetime(2026, 10, 12, 3, 0))
    # Saturday 2026-02-14 is a make-up working day; the Spring Festival holiday runs to 02-23.
    assert bidding_window(date(2026, 2, 14), 30)[0] == datetime(2026, 2, 24, 2, 0)


def test_seller_opens_a_lot_with_its_period_and_a_ledger_line(session):
    w = world()
    lot = _open(w)
    assert lot.status == "OPEN" and lot.reference.startswith("GP-")
    assert lot.registration_closes_at > lot.opens_at + timedelta(days=20)
    assert lot.registration_closes_at < lot.bidding_opens_at < lot.bidding_closes_at
    [opened] = db.session.scalars(select(LotEvent).where(LotEvent.lot_id == lot.id))
    assert opened.kind == "OPENED" and opened.actor_user_id == w.seller.id


def test_the_lot_announces_how_long_its_bidding_lasts(session):
    """An hour unless the lot says longer (an online auction over days); announced at opening."""
    w = world()
    lot = _open(w, bidding_hours=72)
    assert lot.bidding_closes_at - lot.bidding_opens_at == timedelta(hours=72)
    assert lot.bidding_opens_at > lot.registration_closes_at


def test_point_operator_may_open_but_a_stranger_or_member_may_not(session):
    w = world()
    assert _open(w, w.operator).opened_by_id == w.operator.id
    w2 = world()
    with pytest.raises(Forbidden):
        _open(w2, w2.buyer)
    member = f.user(w2.listing.organisation, role="MEMBER")
    with pytest.raises(Forbidden):
        _open(w2, member)
    assert db.session.scalar(select(Lot.id).where(Lot.listing_id == w2.listing.id)) is None


def test_an_auction_is_conducted_by_the_point_operator_or_a_named_auction_house_never_the_seller(session):
    w = world()
    auction = {"method": "AUCTION", "reserve_fen": 9_000_000}
    with pytest.raises(DomainError) as refused:
        _open(w, **auction)
    assert refused.value.code == "lot.conductor" and refused.value.field == "auction_house"
    assert db.session.scalar(select(Lot.id).where(Lot.listing_id == w.listing.id)) is None
    by_operator = _open(w, w.operator, **auction)
    assert by_operator.conductor_id == w.operator.id and by_operator.reference.startswith("PM-")
    w2 = world()
    by_house = _open(w2, **auction, auction_house="上海某拍卖有限公司（拍卖经营批准证书 310000000001）")
    assert by_house.conductor_id is None and by_house.auction_house.startswith("上海某拍卖")


def test_second_live_lot_on_a_listing_is_refused(session):
    w = world()
    _open(w)
    with pytest.raises(Conflict):
        _open(w)


def test_bad_terms_are_refused_on_their_field(session):
    w = world()
    for bad, field in (({"price_fen": 0}, "price_fen"), ({"deposit_fen": 9_000_000}, "deposit_fen"),
                       ({"floor_fen": 9_000_000}, "floor_fen"), ({"deal_kind": "EQUITY"}, "deal_kind"),
                       ({"qualifications": " "}, "qualifications"), ({"disclosure_working_days": 2},
                                                                       "disclosure_working_days"),
                       ({"bidding_hours": 0}, "bidding_hours"), ({"bidding_hours": 7 * 24 + 1}, "bidding_hours")):
        with pytest.raises(DomainError) as refused:
            _open(w, **bad)
        assert refused.value.field == field
    assert db.session.scalar(select(Lot.id).where(Lot.listing_id == w.listing.id)) is None


def test_soe_lists_not_below_its_approved_value(session):
    w = world(seller_type="SOE")
    with pytest.raises(DomainError) as refused:
        _open(w, approved_value_fen=9_000_000, valuation_filing_no="沪国资评备〔2026〕12号")
    assert refused.value.code == "lot.below_value"
    with pytest.raises(DomainError):
        _open(w)  # no approved value at all
    lot = _open(w, approved_value_fen=8_000_000, valuation_filing_no="沪国资评备〔2026〕12号")
    assert lot.floor_fen == 8_000_000


def test_unpublished_listing_cannot_be_offered(session):
    w = world()
    w.listing.status = "WITHDRAWN"
    with pytest.raises(Conflict):
        _open(w)


def test_registration_makes_a_deposit_due_and_refuses_seller_and_operator(session):
    w = world()
    lot = _open(w)
    reg = registrations.register(db.session, w.buyer, lot, "我司具备实施条件", at=utcnow())
    payment = db.session.get(Payment, reg.deposit_payment_id)
    assert reg.status == "PENDING" and reg.deposit_status == "DUE"
    assert payment.kind == "DEPOSIT" and payment.amount_fen == 500_000 and payment.deal_id is None
    for who in (w.seller, w.operator):
        with pytest.raises(Forbidden):
            registrations.register(db.session, who, lot, at=utcnow())
    with pytest.raises(Conflict):
        registrations.register(db.session, w.buyer, lot, at=utcnow())


def test_registration_after_the_period_is_refused(session):
    w = world()
    lot = _open(w)
    with pytest.raises(Conflict) as refused:
        registrations.register(db.session, w.buyer, lot, at=lot.registration_closes_at)
    assert refused.value.code == "lot.period_over"
    assert lot.registrations == []


def test_refusal_needs_a_reason_and_refunds_the_paid_deposit(session):
    w = world()
    lot = _open(w)
    reg = register(lot, w.buyer, qualify=False)
    assert reg.deposit_status == "PAID"
    with pytest.raises(DomainError):
        registrations.decide(db.session, w.seller, lot, reg, False, "  ", at=utcnow())
    with pytest.raises(Forbidden):
        registrations.decide(db.session, w.other, lot, reg, True, "ok", at=utcnow())
    registrations.decide(db.session, w.seller, lot, reg, False, "注册资本不满足条件", at=utcnow())
    assert reg.status == "REFUSED" and reg.decision_reason == "注册资本不满足条件"
    assert reg.deposit_status == "REFUNDED"
    assert db.session.get(Payment, reg.deposit_payment_id).status == "REFUNDED"
    with pytest.raises(Conflict):
        registrations.decide(db.session, w.seller, lot, reg, True, "改为通过", at=utcnow())


def test_withdrawn_registration_gets_its_deposit_back(session):
    w = world()
    lot = _open(w)
    reg = register(lot, w.buyer)
    registrations.withdraw(db.session, w.buyer, lot, at=utcnow())
    assert reg.status == "WITHDRAWN" and reg.deposit_status == "REFUNDED"


def _close(lot):
    return lot.registration_closes_at + timedelta(seconds=1)


def test_period_end_without_qualified_buyer_is_no_sale_then_reopen_lower_not_below_floor(session):
    w = world()
    lot = _open(w, floor_fen=6_000_000)
    pending = register(lot, w.buyer, qualify=False)
    assert lots.settle_due_lots(db.session, at=lot.registration_closes_at - timedelta(seconds=1)) == {}
    assert lots.settle_due_lots(db.session, at=_close(lot)) == {lot.id: "UNSOLD"}
    assert lot.status == "UNSOLD" and pending.deposit_status == "REFUNDED"
    with pytest.raises(DomainError) as refused:
        lots.reopen_lot(db.session, w.seller, lot, {**TERMS, "price_fen": 5_000_000}, at=utcnow())
    assert refused.value.code == "lot.below_floor"
    with pytest.raises(DomainError):
        lots.reopen_lot(db.session, w.seller, lot, {**TERMS, "price_fen": 8_000_000}, at=utcnow())
    again = lots.reopen_lot(db.session, w.seller, lot, {**TERMS, "price_fen": 6_500_000}, at=utcnow())
    assert again.previous_lot_id == lot.id and again.floor_fen == 6_000_000 and again.status == "OPEN"


def test_period_end_with_one_qualified_buyer_awards_at_the_listing_price(session):
    w = world()
    lot = _open(w)
    reg = register(lot, w.buyer)
    refused = register(lot, w.other, qualify=False)
    assert lots.settle_due_lots(db.session, at=_close(lot)) == {lot.id: "AWARDED"}
    assert lot.deal_id is not None and reg.deposit_status == "APPLIED"
    assert refused.deposit_status == "REFUNDED"


def test_withdrawing_a_lot_refunds_every_deposit(session):
    w = world()
    lot = _open(w)
    a, b = register(lot, w.buyer), register(lot, w.other, pay=False)
    with pytest.raises(DomainError):
        lots.withdraw_lot(db.session, w.seller, lot, "", at=utcnow())
    lots.withdraw_lot(db.session, w.seller, lot, "专利权人决定自行实施", at=utcnow())
    assert lot.status == "WITHDRAWN" and a.deposit_status == "REFUNDED"
    assert db.session.get(Payment, b.deposit_payment_id).status == "CANCELLED"


def test_a_lot_whose_award_is_refused_ends_unsold_with_the_reason_and_refunds(session):
    w = world()
    lot = _open(w)
    reg = register(lot, w.buyer)
    agreed(w, "TRANSFER", buyer=w.stranger)  # the patent's ownership is now held by another deal
    assert lots.settle_due_lots(db.session, at=_close(lot)) == {lot.id: "UNSOLD"}
    assert lot.deal_id is None and reg.deposit_status == "REFUNDED"
    unsold = db.session.scalars(select(LotEvent).where(LotEvent.lot_id == lot.id, LotEvent.kind == "UNSOLD")).one()
    assert "转让" in unsold.detail["reason"] or "transfer" in unsold.detail["reason"].lower()
