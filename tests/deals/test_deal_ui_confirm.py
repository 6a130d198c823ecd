"""Issue 15 §2 on the deal pages: accepting an offer or the listed terms, confirming receipt and voiding each
show what will happen, to whom and for how much first; the POST without the explicit confirmation changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from market.core.extensions import db
from market.deals import negotiation as n
from market.deals.models import Deal
from market.deals.vocabulary import DealStatus as S
from market.payments.models import Payment
from tests import factories as f
from tests.deals.negotiation_world import agreed
from tests.deals.test_deal_pages import PNG, as_user, flashed, post


def test_accepting_an_offer_is_confirmed_on_a_page_first(app, setup):
    w = setup()
    deal = n.request_deal(w.buyer, w.listing, "TRANSFER", terms={"price_fen": 5_000_000}, message="你好")
    db.session.commit()
    seller = as_user(app, w.seller)
    offer_id = deal.offers[0].id
    page = flashed(seller, post(seller, f"/deals/{deal.id}/accept", {"offer_id": offer_id}))
    assert "确认页" in page
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == S.NEGOTIATING
    response = seller.get(f"/deals/{deal.id}/accept?offer_id={offer_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert w.buyer.organisation.name in html and "50,000.00 元" in html and 'name="confirm"' in html
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == S.NEGOTIATING  # nothing changes on GET
    page = flashed(seller, post(seller, f"/deals/{deal.id}/accept", {"offer_id": offer_id, "confirm": "1"}))
    assert "已接受报价" in page
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == S.AGREED


def test_accepting_the_listed_terms_is_confirmed_on_a_page_first(app, setup):
    w = setup(price_fen=2_000_000)
    buyer = as_user(app, w.buyer)
    form = {"listing_id": w.listing.id, "kind": "TRANSFER", "accept_listed": "1"}
    response = post(buyer, "/deals/new", form)
    assert db.session.scalar(select(Deal.id).where(Deal.listing_id == w.listing.id)) is None
    assert response.status_code in (302, 422)
    html = buyer.get(f"/deals/new/listed?listing={w.listing.id}&kind=TRANSFER").get_data(as_text=True)
    assert w.listing.organisation.name in html and "20,000.00 元" in html and 'name="confirm"' in html
    assert db.session.scalar(select(Deal.id).where(Deal.listing_id == w.listing.id)) is None
    page = flashed(buyer, post(buyer, "/deals/new", {**form, "confirm": "1"}))
    assert "已按挂牌条件达成一致" in page
    # The listed terms' offer reads in the page's language, not as "挂牌条件 / listed terms" (issue 15 §7).
    assert "挂牌条件 / listed terms" not in page and "挂牌条件" in page
    deal_id = db.session.scalar(select(Deal.id).where(Deal.listing_id == w.listing.id))
    assert "listed terms" in buyer.get(f"/deals/{deal_id}?lang=en").get_data(as_text=True)


def _signed(w):
    deal = agreed(w, "TRANSFER")
    f.sign_both(deal)
    db.session.commit()
    return deal, db.session.scalar(select(Payment).where(Payment.deal_id == deal.id))


def test_confirming_receipt_is_confirmed_on_a_page_first(app, setup):
    w = setup()
    deal, payment = _signed(w)
    buyer, seller = as_user(app, w.buyer), as_user(app, w.seller)
    flashed(buyer, post(buyer, f"/deals/{deal.id}/payments/{payment.id}/receipt", file=(PNG, "回单.png")))
    page = flashed(seller, post(seller, f"/deals/{deal.id}/payments/{payment.id}/confirm"))
    assert "确认页" in page
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "DUE"
    html = seller.get(f"/deals/{deal.id}/payments/{payment.id}/confirm").get_data(as_text=True)
    assert w.buyer.organisation.name in html and "80,000.00 元" in html and 'name="confirm"' in html
    assert "回单.png" in html
    page = flashed(seller, post(seller, f"/deals/{deal.id}/payments/{payment.id}/confirm", {"confirm": "1"}))
    assert "已确认收款" in page
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "PAID"


def test_voiding_is_confirmed_on_a_page_first(app, setup):
    w = setup()
    deal = agreed(w, "TRANSFER")
    db.session.commit()
    bureau = as_user(app, w.bureau)
    page = flashed(bureau, post(bureau, f"/deals/{deal.id}/void", {"reason": "测试数据"}))
    assert "确认页" in page
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == S.AGREED
    html = bureau.get(f"/deals/{deal.id}/void").get_data(as_text=True)
    assert w.buyer.organisation.name in html and w.seller.organisation.name in html and "80,000.00 元" in html
    assert 'name="confirm"' in html
    page = flashed(bureau, post(bureau, f"/deals/{deal.id}/void", {"reason": "测试数据", "confirm": "1"}))
    assert "交易已作废" in page
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == S.VOID
