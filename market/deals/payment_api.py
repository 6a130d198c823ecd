"""Paying a deal's payment on the JSON API (a route on market.web.api.bp).

An API client can take an open licence (`POST /open-licences/<id>/take`) and must be able to pay
it without the web page: this opens the payment at the configured provider and answers with
what the payer needs next — the PaymentIntent's client secret for Stripe.js, or the bank
transfer instructions. The web page's checkout (`/deals/<id>/payments/<pid>/checkout`) calls the
same service.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app
from flask_login import current_user
from marshmallow import fields

from market.core.errors import Forbidden, NotFound
from market.core.extensions import db
from market.core.schemas import BaseSchema
from market.deals.permissions import BUYER, can_act, deal_for, role_of
from market.payments import services
from market.payments.models import Payment
from market.payments.providers import get_provider
from market.web.api import body_of, route


class CheckoutInputSchema(BaseSchema):
    method = fields.String(load_default=None, allow_none=True, metadata={
        "description": "card, alipay or wechat_pay for Stripe (STRIPE_PAYMENT_METHODS); bank_transfer offline. "
                       "Default: the provider's first method."})


class CheckoutSchema(BaseSchema):
    """A payment opened at the provider: where the payer goes next."""

    payment_id = fields.Integer()
    provider = fields.String()
    provider_ref = fields.String()
    status = fields.String()
    method = fields.String(allow_none=True)
    client_secret = fields.String(allow_none=True, metadata={"description": "Stripe: for Stripe.js in the payer's browser"})
    instructions = fields.Dict(allow_none=True, metadata={"description": "Offline: the bank transfer to make"})


@route("/deals/<int:deal_id>/payments/<int:payment_id>/checkout", methods=("POST",), tag="payments", auth=True,
       summary="Pay one of your deal's payments (buyer): opens it at the payment provider; repeating the call "
               "continues the same checkout", body=CheckoutInputSchema, response=CheckoutSchema)
def payment_checkout_api(deal_id: int, payment_id: int):
    user = current_user._get_current_object()
    deal = deal_for(user, deal_id)
    payment = db.session.get(Payment, payment_id) if 0 < payment_id < 2**31 else None
    if payment is None or payment.deal_id != deal.id:
        raise NotFound("payment_not_found", "款项不存在", "No such payment")
    if role_of(user, deal) != BUYER or not can_act(user, deal, BUYER):
        raise Forbidden("payment_not_payer", "只有付款方可以支付该笔款项", "Only the payer pays this payment")
    provider = get_provider(current_app)
    method = body_of(CheckoutInputSchema())["method"] or provider.methods[0]
    checkout = services.start_checkout(db.session, payment, method, provider=provider)
    db.session.commit()
    return CheckoutSchema().dump({
        "payment_id": payment.id, "provider": checkout.provider, "provider_ref": checkout.provider_ref,
        "status": checkout.status, "method": checkout.method, "client_secret": checkout.client_secret,
        "instructions": asdict(checkout.instructions) if checkout.instructions else None})
