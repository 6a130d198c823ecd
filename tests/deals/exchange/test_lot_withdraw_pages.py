"""Withdrawing a lot (撤牌) and withdrawing a registration: a confirmation page first, then a binding POST
that checks everything again and, refused, keeps what was typed and writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from market.accounts.vocabulary import Role
from market.core.extensions import db
from market.deals.exchange import lots
from market.deals.exchange.models import Lot, LotEvent, LotRegistration
from tests import factories as f
from tests.deals.exchange.lots_world import register
from tests.deals.exchange.test_lot_pages import _lot
from tests.deals.test_deal_pages import as_user, flashed, post


def _lines(lot_id: int) -> int:
    return db.session.scalar(select(func.count(LotEvent.id)).where(LotEvent.lot_id == lot_id))


def _state(lot_id: int, reg_id: int) -> tuple:
    db.session.expire_all()
    reg = db.session.get(LotRegistration, reg_id)
    return db.session.get(Lot, lot_id).status, reg.status, reg.deposit_status, _lines(lot_id)


def test_withdrawing_a_lot_is_confirmed_on_a_page_that_says_what_becomes_of_the_deposits(app, setup):
    w = setup()
    lot = _lot(w)
    reg = register(lot, w.buyer)  # its 5,000 元 deposit paid
    db.session.commit()
    seller = as_user(app, w.seller)
    manage = seller.get(f"/lots/{lot.id}/manage").get_data(as_text=True)
    assert f'href="/lots/{lot.id}/withdraw"' in manage
    assert f'action="/lots/{lot.id}/withdraw"' not in manage  # no binding form on the management page
    page = seller.get(f"/lots/{lot.id}/withdraw")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and lot.reference in html
    assert "1 家已缴保证金" in html and "5,000.00 元" in html and 'name="confirm"' in html and 'name="reason"' in html
    assert "Withdraw the lot" in as_user(app, w.seller).get(f"/lots/{lot.id}/withdraw?lang=en").get_data(as_text=True)
    before = _state(lot.id, reg.id)

    # Not confirmed: the page again (422) with the reason kept; nothing written.
    response = post(seller, f"/lots/{lot.id}/withdraw", {"reason": "专利权人决定自行实施"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="err-confirm"' in html and "专利权人决定自行实施" in html
    # Confirmed without a reason: the error beside the reason field.
    response = post(seller, f"/lots/{lot.id}/withdraw", {"reason": "  ", "confirm": "1"})
    assert response.status_code == 422 and 'id="err-reason"' in response.get_data(as_text=True)
    assert _state(lot.id, reg.id) == before

    page = flashed(seller, post(seller, f"/lots/{lot.id}/withdraw", {"reason": "专利权人决定自行实施", "confirm": "1"}))
    assert "已撤牌" in page
    status, reg_status, deposit, _ = _state(lot.id, reg.id)
    assert (status, deposit) == ("WITHDRAWN", "REFUNDED")


def test_the_binding_lot_withdrawal_still_checks_who_and_when(app, setup):
    w = setup()
    lot = _lot(w)
    reg = register(lot, w.buyer)
    db.session.commit()
    for stranger in (w.buyer, w.other):
        client = as_user(app, stranger)
        assert client.get(f"/lots/{lot.id}/withdraw").status_code == 403
        assert post(client, f"/lots/{lot.id}/withdraw", {"reason": "x", "confirm": "1"}).status_code == 403
    # The period ends with one qualified buyer: the lot is sold and can no longer be withdrawn.
    lots.settle_lot(db.session, lot, at=lot.registration_closes_at)
    db.session.commit()
    before = _state(lot.id, reg.id)
    seller = as_user(app, w.seller)
    page = seller.get(f"/lots/{lot.id}/withdraw").get_data(as_text=True)
    assert "只有公告期内或流拍的项目可以撤牌" in page and 'name="confirm"' not in page
    response = post(seller, f"/lots/{lot.id}/withdraw", {"reason": "改主意了", "confirm": "1"})
    assert response.status_code == 422 and "不能撤牌" in response.get_data(as_text=True)
    assert _state(lot.id, reg.id) == before


def test_withdrawing_a_registration_is_confirmed_on_a_page_first(app, setup):
    w = setup()
    lot = _lot(w)
    reg = register(lot, w.buyer)
    db.session.commit()
    buyer = as_user(app, w.buyer)
    notice = buyer.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert f'href="/lots/{lot.id}/withdraw-registration"' in notice
    assert f'action="/lots/{lot.id}/withdraw-registration"' not in notice  # a plain button no more
    html = buyer.get(f"/lots/{lot.id}/withdraw-registration").get_data(as_text=True)
    assert "撤回报名" in html and "5,000.00 元" in html and "原路退还" in html and 'name="confirm"' in html
    assert "Withdraw the registration" in as_user(app, w.buyer).get(
        f"/lots/{lot.id}/withdraw-registration?lang=en").get_data(as_text=True)
    before = _state(lot.id, reg.id)
    response = post(buyer, f"/lots/{lot.id}/withdraw-registration", {})
    assert response.status_code == 422 and 'id="err-confirm"' in response.get_data(as_text=True)
    assert _state(lot.id, reg.id) == before

    page = flashed(buyer, post(buyer, f"/lots/{lot.id}/withdraw-registration", {"confirm": "1"}))
    assert "已撤回报名" in page
    assert _state(lot.id, reg.id)[1:3] == ("WITHDRAWN", "REFUNDED")


def test_the_binding_registration_withdrawal_still_checks_everything(app, setup):
    w = setup()
    lot = _lot(w)
    reg = register(lot, w.buyer)
    member = f.user(w.buyer.organisation, role=Role.MEMBER)
    db.session.commit()
    before = _state(lot.id, reg.id)
    # Another organisation has no registration here: there is nothing to confirm or withdraw.
    other = as_user(app, w.other)
    assert other.get(f"/lots/{lot.id}/withdraw-registration").status_code == 404
    assert post(other, f"/lots/{lot.id}/withdraw-registration", {"confirm": "1"}).status_code == 404
    # A member of the buyer's organisation is told only an administrator may, and is refused.
    client = as_user(app, member)
    page = client.get(f"/lots/{lot.id}/withdraw-registration").get_data(as_text=True)
    assert "只有本单位管理员可以撤回报名" in page and 'name="confirm"' not in page
    assert post(client, f"/lots/{lot.id}/withdraw-registration", {"confirm": "1"}).status_code == 403
    assert _state(lot.id, reg.id) == before
    # Refused by the seller: the page says why it cannot be withdrawn, and the POST says it again.
    reg.status = "REFUSED"
    db.session.commit()
    before = _state(lot.id, reg.id)
    buyer = as_user(app, w.buyer)
    page = buyer.get(f"/lots/{lot.id}/withdraw-registration").get_data(as_text=True)
    assert "资格未通过" in page and "不能撤回" in page and 'name="confirm"' not in page
    response = post(buyer, f"/lots/{lot.id}/withdraw-registration", {"confirm": "1"})
    assert response.status_code == 422 and "不能撤回" in response.get_data(as_text=True)
    assert _state(lot.id, reg.id) == before
