"""The dashboard: each party sees its deals by status, what it must do next and its deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from market.core.extensions import db
from market.core.notifications import notify
from market.core.time import add_months, today_local
from market.deals.dashboard import board_for
from market.deals.models import DealDocument, Offer
from market.deals.royalties import services as royalties
from market.deals.vocabulary import DealKind, DealStatus
from market.payments.models import Payment
from tests import factories as f
from tests.deals import royalty_builders as rb

TODAY = date(2025, 3, 10)
LUMP = {"mode": "LUMP_SUM", "lump_fen": 2_000_000}


def codes(board):
    return [a.code for a in board.actions]


def test_licensee_must_report_pay_and_file_and_sees_the_deadlines_in_order(session):
    p = rb.parties()
    royalty = rb.deal(p, start=date(2024, 10, 1), end=date(2026, 9, 30))
    signed = rb.deal(p, status=DealStatus.SIGNED, fee_terms=LUMP, filing_deadline=TODAY + timedelta(days=20))
    db.session.add(Payment(deal_id=signed.id, kind="LUMP_SUM", sequence=1, amount_fen=2_000_000,
                           due_date=TODAY + timedelta(days=5)))
    db.session.flush()
    board = board_for(p.licensee.id, TODAY)
    assert codes(board) == ["REPORT_ROYALTY", "PAY", "FILE"]
    report = board.actions[0]
    assert report.overdue(TODAY) and report.due == date(2025, 1, 30) and report.link == f"/deals/{royalty.id}/royalties"
    assert board.actions[1].zh == "支付许可费(一次付清) 20,000.00元"
    assert [(d.kind.value, d.due) for d in board.deadlines] == [
        ("ROYALTY_REPORT", date(2025, 1, 30)), ("PAYMENT", date(2025, 3, 15)), ("FILING", date(2025, 3, 30)),
        ("ROYALTY_REPORT", date(2025, 4, 30)), ("LICENCE_END", date(2026, 9, 30)),
        ("LICENCE_END", date(2026, 12, 31))]
    assert board.counts["buyer"] == {"FILED": 1, "SIGNED": 1} and not board.counts["seller"]


def test_licensor_answers_reports_and_confirms_a_receipt(session):
    p = rb.parties()
    d = rb.deal(p, start=date(2024, 10, 1), end=date(2026, 9, 30))
    royalties.file_report(d, p.licensee_user, period_start=date(2024, 10, 1), base_fen=1_000_000, today=TODAY)
    pay = db.session.get(Payment, royalties.reports_of(d)[0].payment_id)
    doc = DealDocument(deal_id=d.id, kind="PAYMENT_RECEIPT", filename="回单.pdf", stored_as="x", size=1,
                       content_type="application/pdf", sha256="0" * 64, organisation_id=p.licensee.id)
    db.session.add(doc)
    db.session.flush()
    pay.status, pay.provider, pay.receipt_document_id = "PROCESSING", "offline", doc.id
    db.session.flush()
    seller = board_for(p.licensor.id, TODAY)
    assert codes(seller) == ["CONFIRM_RECEIPT", "ANSWER_ROYALTY"]
    assert seller.actions[0].zh == "核对转账凭证并确认收到提成费 500.00元"
    # The licensee has nothing left for period 1 but the next period once it ends.
    assert codes(board_for(p.licensee.id, TODAY)) == []
    assert codes(board_for(p.licensee.id, date(2025, 4, 1))) == ["REPORT_ROYALTY"]


def test_a_disputed_report_is_the_licensees_to_correct(session):
    p = rb.parties()
    d = rb.deal(p, start=date(2024, 10, 1), end=date(2026, 9, 30))
    report = royalties.file_report(d, p.licensee_user, period_start=date(2024, 10, 1), base_fen=10, today=TODAY)
    royalties.answer_report(d, report.id, p.licensor_user, confirm=False, reason="少报")
    assert "CORRECT_ROYALTY" in codes(board_for(p.licensee.id, TODAY))
    assert "ANSWER_ROYALTY" not in codes(board_for(p.licensor.id, TODAY))


def test_an_open_offer_is_for_the_other_side_to_answer(session):
    p = rb.parties()
    d = rb.deal(p, status=DealStatus.NEGOTIATING, fee_terms={})
    db.session.add(Offer(deal_id=d.id, from_org_id=p.licensee.id, price_fen=1_000_000))
    db.session.flush()
    assert codes(board_for(p.licensor.id, TODAY)) == ["ANSWER_OFFER"]
    assert codes(board_for(p.licensee.id, TODAY)) == []


def test_closed_deals_are_counted_but_ask_nothing(session):
    p = rb.parties()
    rb.deal(p, status=DealStatus.VOID, fee_terms=LUMP, filing_deadline=TODAY)
    board = board_for(p.licensee.id, TODAY)
    assert board.counts["buyer"] == {"VOID": 1} and board.actions == [] and board.deadlines == []


def test_transfer_awaiting_registration_and_publicity(session):
    p = rb.parties()
    rb.deal(p, kind=DealKind.TRANSFER, status=DealStatus.SIGNED, fee_terms={}, price_fen=1)
    d = rb.deal(p, kind=DealKind.TRANSFER, status=DealStatus.APPROVALS, fee_terms={},
                approvals={"PUBLICITY": {"ends_on": "2025-03-20"}})
    board = board_for(p.licensor.id, TODAY)
    assert "REGISTER" in codes(board)
    assert [(x.kind.value, x.deal_id) for x in board.deadlines if x.kind.value == "PUBLICITY_END"] == [
        ("PUBLICITY_END", d.id)]


# ---- the page ---------------------------------------------------------------------------------

@pytest.fixture
def setup(app):
    with app.test_request_context():
        p = rb.parties()
        start = add_months(today_local(), -5)
        d = rb.deal(p, start=start, end=add_months(start, 24) - timedelta(days=1), reference="PSM-2026-L-77")
        rb.deal(p, status=DealStatus.SIGNED, fee_terms=LUMP, filing_deadline=today_local() - timedelta(days=3))
        notify(p.licensee.id, "test", ("许可方已确认收款", "The licensor confirmed receipt"), link="/deals/1")
        other = f.user(f.organisation(org_type="PRIVATE"))
        db.session.commit()
        return {"licensee": p.licensee_user.email, "licensor": p.licensor_user.email, "other": other.email,
                "deal_id": d.id}


def test_the_licensee_dashboard_lists_actions_deadlines_deals_and_notices(client, setup):
    f.login(client, setup["licensee"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "待办事项" in html and "提交第1期提成报告" in html and "办理合同备案" in html
    assert "已逾期 3 天" in html  # the filing deadline passed three days ago
    assert "作为被许可方/受让方/被投资企业" in html and "PSM-2026-L-77" in html and "已备案" in html
    assert "许可方已确认收款" in html and 'href="/inbox"' in html
    assert f'href="/deals/{setup["deal_id"]}/royalties"' in html


def test_the_licensor_dashboard_shows_its_side(client, setup):
    f.login(client, setup["licensor"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "作为许可方/转让方/出资方" in html and "PSM-2026-L-77" in html
    assert "提交第1期提成报告" not in html and "办理合同备案" in html


def test_an_organisation_without_deals_sees_none(client, setup):
    f.login(client, setup["other"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "暂无交易" in html and "PSM-2026-L-77" not in html


def test_the_dashboard_needs_a_login(client):
    assert client.get("/dashboard").status_code == 302
