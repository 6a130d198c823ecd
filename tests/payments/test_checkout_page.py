"""The Stripe checkout page: Stripe.js gets the intent's client secret, and only this page may load it."""

from __future__ import annotations

from sqlalchemy import select

from market.core.extensions import db
from market.deals.open_licence.acquisition import take_open_licence
from market.payments.models import Payment
from tests import factories as f
from tests.deals.open_licence import world as wb


def test_the_stripe_checkout_page_mounts_stripe_js_under_its_own_policy(stripe_app, client, monkeypatch):
    monkeypatch.setitem(stripe_app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_checkout")
    with stripe_app.test_request_context():
        w = wb.world()
        decl = wb.announced(w)
        deal = take_open_licence(decl.id, w.buyer, w.buyer_user)
        payment = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)).one()
        deal_id, payment_id, email = deal.id, payment.id, w.buyer_user.email
        db.session.commit()
    f.login(client, email)
    page = client.post(f"/deals/{deal_id}/payments/{payment_id}/checkout",
                       data={"csrf_token": f.csrf_token(client, f"/deals/{deal_id}"), "method": "card"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-publishable-key="pk_test_checkout"' in html and "data-client-secret=" in html
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    assert "script-src 'self' https://js.stripe.com" in page.headers["Content-Security-Policy"]
    # Every other page keeps scripts to our own origin.
    assert "js.stripe.com" not in client.get(f"/deals/{deal_id}").headers["Content-Security-Policy"]
