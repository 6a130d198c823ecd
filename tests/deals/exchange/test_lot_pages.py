"""The lot pages: public notice, opening with errors beside fields, registration confirmed first, decisions."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from market.accounts.services import issue_api_token
from market.core.db import utcnow
from market.core.extensions import db
from market.deals.exchange import lots
from market.deals.exchange.models import Lot, LotRegistration
from tests.deals.exchange.lots_world import register
from tests.deals.test_deal_pages import as_user, flashed, post

TERMS = {"method": "LISTING", "deal_kind": "TRANSFER", "price_fen": 8_000_000, "deposit_fen": 500_000,
         "qualifications": "依法设立的企业法人", "disclosure_working_days": 20}


def _lot(w):
    seller = w.listing.organisation
    seller.bank_account_name, seller.bank_name, seller.bank_account_no = seller.name, "上海银行", "31001234567"
    lot = lots.open_lot(db.session, w.seller, w.listing, dict(TERMS), at=utcnow())
    db.session.commit()
    return lot


def test_public_notice_shows_terms_countdown_and_count_but_no_names(app, setup, client):
    w = setup()
    lot = _lot(w)
    register(lot, w.buyer)
    db.session.commit()
    html = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert "80,000.00 元" in html and "5,000.00 元" in html and "依法设立的企业法人" in html
    assert "个工作日" in html and "1 家" in html
    assert w.buyer.organisation.name not in html
    assert w.point.operator.name in html  # who conducts it
    en = client.get(f"/lots/{lot.id}?lang=en").get_data(as_text=True)
    assert "working days left" in en and "Listing price" in en
    listing_page = client.get("/lots/").get_data(as_text=True)
    assert lot.reference in listing_page


def test_unknown_lot_is_404(client, session):
    assert client.get("/lots/999999").status_code == 404
    assert client.get("/lots/99999999999").status_code == 404


def test_opening_form_keeps_input_and_shows_every_error_beside_its_field(app, setup):
    w = setup()
    seller = as_user(app, w.seller)
    assert seller.get(f"/lots/new?listing={w.listing.id}").status_code == 200
    response = post(seller, "/lots/new", {"listing_id": w.listing.id, "deal_kind": "TRANSFER", "price_yuan": "NaN",
                                          "deposit_yuan": "-5", "qualifications": "企业法人",
                                          "disclosure_working_days": "20", "bidding_hours": "200"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="err-price_yuan"' in html and 'id="err-deposit_yuan"' in html and 'id="err-confirm"' in html
    assert 'id="err-bidding_hours"' in html
    assert "企业法人" in html  # what was valid is kept
    assert db.session.scalar(select(Lot.id).where(Lot.listing_id == w.listing.id)) is None


def test_a_stranger_cannot_open_a_lot(app, setup):
    w = setup()
    other = as_user(app, w.other)
    assert other.get(f"/lots/new?listing={w.listing.id}").status_code == 403
    response = post(other, "/lots/new", {"listing_id": w.listing.id, "deal_kind": "TRANSFER", "price_yuan": "80000",
                                         "qualifications": "x"})
    assert response.status_code == 403


def test_seller_opens_a_lot_through_the_form(app, setup):
    w = setup()
    seller = as_user(app, w.seller)
    form = {"listing_id": w.listing.id, "deal_kind": "TRANSFER", "price_yuan": "80000", "qualifications": "企业法人"}
    assert post(seller, "/lots/new", form).status_code == 422  # not confirmed: nothing is published
    assert db.session.scalar(select(Lot.id).where(Lot.listing_id == w.listing.id)) is None
    page = flashed(seller, post(seller, "/lots/new", {
        "listing_id": w.listing.id, "deal_kind": "TRANSFER", "price_yuan": "80000", "deposit_yuan": "5000",
        "qualifications": "企业法人", "disclosure_working_days": "20", "method": "LISTING", "bidding_hours": "24",
        "confirm": "1"}))
    assert "挂牌公告已发布" in page
    lot = db.session.scalar(select(Lot).where(Lot.listing_id == w.listing.id))
    assert lot.price_fen == 8_000_000 and lot.deposit_fen == 500_000
    assert lot.bidding_closes_at - lot.bidding_opens_at == timedelta(hours=24)  # the length the form announced


def test_registration_is_confirmed_on_a_page_first(app, setup):
    w = setup()
    lot = _lot(w)
    buyer = as_user(app, w.buyer)
    confirm = buyer.get(f"/lots/{lot.id}/register").get_data(as_text=True)
    assert 'name="confirm"' in confirm and "5,000.00 元" in confirm
    assert post(buyer, f"/lots/{lot.id}/register", {"statement": "s"}).status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(LotRegistration.id).where(LotRegistration.lot_id == lot.id)) is None
    page = flashed(buyer, post(buyer, f"/lots/{lot.id}/register", {"confirm": "1"}))
    assert "报名成功" in page and "保证金待缴" in page
    # The deposit: bank details of the seller, then the seller confirms the money arrived.
    deposit = post(buyer, f"/lots/{lot.id}/deposit").get_data(as_text=True)
    assert "31001234567" in deposit and "PSM-P" in deposit
    reg = db.session.scalar(select(LotRegistration).where(LotRegistration.lot_id == lot.id))
    seller = as_user(app, w.seller)
    flashed(seller, post(seller, f"/lots/{lot.id}/registrations/{reg.id}/deposit-received", {"confirm": "1"}))
    db.session.expire_all()
    assert db.session.get(LotRegistration, reg.id).deposit_status == "PAID"


def test_seller_refuses_with_a_reason_the_buyer_sees(app, setup):
    w = setup()
    lot = _lot(w)
    reg = register(lot, w.buyer, qualify=False)
    db.session.commit()
    seller = as_user(app, w.seller)
    assert w.buyer.organisation.name in seller.get(f"/lots/{lot.id}/manage").get_data(as_text=True)
    url = f"/lots/{lot.id}/registrations/{reg.id}/decide"
    assert "不予确认资格" in seller.get(url + "?qualified=0").get_data(as_text=True)
    assert post(seller, url, {"qualified": "0", "reason": "", "confirm": "1"}).status_code == 422
    flashed(seller, post(seller, url, {"qualified": "0", "reason": "注册资本不足", "confirm": "1"}))
    buyer = as_user(app, w.buyer)
    html = buyer.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert "资格未通过" in html and "注册资本不足" in html and "保证金已退还" in html
    # The buyer cannot open the seller's page.
    assert buyer.get(f"/lots/{lot.id}/manage").status_code == 403


def test_reading_a_lot_after_its_period_settles_it(app, setup, client):
    w = setup()
    lot = _lot(w)
    register(lot, w.buyer)
    lot.registration_closes_at = utcnow() - timedelta(minutes=1)
    lot.opens_at = lot.registration_closes_at - timedelta(days=30)
    db.session.commit()
    html = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert "已成交" in html
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).deal_id is not None


def test_api_lists_opens_and_registers(app, setup, client):
    w = setup()
    lot = _lot(w)
    body = client.get(f"/api/v1/lots/{lot.id}").get_json()
    assert body["price_fen"] == 8_000_000 and body["registrations"] == 0 and body["working_days_left"] > 0
    assert "reserve_fen" not in body
    assert any(x["id"] == lot.id for x in client.get("/api/v1/lots").get_json())


def _call(client, method, url, token, body=None):
    headers = {"Authorization": "Bearer " + token}
    response = client.open("/api/v1" + url, method=method, headers=headers,
                           data=json.dumps(body) if body is not None else None, content_type="application/json")
    return response.status_code, response.get_json()


def test_api_opens_a_lot_refuses_nan_and_the_seller_registering(app, setup, client):
    w = setup()
    seller = w.listing.organisation
    seller.bank_account_name, seller.bank_name, seller.bank_account_no = seller.name, "上海银行", "31001234567"
    tokens = {name: issue_api_token(getattr(w, name), "t")[1] for name in ("seller", "buyer", "other")}
    db.session.commit()
    body = {"listing_id": w.listing.id, "deal_kind": "TRANSFER", "price_fen": 8_000_000, "deposit_fen": 500_000,
            "qualifications": "企业法人"}
    for bad in ({"price_fen": "NaN"}, {"price_fen": -1}, {"deposit_fen": 1.5}):
        status, _ = _call(client, "POST", "/lots", tokens["seller"], {**body, **bad})
        assert status == 422, bad
    assert _call(client, "POST", "/lots", tokens["other"], body)[0] == 403
    status, lot = _call(client, "POST", "/lots", tokens["seller"], body)
    assert status == 201 and lot["price_fen"] == 8_000_000
    assert _call(client, "POST", f"/lots/{lot['id']}/registrations", tokens["seller"], {})[0] == 403
    status, reg = _call(client, "POST", f"/lots/{lot['id']}/registrations", tokens["buyer"], {"statement": "我们符合"})
    assert status == 201 and reg["deposit_status"] == "DUE"
    assert _call(client, "POST", f"/lots/{lot['id']}/registrations", tokens["buyer"], {})[0] == 409


def test_the_deal_page_shows_the_lot_as_the_evidence_of_its_price(app, setup):
    w = setup()
    lot = _lot(w)
    register(lot, w.buyer)
    lots.settle_lot(db.session, lot, at=lot.registration_closes_at)
    db.session.commit()
    html = as_user(app, w.buyer).get(f"/deals/{lot.deal_id}").get_data(as_text=True)
    assert "价格来源：平台挂牌交易" in html and f"/lots/{lot.id}#ledger" in html
    assert "5,000.00 元" in html  # the deposit applied to the price


def test_every_line_the_lot_services_write_has_words_on_the_public_notice():
    """The public ledger says what happened in words: never a raw code such as BIDDING_STARTED."""
    import re
    from pathlib import Path

    from market.deals.exchange import public

    source = "".join(p.read_text(encoding="utf-8") for p in Path(public.__file__).parent.glob("*.py"))
    kinds = set(re.findall(r'lot_ledger\([^"]*"([A-Z_]+)"', source))
    assert {"OPENED", "BIDDING_STARTED", "BID", "BIDDING_CLOSED", "AWARDED"} <= kinds
    assert kinds - set(public.LINE_WORDS) == set()


def test_the_english_notice_names_the_extension_in_minutes_in_plain_brackets(app, setup, client):
    w = setup()
    lot = _lot(w)
    lot.extension_minutes = 5
    db.session.commit()
    en = client.get(f"/lots/{lot.id}?lang=en").get_data(as_text=True)
    assert "extends it by 5 minutes" in en  # it said "extends it by 5"
    assert "（" not in en.split('id="terms-title"')[1].split("</section>")[0]  # no full-width brackets in English
