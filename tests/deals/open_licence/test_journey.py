"""Journey 2 of product.md through the pages: a patentee declares, an enterprise takes the open licence."""

from __future__ import annotations

import contextvars
import io
import re
from datetime import timedelta

from sqlalchemy import select

from market.core.extensions import db
from market.core.time import add_months, today_local
from market.deals.models import Deal
from market.payments import services as payments
from market.payments.models import Payment
from tests import factories as f
from tests.deals.open_licence import world as wb

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def another_client(app):
    client = app.test_client()
    send = client.open
    client.open = lambda *args, **kwargs: contextvars.Context().run(send, *args, **kwargs)
    return client


def post(client, path: str, data: dict, page: str | None = None):
    return client.post(path, data={"csrf_token": f.csrf_token(client, page or path), **data})


def test_journey_2_declare_take_pay_and_get_the_papers(app, client, monkeypatch):
    for key, value in (("PAYEE_ACCOUNT_NAME", "上海示范大学"), ("PAYEE_BANK_NAME", "工商银行宝山支行"),
                       ("PAYEE_ACCOUNT_NUMBER", "1001 2345 6789")):
        monkeypatch.setitem(app.config, key, value)
    with app.test_request_context():
        w = wb.world(enterprises=2)
        db.session.commit()
        app_no, patent_no = w.patent.application_number, w.patent.patent_no
        uni_email, lpd = w.uni_user.email, w.patent.last_protected_day
        buyers = [(org.name, user.email) for org, user in w.enterprises]
    today = today_local()
    patent_page = f"/patents/{app_no}"

    # The patentee declares through the assistant and mirrors CNIPA's steps.
    f.login(client, uni_email)
    assert "声明开放许可" in client.get(patent_page).get_data(as_text=True)
    form = f"/patents/{app_no}/open-licence"
    page = client.get(form).get_data(as_text=True)
    assert lpd.isoformat() in page  # the term defaults to the whole remaining patent term
    response = post(client, form, {
        "mode": "LUMP_SUM", "lump_yuan": "50000", "term_start": today.isoformat(), "term_end": lpd.isoformat(),
        "territory": "中华人民共和国境内", "other_terms": "普通许可，被许可人不得再许可。",
        "fee_basis_note": "参照同类专利许可费，按成本法估算。", "contact": "技术转移中心 021-66130000",
        "payment_due_days": "30", "report_due_days": "30"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    decl_page = response.headers["Location"]
    decl_id = int(re.search(r"/open-licences/(\d+)", decl_page).group(1))
    assert "全部检查通过" in client.get(decl_page).get_data(as_text=True)
    assert post(client, f"/open-licences/{decl_id}/eligible", {}, decl_page).status_code == 302
    post(client, f"/open-licences/{decl_id}/filed", {"on": (today - timedelta(days=20)).isoformat()}, decl_page)
    post(client, f"/open-licences/{decl_id}/announced", {"on": today.isoformat(), "gazette_issue": wb.GAZETTE},
         decl_page)
    page = client.get(decl_page).get_data(as_text=True)
    assert "已公告" in page and "开放许可实施 1 天" in page  # R-OL-12: the fee year's days so far

    # An enterprise opens the patent page, sees the declared terms and takes the licence.
    buyer = another_client(app)
    f.login(buyer, buyers[0][1])
    page = buyer.get(patent_page).get_data(as_text=True)
    assert "一次总算、一次总付50,000.00元" in page and lpd.isoformat() in page
    assert "获取开放许可" in page and f"/open-licences/{decl_id}/take" in page
    confirm = f"/open-licences/{decl_id}/take"
    assert "人民币伍万元整" in buyer.get(confirm).get_data(as_text=True)  # the confirmation: how much
    response = post(buyer, confirm, {"confirm": "1"}, patent_page)
    assert response.status_code == 302
    licence_page = response.headers["Location"]
    deal_id = int(re.search(r"/deals/(\d+)/licence", licence_page).group(1))
    page = buyer.get(licence_page).get_data(as_text=True)
    assert "待付款" in page and "书面通知已送达专利权人" in page
    again = post(buyer, f"/open-licences/{decl_id}/take", {}, patent_page)  # a second click
    assert again.headers["Location"] == licence_page

    # It pays by bank transfer: the receipt goes up on the deal page, the patentee confirms the money arrived.
    with app.test_request_context():
        payment_id = db.session.scalar(select(Payment.id).where(Payment.deal_id == deal_id))
    if "deals.payment_receipt" in app.view_functions:
        deal_page = f"/deals/{deal_id}"
        assert f"{deal_page}#payments" in page
        token = f.csrf_token(buyer, deal_page)
        receipt = buyer.post(f"{deal_page}/payments/{payment_id}/receipt", content_type="multipart/form-data",
                             data={"csrf_token": token, "file": (io.BytesIO(PDF), "receipt.pdf")})
        assert receipt.status_code == 302
        confirm = post(client, f"{deal_page}/payments/{payment_id}/confirm", {"confirm": "1"}, deal_page)
        assert confirm.status_code == 302
    else:  # without the deal pages: the offline provider's services directly
        with app.test_request_context():
            payment = db.session.get(Payment, payment_id)
            payments.start_checkout(db.session, payment, "bank_transfer")
            payments.confirm_payment(db.session, payment, actor=db.session.get(type(w.uni_user), w.uni_user.id))
            db.session.commit()
    with app.test_request_context():
        assert db.session.get(Payment, payment_id).status == "PAID"

    page = buyer.get(licence_page).get_data(as_text=True)
    deadline = add_months(today, 3).isoformat()
    assert "已取得许可" in page and deadline in page
    contract = buyer.get(f"/deals/{deal_id}/contract").get_data(as_text=True)
    assert app_no in contract and patent_no in contract
    assert "一次总算、一次总付50,000.00元" in contract and "人民币伍万元整" in contract
    pdf = buyer.get(f"/deals/{deal_id}/contract.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    filing = buyer.get(f"/deals/{deal_id}/filing-package").get_data(as_text=True)
    assert "专利实施许可合同备案材料" in filing and f"备案期限：{deadline}" in filing
    assert buyer.get(f"/deals/{deal_id}/filing-package.pdf").data.startswith(b"%PDF")
    notice = buyer.get(f"/deals/{deal_id}/notice").get_data(as_text=True)
    assert "开放许可书面通知" in notice and "SHA-256" in notice

    # A second enterprise takes the same open licence on the same terms.
    other = another_client(app)
    f.login(other, buyers[1][1])
    response = post(other, f"/open-licences/{decl_id}/take", {"confirm": "1"}, patent_page)
    other_id = int(re.search(r"/deals/(\d+)/licence", response.headers["Location"]).group(1))
    with app.test_request_context():
        first, second = db.session.get(Deal, deal_id), db.session.get(Deal, other_id)
        assert first.fee_terms == second.fee_terms and first.buyer_org_id != second.buyer_org_id
        assert db.session.scalar(select(Payment.amount_fen).where(Payment.deal_id == other_id)) == 5_000_000

    # Neither enterprise sees the other's papers.
    for path in ("licence", "contract", "contract.pdf", "notice", "filing-package", "filing-package.pdf"):
        assert other.get(f"/deals/{deal_id}/{path}").status_code == 404, path

    # The patentee sees both licences on its declaration.
    page = client.get(decl_page).get_data(as_text=True)
    assert buyers[0][0] in page and buyers[1][0] in page


def test_the_declaration_form_reports_advertising_wording(app, client):
    with app.test_request_context():
        w = wb.world(enterprises=0)
        db.session.commit()
        app_no, email, lpd = w.patent.application_number, w.uni_user.email, w.patent.last_protected_day
    f.login(client, email)
    form = f"/patents/{app_no}/open-licence"
    response = post(client, form, {
        "mode": "LUMP_SUM", "lump_yuan": "50000", "term_start": today_local().isoformat(),
        "term_end": lpd.isoformat(), "territory": "中华人民共和国境内", "other_terms": "国际领先技术，首选方案",
        "fee_basis_note": "成本法", "contact": "021-66130000"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "R-OL-2" in page and "不得使用商业广告用语" in page and "国际领先" in page


def test_a_withdrawn_licence_shows_no_take_button(app, client):
    from market.deals.open_licence import declarations as ol

    with app.test_request_context():
        w = wb.world()
        decl = wb.announced(w, on=today_local() - timedelta(days=30))
        ol.record_withdrawal_request(w.uni_user, decl, today_local() - timedelta(days=2))
        ol.record_withdrawal(w.uni_user, decl, today_local())
        db.session.commit()
        app_no, email, decl_id = w.patent.application_number, w.buyer_user.email, decl.id
    f.login(client, email)
    page = client.get(f"/patents/{app_no}").get_data(as_text=True)
    assert "已撤回" in page and f"/open-licences/{decl_id}/take" not in page
    response = post(client, f"/open-licences/{decl_id}/take", {"confirm": "1"}, f"/patents/{app_no}")
    assert response.status_code == 302
    assert "已于" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.test_request_context():
        assert db.session.scalar(select(Deal.id).where(Deal.declaration_id == decl_id)) is None
