"""Issue 15 §6 on the deal pages: a refused offer keeps every input and names every problem beside its field."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.models import Deal
from tests.deals.test_deal_pages import as_user, post


def _value(html: str, element_id: str) -> str | None:
    """The value attribute (or textarea text) of the element with this id."""
    m = re.search(rf'<input id="{element_id}"[^>]*?value="([^"]*)"', html)
    if m:
        return m[1]
    m = re.search(rf'<textarea id="{element_id}"[^>]*>([^<]*)</textarea>', html)
    return m[1] if m else None


def _error_after(html: str, element_id: str) -> str:
    """The error message shown beside the field (the field's own error paragraph)."""
    m = re.search(rf'id="{element_id}-error"[^>]*>(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", " ", m[1]).strip() if m else ""


def test_a_refused_counter_offer_keeps_every_input_and_shows_every_error_at_once(app, setup):
    w = setup()
    deal = n.request_deal(w.buyer, w.listing, "LICENSE_ORDINARY", terms={"price_fen": 1_000_000}, message="你好")
    db.session.commit()
    seller = as_user(app, w.seller)
    start = today_local() + timedelta(days=30)
    response = post(seller, f"/deals/{deal.id}/offers", {
        "price_yuan": "12.345", "start_date": start.isoformat(), "end_date": (start - timedelta(days=1)).isoformat(),
        "territory": "上海市浦东新区", "field_of_use": "锂电池隔膜", "royalty_rate": "3", "message": "请看我方条件"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # Every input is still there, as typed.
    assert _value(html, "counter-price") == "12.345"
    assert _value(html, "counter-territory") == "上海市浦东新区"
    assert _value(html, "counter-field") == "锂电池隔膜"
    assert _value(html, "counter-start") == start.isoformat()
    assert _value(html, "counter-msg") == "请看我方条件"
    # Both problems at once, each beside its field, in Chinese.
    assert "两位小数" in _error_after(html, "counter-price")
    assert "结束日不能早于开始日" in _error_after(html, "counter-end")
    assert 'aria-invalid="true"' in html and "<details class=\"panel-sub\" open" in html
    db.session.expire_all()
    assert len(db.session.get(Deal, deal.id).offers) == 1  # nothing was sent


def test_the_refusal_is_in_english_on_an_english_page(app, setup):
    w = setup()
    deal = n.request_deal(w.buyer, w.listing, "TRANSFER", terms={"price_fen": 1_000_000})
    db.session.commit()
    seller = as_user(app, w.seller)
    seller.get(f"/deals/{deal.id}?lang=en")
    html = post(seller, f"/deals/{deal.id}/offers", {"price_yuan": "abc", "message": "x" * 2001}).get_data(as_text=True)
    assert "Enter an amount in yuan" in _error_after(html, "counter-price")
    assert "at most 2,000 characters" in _error_after(html, "counter-msg")
    assert "请输入金额" not in html


def test_a_refused_deal_request_keeps_every_input_and_shows_every_error(app, setup):
    w = setup()
    buyer = as_user(app, w.buyer)
    too_late = (w.patent.last_protected_day + timedelta(days=1)).isoformat()
    response = post(buyer, "/deals/new", {
        "listing_id": w.listing.id, "kind": "LICENSE_ORDINARY", "price_yuan": "-5",
        "start_date": today_local().isoformat(), "end_date": too_late, "territory": "长三角地区",
        "message": "希望尽快洽谈"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _value(html, "new-price") == "-5" and _value(html, "new-end") == too_late
    assert _value(html, "new-territory") == "长三角地区" and _value(html, "new-msg") == "希望尽快洽谈"
    assert "不能为负数" in _error_after(html, "new-price")
    assert "保护期" in _error_after(html, "new-end")
    assert db.session.scalar(select(Deal.id).where(Deal.listing_id == w.listing.id)) is None
