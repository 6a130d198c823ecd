"""Payment services: checkout, the payee's confirmation, idempotent state changes, hooks, refunds."""

from __future__ import annotations

import socket
from datetime import datetime

import pytest

from market.core.errors import Conflict, DomainError
from market.payments import services
from market.payments.services import (
    cancel_payment,
    confirm_payment,
    mark_failed,
    mark_paid,
    on_payment_failed,
    on_payment_paid,
    record_refund,
    refund_payment,
    start_checkout,
)
from tests import factories as f

AT = datetime(2026, 11, 21, 9, 30)


@pytest.fixture(autouse=True)
def payee_account(app, monkeypatch):
    for key, value in {"PAYMENT_PROVIDER": "offline", "PAYEE_ACCOUNT_NAME": "上海专利超市运营有限公司",
                       "PAYEE_BANK_NAME": "中国银行上海宝山支行", "PAYEE_ACCOUNT_NUMBER": "4567890123"}.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def hooks(monkeypatch):
    """Hooks registered for this test only; returns what they were told."""
    monkeypatch.setattr(services, "_paid_hooks", [])
    monkeypatch.setattr(services, "_failed_hooks", [])
    told = []
    on_payment_paid(lambda session, outcome: told.append(outcome))
    on_payment_failed(lambda session, outcome: told.append(outcome))
    return told


@pytest.fixture
def payee(deal):
    return f.user(deal.seller)


def test_bank_transfer_checkout_gives_instructions_and_keeps_the_reference(session, make_payment):
    p = make_payment(500_000)
    checkout = start_checkout(session, p, "bank_transfer")
    assert checkout.instructions.account_number == "4567890123"
    assert checkout.instructions.amount_fen == 500_000
    assert (p.provider, p.method, p.status, p.provider_ref) == ("offline", "bank_transfer", "DUE",
                                                                checkout.instructions.reference)
    assert p.idempotency_key.endswith(f"-payment-{p.id}-create-1")


def test_opening_the_checkout_again_is_the_same_checkout(session, make_payment):
    p = make_payment()
    first = start_checkout(session, p, "bank_transfer")
    key = p.idempotency_key
    assert start_checkout(session, p, "bank_transfer") == first and p.idempotency_key == key


def test_a_method_the_provider_does_not_offer_is_refused(session, make_payment):
    with pytest.raises(DomainError) as err:
        start_checkout(session, make_payment(), "card")
    assert err.value.code == "payment_method" and err.value.field == "method"


def test_the_payee_confirming_receipt_makes_the_payment_paid_and_tells_the_deal(session, make_payment, payee, hooks):
    p = make_payment()
    start_checkout(session, p, "bank_transfer")
    result = confirm_payment(session, p, actor=payee, at=AT)
    assert result.status == "PAID"
    assert (p.status, p.paid_at, p.confirmed_by_id) == ("PAID", AT, payee.id)
    [outcome] = hooks
    assert (outcome.payment, outcome.status, outcome.at, outcome.actor_id) == (p, "PAID", AT, payee.id)
    assert outcome.evidence["provider_ref"] == p.provider_ref


def test_marking_a_paid_payment_paid_again_changes_nothing(session, make_payment, payee, hooks):
    p = make_payment()
    assert mark_paid(session, p, at=AT, actor=payee, evidence={}) is True
    assert mark_paid(session, p, at=datetime(2027, 1, 1), actor=None, evidence={}) is False
    assert p.paid_at == AT and p.confirmed_by_id == payee.id and len(hooks) == 1
    assert confirm_payment(session, p, actor=payee).status == "PAID" and len(hooks) == 1


@pytest.mark.parametrize(("amount_fen", "currency"), [(499_999, None), (500_001, None), (500_000, "USD")])
def test_a_different_amount_is_refused_never_recorded_as_paid(session, make_payment, hooks, amount_fen, currency):
    p = make_payment(500_000)
    with pytest.raises(DomainError) as err:
        mark_paid(session, p, at=AT, actor=None, evidence={}, amount_fen=amount_fen, currency=currency)
    assert err.value.code == "amount_mismatch" and err.value.zh.startswith("金额不符")
    assert p.status == "DUE" and p.paid_at is None and hooks == []


def test_a_failure_after_success_changes_nothing(session, make_payment, hooks):
    p = make_payment()
    mark_paid(session, p, at=AT, actor=None, evidence={})
    assert mark_failed(session, p, reason="late event") is False
    assert p.status == "PAID" and p.failure_reason == ""


def test_a_failed_attempt_is_recorded_with_its_reason_and_told_once(session, make_payment, hooks):
    p = make_payment(status="PROCESSING")
    assert mark_failed(session, p, reason="Your card was declined.", at=AT) is True
    assert mark_failed(session, p, reason="again") is False
    assert (p.status, p.failure_reason) == ("FAILED", "Your card was declined.")
    assert [(o.status, o.reason) for o in hooks] == [("FAILED", "Your card was declined.")]


