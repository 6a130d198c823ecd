"""POST /payments/stripe/webhook: signed events are recorded once and applied; others are refused."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from market.payments import services
from market.payments.models import WebhookEvent
from market.payments.services import on_payment_paid
from tests.payments.conftest import intent, sign, stripe_event

URL = "/payments/stripe/webhook"


@pytest.fixture
def paid_hook(monkeypatch):
    monkeypatch.setattr(services, "_paid_hooks", [])
    told = []
    on_payment_paid(lambda session, outcome: told.append(outcome.payment.id))
    return told


@pytest.fixture
def payment(make_payment):
    return make_payment(500_000, provider="stripe", method="card", provider_ref="pi_webhook_1", status="PROCESSING")


def post(client, body: bytes, signature: str | None = None):
    headers = {} if signature is None else {"Stripe-Signature": signature}
    return client.post(URL, data=body, headers=headers, content_type="application/json")


def events(session, event_id: str | None = None) -> list[WebhookEvent]:
    query = select(WebhookEvent)
    if event_id:
        query = query.where(WebhookEvent.event_id == event_id)
    return list(session.scalars(query))


def test_a_signed_success_makes_the_payment_paid(client, session, webhook_app, payment, paid_hook):
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000), event_id="evt_ok")
    response = post(client, body, sign(body))
    assert response.status_code == 200
    assert response.json == {"received": True, "duplicate": False, "outcome": "paid"}
    session.refresh(payment)
    assert payment.status == "PAID" and payment.paid_at is not None and payment.confirmed_by_id is None
    [row] = events(session, "evt_ok")
    assert (row.provider, row.type, row.outcome) == ("stripe", "payment_intent.succeeded", "paid")
    assert row.processed_at is not None and row.payload["data"]["object"]["id"] == "pi_webhook_1"
    assert paid_hook == [payment.id]


@pytest.mark.parametrize("signature", [
    None,
    sign(b"another body"),
    "t=1,v1=deadbeef",
], ids=["unsigned", "signature-of-another-body", "garbage"])
def test_an_unsigned_or_badly_signed_event_is_400_and_not_recorded(client, session, webhook_app, payment, signature):
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000))
    response = post(client, body, signature)
    assert response.status_code == 400 and response.json["error"]["code"] == "webhook_rejected"
    session.refresh(payment)
    assert payment.status == "PROCESSING" and events(session) == []


def test_an_event_signed_with_another_secret_is_400(client, session, webhook_app, payment):
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000))
    assert post(client, body, sign(body, secret="whsec_attacker")).status_code == 400
    assert events(session) == []


def test_a_stale_signature_is_400(client, session, webhook_app, payment):
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000))
    assert post(client, body, sign(body, timestamp=int(time.time()) - 301)).status_code == 400
    assert events(session) == []


def test_without_a_configured_secret_every_event_is_400(client, app, payment, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", None)
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000))
    assert post(client, body, sign(body)).status_code == 400


def test_a_replayed_event_is_recorded_once_and_changes_nothing(client, session, webhook_app, payment, paid_hook):
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000), event_id="evt_twice")
    assert post(client, body, sign(body)).json["outcome"] == "paid"
    again = post(client, body, sign(body))
    assert again.status_code == 200 and again.json == {"received": True, "duplicate": True, "outcome": "duplicate"}
    assert len(events(session, "evt_twice")) == 1 and paid_hook == [payment.id]


def test_a_second_success_event_for_a_paid_payment_is_recorded_but_pays_nothing(client, session, webhook_app,
                                                                                 payment, paid_hook):
    for event_id in ("evt_a", "evt_b"):
        body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000), event_id=event_id)
        post(client, body, sign(body))
    assert [e.outcome for e in events(session)] == ["paid", "already paid"] and paid_hook == [payment.id]


@pytest.mark.parametrize("received", [499_999, 500_001, 1])
def test_a_wrong_amount_is_refused_and_never_paid(client, session, webhook_app, payment, paid_hook, received):
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", received), event_id="evt_amount")
    response = post(client, body, sign(body))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "amount_mismatch" and "金额不符" in response.json["error"]["message"]
    session.refresh(payment)
    assert payment.status == "PROCESSING" and payment.paid_at is None and paid_hook == []
    [row] = events(session, "evt_amount")
    assert row.outcome == "refused: amount_mismatch"
    assert post(client, body, sign(body)).json["duplicate"] is True  # the redelivery pays nothing either
    session.refresh(payment)
    assert payment.status == "PROCESSING"


def test_a_success_in_another_currency_is_refused(client, session, webhook_app, payment):
    body = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000, currency="usd"))
    assert post(client, body, sign(body)).status_code == 422
    session.refresh(payment)
    assert payment.status == "PROCESSING"


def test_a_failed_payment_event_records_the_reason(client, session, webhook_app, payment):
    error = {"code": "card_declined", "message": "Your card was declined."}
    body = stripe_event("payment_intent.payment_failed",
                        intent("pi_webhook_1", 500_000, status="requires_payment_method", last_payment_error=error))
    assert post(client, body, sign(body)).json["outcome"] == "failed"
    session.refresh(payment)
    assert (payment.status, payment.failure_reason) == ("FAILED", "Your card was declined.")


def test_a_failure_arriving_after_the_success_changes_nothing(client, session, webhook_app, payment):
    ok = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000))
    late = stripe_event("payment_intent.payment_failed",
                        intent("pi_webhook_1", 500_000, status="requires_payment_method"))
    post(client, ok, sign(ok))
    assert post(client, late, sign(late)).json["outcome"] == "unchanged"
    session.refresh(payment)
    assert payment.status == "PAID"


def test_a_cancelled_intent_cancels_the_payment(client, session, webhook_app, payment):
    body = stripe_event("payment_intent.canceled",
                        intent("pi_webhook_1", 500_000, status="canceled", cancellation_reason="abandoned"))
    assert post(client, body, sign(body)).json["outcome"] == "cancelled"
    session.refresh(payment)
    assert (payment.status, payment.failure_reason) == ("CANCELLED", "abandoned")


def test_refund_events_carry_the_running_total(client, session, webhook_app, payment):
    def refunded(total: int):
        body = stripe_event("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_webhook_1",
                                                "amount": 500_000, "amount_refunded": total, "currency": "cny"})
        return post(client, body, sign(body)).json["outcome"]

    ok = stripe_event("payment_intent.succeeded", intent("pi_webhook_1", 500_000))
    post(client, ok, sign(ok))
    assert [refunded(100_000), refunded(100_000), refunded(500_000)] == ["refunded", "unchanged", "refunded"]
    session.refresh(payment)
    assert (payment.status, payment.refunded_fen) == ("REFUNDED", 500_000)


def test_an_event_for_a_payment_we_do_not_know_is_acknowledged(client, session, webhook_app, payment):
    body = stripe_event("payment_intent.succeeded", intent("pi_elsewhere", 500_000))
    response = post(client, body, sign(body))
    assert response.status_code == 200 and response.json["outcome"] == "unknown payment"


def test_an_event_we_do_not_act_on_is_recorded_and_ignored(client, session, webhook_app):
    body = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert post(client, body, sign(body)).json["outcome"] == "ignored: customer.created"
    assert session.scalar(select(func.count(WebhookEvent.id))) == 1
