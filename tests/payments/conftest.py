"""Payments fixtures: a real stripe-mock server, a deal to owe money under, payments, signed events.

The stripe-mock server is the one the harness started (TEST_STRIPE_MOCK_URL) or, for a plain
`pytest`, one started here for the session. A server that cannot start fails the run under CI
and skips the Stripe tests elsewhere, saying why.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest

from market.payments.stripe_provider import StripeProvider
from tests import factories as f
from tests.services.required import service_url
from tests.services.stripe_mock import StripeMock

WEBHOOK_SECRET = "whsec_test_payments_secret"


@pytest.fixture(scope="session")
def stripe_mock_url():
    yield from service_url("TEST_STRIPE_MOCK_URL", "stripe-mock", lambda: StripeMock().start())


@pytest.fixture
def stripe_provider(stripe_mock_url) -> StripeProvider:
    # No SDK retries: a failure shows at once instead of after the SDK's back-off.
    return StripeProvider(api_key="sk_test_123", api_base=stripe_mock_url, webhook_secret=WEBHOOK_SECRET,
                          timeout=5, max_network_retries=0)


@pytest.fixture
def stripe_app(app, monkeypatch, stripe_mock_url):
    """The app configured for Stripe against the mock (restored after the test)."""
    for key, value in {"PAYMENT_PROVIDER": "stripe", "STRIPE_API_KEY": "sk_test_123",
                       "STRIPE_API_BASE": stripe_mock_url, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}.items():
        monkeypatch.setitem(app.config, key, value)
    return app


@pytest.fixture
def webhook_app(app, monkeypatch):
    """Webhooks need only the signing secret, never the Stripe API."""
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return app


@pytest.fixture
def deal(session):
    from market.deals.models import Deal

    seller, buyer = f.organisation(), f.organisation(org_type="PRIVATE")
    d = Deal(kind="TRANSFER", patent_id=f.patent(seller).id, seller_org_id=seller.id, buyer_org_id=buyer.id,
             price_fen=12_345_600)
    session.add(d)
    session.flush()
    return d


@pytest.fixture
def make_payment(session, deal):
    from market.payments.models import Payment

    sequence = iter(range(1, 1000))

    def make(amount_fen: int = 12_345_600, **kw) -> "Payment":
        p = Payment(deal_id=deal.id, kind=kw.pop("kind", "INSTALLMENT"), sequence=next(sequence),
                    amount_fen=amount_fen, currency="CNY", **kw)
        session.add(p)
        session.flush()
        return p

    return make


def stripe_event(kind: str, obj: dict, event_id: str | None = None) -> bytes:
    return json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex[:20]}", "object": "event", "type": kind,
                       "api_version": "2026-08-26.dahlia", "created": int(time.time()),
                       "data": {"object": obj}}).encode()


def intent(ref: str, amount_fen: int, status: str = "succeeded", **kw) -> dict:
    return {"id": ref, "object": "payment_intent", "amount": amount_fen,
            "amount_received": amount_fen if status == "succeeded" else 0, "currency": "cny",
            "status": status, "last_payment_error": None, **kw}


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme, written out here so the test does not trust the code it checks."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@pytest.fixture
def stripe_calls(monkeypatch):
    """What went over the wire to stripe-mock and what it answered (a recorder, not a fake)."""
    import stripe

    calls = []
    send = stripe.RequestsClient.request

    def record(self, method, url, headers, post_data=None):
        content, status, response_headers = send(self, method, url, headers, post_data)
        calls.append({"method": method.upper(), "path": url.split("://", 1)[1].split("/", 1)[1],
                      "sent_key": (headers or {}).get("Idempotency-Key"),
                      # stripe-mock echoes the key it received, as Stripe does
                      "echoed_key": response_headers.get("Idempotency-Key"),
                      "status": status, "body": json.loads(content)})
        return content, status, response_headers

    monkeypatch.setattr(stripe.RequestsClient, "request", record)
    return calls