def test_a_failed_payment_can_be_tried_again_with_a_new_attempt(session, make_payment):
    p = make_payment()
    start_checkout(session, p, "bank_transfer")
    mark_failed(session, p, reason="bounced")
    start_checkout(session, p, "bank_transfer")
    assert p.status == "DUE" and p.failure_reason == "" and p.idempotency_key.endswith("-create-2")


def test_an_unpaid_payment_can_be_cancelled_once(session, make_payment):
    p = make_payment()
    start_checkout(session, p, "bank_transfer")
    assert cancel_payment(session, p, reason="合同解除") is True
    assert cancel_payment(session, p) is False
    assert (p.status, p.failure_reason) == ("CANCELLED", "合同解除")
    with pytest.raises(Conflict):
        start_checkout(session, p, "bank_transfer")


def test_a_paid_payment_is_refunded_not_cancelled(session, make_payment):
    p = make_payment()
    mark_paid(session, p, at=AT, actor=None, evidence={})
    with pytest.raises(Conflict) as err:
        cancel_payment(session, p)
    assert err.value.code == "payment_paid"


def test_refunds_add_up_to_the_amount_and_no_further(session, make_payment):
    p = make_payment(10_000)
    start_checkout(session, p, "bank_transfer")
    mark_paid(session, p, at=AT, actor=None, evidence={})
    refund_payment(session, p, 4_000)
    assert (p.status, p.refunded_fen) == ("PAID", 4_000)
    with pytest.raises(DomainError) as err:
        refund_payment(session, p, 6_001)
    assert err.value.code == "refund_amount"
    refund_payment(session, p, 6_000)
    assert (p.status, p.refunded_fen) == ("REFUNDED", 10_000)


def test_a_repeated_refund_total_changes_nothing(session, make_payment):
    p = make_payment(10_000)
    mark_paid(session, p, at=AT, actor=None, evidence={})
    assert record_refund(session, p, 3_000) is True
    assert record_refund(session, p, 3_000) is False
    assert p.refunded_fen == 3_000


def test_an_unpaid_payment_cannot_be_refunded(session, make_payment):
    with pytest.raises(Conflict):
        refund_payment(session, make_payment(), 100)


# Stripe through the services, against stripe-mock.

def test_card_checkout_stores_the_intent_and_a_reload_reuses_it(session, make_payment, stripe_app, stripe_calls):
    p = make_payment()
    checkout = start_checkout(session, p, "card")
    assert (p.provider, p.method, p.provider_ref, p.client_secret) == ("stripe", "card", checkout.provider_ref,
                                                                       checkout.client_secret)
    assert stripe_calls[0]["echoed_key"] == p.idempotency_key
    again = start_checkout(session, p, "card")
    assert again.provider_ref == checkout.provider_ref and len(stripe_calls) == 1


def test_switching_method_cancels_the_open_intent_first(session, make_payment, stripe_app, stripe_calls):
    p = make_payment()
    first = start_checkout(session, p, "card").provider_ref
    start_checkout(session, p, "wechat_pay")
    assert [c["path"] for c in stripe_calls][1:] == [f"v1/payment_intents/{first}/cancel", "v1/payment_intents"]
    assert stripe_calls[-1]["body"]["payment_method_types"] == ["wechat_pay"]
    assert p.method == "wechat_pay" and p.idempotency_key.endswith("-create-2")


def test_a_payment_in_flight_cannot_switch_method(session, make_payment, stripe_app):
    p = make_payment()
    start_checkout(session, p, "card")
    p.status = "PROCESSING"
    with pytest.raises(Conflict) as err:
        start_checkout(session, p, "alipay")
    assert err.value.code == "payment_processing"


def test_stripe_being_down_is_a_503_and_leaves_the_payment_as_it_was(session, make_payment, stripe_app, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(stripe_app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{port}")
    p = make_payment()
    with pytest.raises(DomainError) as err:
        start_checkout(session, p, "card")
    assert (err.value.code, err.value.status) == ("payment_unavailable", 503)
    assert (p.provider, p.method, p.provider_ref, p.idempotency_key, p.status) == (None, None, None, None, "DUE")


def test_an_event_recorded_twice_is_applied_once_and_the_transaction_goes_on(session, make_payment, hooks):
    from market.payments.provider import VerifiedEvent
    from market.payments.services import record_provider_event

    p = make_payment(700, provider="stripe", provider_ref="pi_direct", status="PROCESSING")
    event = VerifiedEvent("stripe", "evt_direct", "payment_intent.succeeded", {"id": "evt_direct"},
                          change="PAID", provider_ref="pi_direct", amount_fen=700, currency="CNY")
    first = record_provider_event(session, "stripe", event)
    second = record_provider_event(session, "stripe", event)
    assert (first.outcome, first.duplicate, second.duplicate) == ("paid", False, True)
    assert p.status == "PAID" and len(hooks) == 1
    p.failure_reason = "still writable"  # the refused INSERT did not spoil the outer transaction
    session.flush()
