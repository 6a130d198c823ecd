"""Issue 15 §1 and §12 on the deal pages: exact amounts where they bind, 万元 in lists, the next step after a receipt."""

from __future__ import annotations

import re

from sqlalchemy import select

from market.core.extensions import db
from market.deals import negotiation as n
from market.payments.models import Payment
from tests import factories as f
from tests.deals.negotiation_world import agreed
from tests.deals.test_deal_pages import PNG, as_user, flashed, post


def _next_steps(html: str) -> str:
    m = re.search(r'<section class="notice" aria-labelledby="next-title">(.*?)</section>', html, re.S)
    return m[1] if m else ""


def test_the_deal_page_shows_the_exact_amount_and_the_list_shows_wan_with_two_decimals(app, setup):
    w = setup()
    deal = n.request_deal(w.buyer, w.listing, "TRANSFER", terms={"price_fen": 5_000_000})
    n.accept_offer(w.seller, deal)
    db.session.commit()
    buyer = as_user(app, w.buyer)
    html = buyer.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "50,000.00 元" in html and "5 万元" not in html
    en = buyer.get(f"/deals/{deal.id}?lang=en").get_data(as_text=True)
    assert "¥50,000.00" in en
    mine = buyer.get("/deals/?lang=zh").get_data(as_text=True)
    assert "金额（万元）" in mine
    row = re.search(rf'{deal.reference}.*?</tr>', mine, re.S)[0]
    assert re.search(r"<td class=\"num nowrap\"[^>]*>5\.00</td>", row), row


def test_after_the_receipt_upload_the_next_step_is_no_longer_pay_and_upload(app, setup):
    w = setup()
    deal = agreed(w, "TRANSFER")
    f.sign_both(deal)
    db.session.commit()
    payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id))
    buyer, seller = as_user(app, w.buyer), as_user(app, w.seller)
    assert "上传凭证" in _next_steps(buyer.get(f"/deals/{deal.id}").get_data(as_text=True))
    flashed(buyer, post(buyer, f"/deals/{deal.id}/payments/{payment.id}/receipt", file=(PNG, "回单.png")))
    steps = _next_steps(buyer.get(f"/deals/{deal.id}").get_data(as_text=True))
    assert "上传凭证" not in steps and "等待" in steps and "80,000.00" in steps
    en = _next_steps(buyer.get(f"/deals/{deal.id}?lang=en").get_data(as_text=True))
    assert "upload the receipt" not in en and "waiting" in en.lower()
    seller_steps = _next_steps(seller.get(f"/deals/{deal.id}").get_data(as_text=True))
    assert "凭证" in seller_steps and "确认收款" in seller_steps


def test_the_soe_valuation_is_typed_in_yuan_on_the_deal_page(app, setup):
    """Issue 15 §1: 280000 typed as the appraised value is 280,000.00 元, not 2,800.00 元 (the field was in 分)."""
    from datetime import timedelta

    from market.core.time import today_local
    from market.deals.models import Deal
    from tests.deals.negotiation_world import PDF

    w = setup(seller_type="SOE")
    deal = agreed(w, "TRANSFER", terms={"price_fen": 28_000_000})
    db.session.commit()
    seller = as_user(app, w.seller)
    form = seller.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "评估值（元）" in form and 'name="value_yuan"' in form
    flashed(seller, post(seller, f"/deals/{deal.id}/approvals/DECISION", {}, file=(PDF, "决议.pdf")))
    base = (today_local() - timedelta(days=10)).isoformat()
    refused = flashed(seller, post(seller, f"/deals/{deal.id}/approvals/VALUATION", {
        "basis": "EVALUATION", "appraiser": "东洲评估", "report_no": "东洲评报字2025第1号", "value_yuan": "28万",
        "base_date": base}, file=(PDF, "评估报告.pdf")))
    assert "评估值须为以元为单位的金额" in refused and "以分为单位" not in refused
    page = flashed(seller, post(seller, f"/deals/{deal.id}/approvals/VALUATION", {
        "basis": "EVALUATION", "appraiser": "东洲评估", "report_no": "东洲评报字2025第1号", "value_yuan": "280000",
        "base_date": base}, file=(PDF, "评估报告.pdf")))
    assert "已登记" in page and "280,000.00 元" in page
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).valuation["value_fen"] == 28_000_000
