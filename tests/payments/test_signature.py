"""Stripe webhook verification: only a fresh event signed with our secret gets through."""

from __future__ import annotations

import time

import pytest

from market.payments.provider import WebhookRejected
from market.payments.stripe_provider import StripeProvider
from tests.payments.conftest import WEBHOOK_SECRET, intent, sign, stripe_event

provider = StripeProvider(api_key=None, webhook_secret=WEBHOOK_SECRET)
SUCCEEDED = stripe_event("payment_intent.succeeded", intent("pi_123", 5_000_000), event_id="evt_1")


def test_a_correctly_signed_event_is_read_in_our_terms():
    event = provider.verify_webhook(SUCCEEDED, sign(SUCCEEDED))
    assert (event.provider, event.event_id, event.type) == ("stripe", "evt_1", "payment_intent.succeeded")
    assert (event.change, event.provider_ref, event.amount_fen, event.currency) == \
        ("PAID", "pi_123", 5_000_000, "CNY")
    assert event.payload["data"]["object"]["id"] == "pi_123"


def test_a_rotated_secret_still_verifies_when_one_of_the_signatures_matches():
    header = sign(SUCCEEDED)
    t, good = header.split(",")
    assert provider.verify_webhook(SUCCEEDED, f"{t},v1={'0' * 64},{good}").event_id == "evt_1"


@pytest.mark.parametrize("header", [
    None, "", "garbage", "t=abc,v1=00",
    sign(SUCCEEDED, secret="whsec_someone_else"),
    sign(SUCCEEDED, timestamp=int(time.time()) - 301),  # stale: a replay of a captured request
    sign(SUCCEEDED, timestamp=int(time.time()) + 3600),  # from the future
    sign(SUCCEEDED).replace("v1=", "v0="),  # a scheme we do not accept
], ids=["missing", "empty", "garbage", "bad-timestamp", "wrong-secret", "stale", "future", "other-scheme"])
def test_a_missing_wrong_or_stale_signature_is_rejected(header):
    with pytest.raises(WebhookRejected) as err:
        provider.verify_webhook(SUCCEEDED, header)
    assert (err.value.status, err.value.code) == (400, "webhook_rejected")


def test_a_body_changed_after_signing_is_rejected():
    tampered = SUCCEEDED.replace(b"5000000", b"1")
    with pytest.raises(WebhookRejected):
        provider.verify_webhook(tampered, sign(SUCCEEDED))


def test_without_a_configured_secret_nothing_is_accepted():
    with pytest.raises(WebhookRejected) as err:
        StripeProvider(api_key=None, webhook_secret=None).verify_webhook(SUCCEEDED, sign(SUCCEEDED))
    assert "secret" in err.value.en


def test_a_signed_body_that_is_not_an_event_is_rejected():
    with pytest.raises(WebhookRejected):
        provider.verify_webhook(b'{"hello": 1}', sign(b'{"hello": 1}'))


def test_a_refund_event_carries_the_cumulative_refunded_amount():
    body = stripe_event("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_123",
                                            "amount": 5_000_000, "amount_refunded": 2_000, "currency": "cny"})
    event = provider.verify_webhook(body, sign(body))
    assert (event.change, event.provider_ref, event.refunded_fen) == ("REFUNDED", "pi_123", 2_000)


def test_a_failure_event_carries_stripes_reason():
    body = stripe_event("payment_intent.payment_failed",
                        intent("pi_123", 100, status="requires_payment_method",
                               last_payment_error={"code": "card_declined", "message": "Your card was declined."}))
    event = provider.verify_webhook(body, sign(body))
    assert (event.change, event.reason) == ("FAILED", "Your card was declined.")


def test_an_event_we_do_not_act_on_changes_nothing():
    body = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert provider.verify_webhook(body, sign(body)).change is None
