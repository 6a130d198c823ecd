"""Bank transfers under a deal go to the seller's own account, which its administrator keeps."""

from __future__ import annotations

from sqlalchemy import select

from market.accounts.models import Organisation, User
from market.core.extensions import db
from market.deals.open_licence.acquisition import take_open_licence
from market.payments import services as payments
from market.payments.models import Payment
from tests import factories as f
from tests.deals.open_licence import world as wb


def save_bank(client, data):
    return client.post("/account/bank", data={"csrf_token": f.csrf_token(client, "/account"), **data},
                       follow_redirects=True).get_data(as_text=True)


def test_the_seller_keeps_its_account_and_payers_see_it(app, client):
    with app.test_request_context():
        w = wb.world()
        decl = wb.announced(w)
        seller_id, seller_name, seller_email = w.uni.id, w.uni.name, w.uni_user.email
        decl_id, buyer_user_id = decl.id, w.buyer_user.id
        db.session.commit()
    f.login(client, seller_email)
    # The holder must be the organisation itself: banks refuse a transfer to another name.
    page = save_bank(client, {"bank_account_name": "某某个人", "bank_name": "工商银行宝山支行",
                              "bank_account_no": "1001 2345 6789 0123"})
    assert "户名须与机构名称" in page
    page = save_bank(client, {"bank_account_name": seller_name, "bank_name": "工商银行宝山支行",
                              "bank_account_no": "12AB"})
    assert "账号只能包含数字" in page
    page = save_bank(client, {"bank_account_name": f" {seller_name} ", "bank_name": "工商银行宝山支行",
                              "bank_account_no": "1001 2345 6789 0123"})
    assert "收款账户已保存" in page
    with app.test_request_context():
        org = db.session.get(Organisation, seller_id)
        assert (org.bank_name, org.bank_account_no) == ("工商银行宝山支行", "1001234567890123")
        buyer_user = db.session.get(User, buyer_user_id)
        deal = take_open_licence(decl_id, buyer_user.organisation, buyer_user)
        payment = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)).one()
        checkout = payments.start_checkout(db.session, payment, "bank_transfer")
        assert (checkout.instructions.account_name, checkout.instructions.account_number) == (
            seller_name, "1001234567890123")


def test_a_member_cannot_change_the_account(app, client):
    with app.test_request_context():
        org = f.organisation()
        email = f.user(org, role="MEMBER").email
        db.session.commit()
    f.login(client, email)
    response = client.post("/account/bank", data={"csrf_token": f.csrf_token(client, "/account"),
                                                  "bank_account_name": "x", "bank_name": "y", "bank_account_no": "1"})
    assert response.status_code == 403
