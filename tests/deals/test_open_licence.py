"""Taking an announced open licence (PL 51 ¶1; domain.md §3.3): notice, fee, payment, licence."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from market.core.errors import Conflict, Forbidden
from market.core.extensions import db
from market.core.notifications import Notification
from market.core.time import add_months, today_local
from market.deals import negotiation, settlement
from market.deals.models import Deal, DealEvent
from market.deals.open_licence import acquisition
from market.deals.open_licence import declarations as ol
from market.payments import services as payments
from market.payments.models import Payment
from tests import factories as f
from tests.deals.open_licence import world as wb

ROYALTY = {"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "3", "payment_period": "QUARTERLY"}


def take(w, decl, i: int = 0) -> Deal:
    org, user = w.enterprises[i]
    return acquisition.take_open_licence(decl.id, org, user)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def ledger(deal) -> list[tuple[str, str | None, int | None]]:
    return [(e.kind, e.to_status, e.amount_fen) for e in deal.events]


def pay(payment: Payment, at: datetime | None = None) -> None:
    payments.mark_paid(db.session, payment, at=at or datetime.now(UTC).replace(tzinfo=None), actor=None,
                       evidence={"provider": "offline"})


def test_r_ol_9_taking_delivers_the_written_notice_and_asks_for_the_fee(session):
    w = wb.world()
    decl = wb.announced(w)
    deal = take(w, decl)
    today = today_local()
    assert deal.kind == "OPEN_LICENSE" and deal.status == "PAYMENT_PENDING"
    assert (deal.seller_org_id, deal.buyer_org_id, deal.point_id, deal.listing_id, deal.declaration_id) == (
        w.uni.id, w.buyer.id, w.point.id, w.listing.id, decl.id)
    assert (deal.start_date, deal.end_date, deal.price_fen) == (today, decl.term_end, 5_000_000)
    assert deal.reference == f"PSM-{today.year}-O-{deal.id:06d}"
    assert ledger(deal) == [("NOTICE", "NOTICE_DELIVERED", None), ("PAYMENT_DUE", None, 5_000_000),
                            ("PAYMENT_DUE", "PAYMENT_PENDING", None)]
    notice = deal.events[0].evidence
    assert notice["notice_sha256"] == hashlib.sha256(notice["notice_text"].encode()).hexdigest()
    assert w.patent.patent_no in notice["notice_text"] and "一次总算、一次总付50,000.00元" in notice["notice_text"]
    assert notice["delivered_to_org_id"] == w.uni.id and notice["gazette_issue"] == wb.GAZETTE
    (payment,) = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
    assert (payment.kind, payment.sequence, payment.amount_fen, payment.due_date, payment.status) == (
        "LUMP_SUM", 1, 5_000_000, today + timedelta(days=30), "DUE")
    (note,) = db.session.scalars(select(Notification).where(Notification.organisation_id == w.uni.id,
                                                            Notification.kind == "open_licence_notice"))
    assert note.link == f"/deals/{deal.id}/notice" and w.buyer.name in note.title_zh


def test_r_ol_8_every_enterprise_gets_the_announced_terms_unchanged(session):
    w = wb.world(enterprises=5)
    terms = {"mode": "INSTALLMENTS", "lump_fen": 9_000_000, "instalments": [
        {"amount_fen": 3_000_000, "months_after_start": 0}, {"amount_fen": 6_000_000, "months_after_start": 6}]}
    decl = wb.announced(w, terms)
    deals = [take(w, decl, i) for i in range(5)]
    assert len({d.id for d in deals}) == 5
    assert all(d.fee_terms == decl.fee_terms for d in deals)
    assert {(d.price_fen, d.end_date, d.territory) for d in deals} == {(9_000_000, decl.term_end, decl.territory)}
    assert {d.buyer_org_id for d in deals} == {org.id for org, _ in w.enterprises}
    amounts = sorted((p.deal_id, p.sequence, p.amount_fen) for p in db.session.scalars(
        select(Payment).where(Payment.deal_id.in_([d.id for d in deals]))))
    assert amounts == sorted((d.id, n, a) for d in deals for n, a in ((1, 3_000_000), (2, 6_000_000)))


def test_r_ol_11_the_first_payment_licenses_and_starts_the_filing_clock(session):
    w = wb.world()
    decl = wb.announced(w)
    deal = take(w, decl)
    (payment,) = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
    pay(payment)
    today = today_local()
    assert deal.status == "LICENSED"
    assert (deal.licensed_date, deal.effective_date, deal.filing_deadline) == (today, today, add_months(today, 3))
    assert ledger(deal)[-2:] == [("PAYMENT", None, 5_000_000), ("LICENSED", "LICENSED", None)]
    assert deal.events[-1].evidence["filing_deadline"] == add_months(today, 3).isoformat()
    assert deal.events[-2].evidence["payment_id"] == payment.id
    kinds = {(n.organisation_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert {(w.uni.id, "open_licence_licensed"), (w.buyer.id, "open_licence_licensed")} <= kinds


def test_r_ol_11_the_filing_period_is_configured(app, session):
    w = wb.world()
    decl = wb.announced(w, ROYALTY)
    app.config["OPEN_LICENCE_FILING_MONTHS"] = 6
    try:
        deal = take(w, decl)
    finally:
        del app.config["OPEN_LICENCE_FILING_MONTHS"]
    assert deal.filing_deadline == add_months(today_local(), 6)


def test_a_payment_confirmed_twice_is_booked_once(session):
    w = wb.world()
    deal = take(w, wb.announced(w))
    (payment,) = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
    pay(payment)
    acquisition.payment_settled(deal, payment)
    assert [k for k, _, _ in ledger(deal)].count("PAYMENT") == 1


def test_the_offline_bank_transfer_licenses_when_the_patentee_confirms_receipt(app, session, monkeypatch):
    for key, value in (("PAYEE_ACCOUNT_NAME", "上海示范大学"), ("PAYEE_BANK_NAME", "工商银行宝山支行"),
                       ("PAYEE_ACCOUNT_NUMBER", "1001 2345 6789")):
        monkeypatch.setitem(app.config, key, value)
    w = wb.world()
    deal = take(w, wb.announced(w))
    (payment,) = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
    checkout = payments.start_checkout(db.session, payment, "bank_transfer")
    assert checkout.instructions.amount_fen == 5_000_000
    assert deal.status == "PAYMENT_PENDING"
    payments.confirm_payment(db.session, payment, actor=w.uni_user)
    assert payment.status == "PAID" and deal.status == "LICENSED"


def test_instalments_license_on_the_first_and_book_the_rest(session):
    w = wb.world()
    terms = {"mode": "INSTALLMENTS", "lump_fen": 9_000_000, "instalments": [
        {"amount_fen": 3_000_000, "months_after_start": 0}, {"amount_fen": 6_000_000, "months_after_start": 6}]}
    deal = take(w, wb.announced(w, terms))
    first, second = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id).order_by(Payment.sequence))
    assert second.due_date == add_months(today_local(), 6) + timedelta(days=30)
    pay(second)  # paid early: booked, but the licence waits for the first instalment
    assert deal.status == "PAYMENT_PENDING"
    pay(first)
    assert deal.status == "LICENSED"
    assert [a for k, _, a in ledger(deal) if k == "PAYMENT"] == [6_000_000, 3_000_000]


def test_a_royalty_only_licence_is_obtained_on_notice_with_the_first_period_recorded(session):
    w = wb.world()
    deal = take(w, wb.announced(w, ROYALTY))
    today = today_local()
    assert deal.status == "LICENSED" and deal.price_fen is None
    assert count(Payment, Payment.deal_id == deal.id) == 0
    assert ledger(deal) == [("NOTICE", "NOTICE_DELIVERED", None), ("LICENSED", "LICENSED", None)]
    evidence = deal.events[-1].evidence
    period_end = add_months(today, 3) - timedelta(days=1)
    assert evidence["first_royalty_period"] == [today.isoformat(), period_end.isoformat()]
    assert evidence["first_report_due"] == (period_end + timedelta(days=30)).isoformat()
    assert evidence["royalty_rate"] == "3" and evidence["royalty_base"] == "NET_SALES"
    assert "提成报告" in deal.events[-1].note


def test_a_free_open_licence_is_obtained_on_notice(session):
    w = wb.world()
    deal = take(w, wb.announced(w, {"mode": "FREE"}))
    assert deal.status == "LICENSED" and deal.price_fen == 0
    assert count(Payment, Payment.deal_id == deal.id) == 0


def test_an_entry_fee_plus_royalty_waits_for_the_entry_fee(session):
    w = wb.world()
    deal = take(w, wb.announced(w, {**ROYALTY, "mode": "ENTRY_PLUS_ROYALTY", "entry_fee_fen": 1_000_000}))
    (payment,) = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
    assert (deal.status, payment.kind, payment.amount_fen) == ("PAYMENT_PENDING", "ENTRY_FEE", 1_000_000)
    pay(payment)
    assert deal.status == "LICENSED" and "first_royalty_period" in deal.events[-1].evidence


def test_a_double_click_gives_one_licence_and_one_payment(session):
    w = wb.world()
    decl = wb.announced(w)
    first, second = take(w, decl), take(w, decl)
    assert first is second
    assert count(Deal, Deal.declaration_id == decl.id) == 1
    assert count(Payment, Payment.deal_id == first.id) == 1
    assert count(DealEvent, DealEvent.deal_id == first.id) == 3


def test_a_concurrent_double_submit_returns_the_winners_licence(session, monkeypatch):
    w = wb.world()
    decl = wb.announced(w)
    winner = take(w, decl)
    real = acquisition.existing_licence
    calls = []

    def not_yet_visible(declaration_id, buyer_org_id):
        # The other request's insert is not visible at the first look, only after the clash.
        calls.append(1)
        return None if len(calls) == 1 else real(declaration_id, buyer_org_id)

    monkeypatch.setattr(acquisition, "existing_licence", not_yet_visible)
    assert take(w, decl) is winner
    assert len(calls) == 2
    assert count(Deal, Deal.declaration_id == decl.id) == 1
    assert count(Payment, Payment.deal_id == winner.id) == 1


def _nothing_written(decl) -> None:
    assert count(Deal, Deal.declaration_id == decl.id) == 0
    assert count(Notification, Notification.kind == "open_licence_notice") == 0


def test_r_ol_10_taking_an_open_licence_withdrawn_a_moment_earlier_is_refused(session):
    w = wb.world()
    decl = wb.announced(w, on=today_local() - timedelta(days=40))
    ol.record_withdrawal_request(w.uni_user, decl, today_local() - timedelta(days=5))
    ol.record_withdrawal(w.uni_user, decl, today_local())
    with pytest.raises(Conflict) as err:
        take(w, decl)
    assert err.value.code == "open_licence.withdrawn" and today_local().isoformat() in err.value.zh
    _nothing_written(decl)


def test_r_ol_10_a_withdrawal_only_requested_does_not_stop_takers(session):
    w = wb.world()
    decl = wb.announced(w, on=today_local() - timedelta(days=40))
    ol.record_withdrawal_request(w.uni_user, decl, today_local())
    assert take(w, decl).status == "PAYMENT_PENDING"


def test_r_ol_10_licences_taken_before_the_withdrawal_stay_valid_unpaid_ones_are_void(session):
    w = wb.world(enterprises=2)
    decl = wb.announced(w, on=today_local() - timedelta(days=40))
    licensed, pending = take(w, decl, 0), take(w, decl, 1)
    pay(db.session.scalar(select(Payment).where(Payment.deal_id == licensed.id)))
    ol.record_withdrawal_request(w.uni_user, decl, today_local() - timedelta(days=1))
    ol.record_withdrawal(w.uni_user, decl, today_local())
    assert licensed.status == "LICENSED" and licensed.end_date == decl.term_end
    assert pending.status == "VOID" and "撤回" in pending.void_reason
    assert db.session.scalar(select(Payment.status).where(Payment.deal_id == pending.id)) == "CANCELLED"


@pytest.mark.parametrize("state", ["DRAFT", "ELIGIBLE", "FILED_WITH_CNIPA", "NOT_ANNOUNCED", "ENDED"])
def test_a_declaration_not_in_effect_cannot_be_taken(session, state):
    w = wb.world()
    decl = wb.draft(w)
    decl.status = state
    with pytest.raises(Conflict) as err:
        take(w, decl)
    assert err.value.code == "open_licence.not_in_effect"
    _nothing_written(decl)


def test_a_lapsed_patent_cannot_be_licensed(session):
    w = wb.world()
    decl = wb.announced(w)
    w.patent.legal_status = "LAPSED"
    with pytest.raises(Conflict) as err:
        take(w, decl)
    assert err.value.code == "open_licence.patent_lapsed"
    _nothing_written(decl)


def test_a_patentee_cannot_take_its_own_open_licence(session):
    w = wb.world()
    decl = wb.announced(w)
    with pytest.raises(Conflict) as err:
        acquisition.take_open_licence(decl.id, w.uni, w.uni_user)
    assert err.value.code == "open_licence.own_patent"
    _nothing_written(decl)


def test_an_organisation_not_yet_approved_cannot_take_it(session):
    w = wb.world()
    decl = wb.announced(w)
    org, user = wb.enterprise(approved=False)
    with pytest.raises(Forbidden):
        acquisition.take_open_licence(decl.id, org, user)
    _nothing_written(decl)


def test_the_bureau_cannot_be_a_licensee(session):
    w = wb.world()
    decl = wb.announced(w)
    bureau = f.organisation(org_type="BUREAU")
    with pytest.raises(Forbidden):
        acquisition.take_open_licence(decl.id, bureau, f.user(bureau))


def test_schedule_payments_covers_transfers_and_is_idempotent(session):
    w = wb.world()
    deal = Deal(kind="TRANSFER", status="SIGNED", patent_id=w.patent.id, seller_org_id=w.uni.id,
                buyer_org_id=w.buyer.id, price_fen=80_000_000, start_date=today_local())
    db.session.add(deal)
    db.session.flush()
    (price,) = settlement.schedule_payments(deal)
    assert (price.kind, price.amount_fen, price.due_date) == ("TRANSFER_PRICE", 80_000_000,
                                                              today_local() + timedelta(days=30))
    assert settlement.schedule_payments(deal) == [price]
    equity = Deal(kind="EQUITY", status="SIGNED", patent_id=w.patent.id, seller_org_id=w.uni.id,
                  buyer_org_id=w.buyer.id, price_fen=80_000_000)
    db.session.add(equity)
    db.session.flush()
    assert settlement.schedule_payments(equity) == []


def test_payments_of_negotiated_deals_go_to_the_negotiated_flow(session, monkeypatch):
    w = wb.world()
    deal = Deal(kind="LICENSE_ORDINARY", status="SIGNED", patent_id=w.patent.id, seller_org_id=w.uni.id,
                buyer_org_id=w.buyer.id, fee_terms={"mode": "LUMP_SUM", "lump_fen": 1_000_000},
                start_date=today_local())
    db.session.add(deal)
    db.session.flush()
    seen = []
    # Negotiated kinds are settled by whatever the negotiated flow registered: its payment_settled.
    assert settlement._SETTLERS[settlement.OTHER_KINDS] is negotiation.payment_settled
    monkeypatch.setitem(settlement._SETTLERS, settlement.OTHER_KINDS, lambda d, p: seen.append((d.id, p.id)))
    (payment,) = settlement.schedule_payments(deal)
    pay(payment)
    assert seen == [(deal.id, payment.id)]
