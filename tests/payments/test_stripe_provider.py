"""The Stripe provider against a real stripe-mock server (CNY; card, Alipay, WeChat Pay).

stripe-mock validates every request against Stripe's OpenAPI spec and answers from fixtures;
it keeps no state, so it cannot replay a first answer for a repeated idempotency key. What it
does show is the key it received (echoed like Stripe does), so the tests check that a retry
sends the same key: Stripe itself then answers with the first PaymentIntent.
"""

from __future__ import annotations

import socket

import pytest
import stripe

from market.core.errors import DomainError
from market.payments.models import Payment
from market.payments.provider import idempotency_key
from market.payments.stripe_provider import StripeProvider, stripe_errors


def payment(**kw) -> Payment:
    return Payment(**{"id": 41, "deal_id": 7, "kind": "TRANSFER_PRICE", "sequence": 1, "amount_fen": 1_234_567,
                      "currency": "CNY", "status": "DUE", "provider": "stripe", **kw})


def test_create_opens_a_cny_payment_intent_for_the_amount_in_fen(stripe_provider, stripe_calls):
    checkout = stripe_provider.create(payment(), idempotency_key="k-create-1")
    assert checkout.provider == "stripe" and checkout.provider_ref.startswith("pi_")
    assert checkout.status == "DUE" and "_secret_" in checkout.client_secret
    [call] = stripe_calls
    assert (call["method"], call["path"], call["status"]) == ("POST", "v1/payment_intents", 200)
    sent = call["body"]  # stripe-mock reflects what it was asked to create
    assert (sent["amount"], sent["currency"]) == (1_234_567, "cny")
    assert sent["payment_method_types"] == ["card", "alipay", "wechat_pay"]


@pytest.mark.parametrize("method", ["card", "alipay", "wechat_pay"])
def test_a_chosen_method_is_the_only_one_offered(stripe_provider, stripe_calls, method):
    stripe_provider.create(payment(method=method), idempotency_key=f"k-{method}")
    assert stripe_calls[-1]["body"]["payment_method_types"] == [method]


def test_a_method_not_configured_is_refused_before_any_call(stripe_mock_url, stripe_calls):
    provider = StripeProvider(api_key="sk_test_123", api_base=stripe_mock_url, methods=("card",))
    with pytest.raises(DomainError) as err:
        provider.create(payment(method="alipay"), idempotency_key="k")
    assert err.value.code == "payment_method" and stripe_calls == []


def test_a_retry_sends_the_same_idempotency_key(stripe_provider, stripe_calls):
    key = idempotency_key("secret", 41, "create", 1)
    stripe_provider.create(payment(), idempotency_key=key)
    stripe_provider.create(payment(), idempotency_key=key)
    assert [c["echoed_key"] for c in stripe_calls] == [key, key]


def test_keys_differ_by_payment_action_attempt_and_installation():
    keys = {idempotency_key("secret", 41, "create", 1), idempotency_key("secret", 41, "create", 2),
            idempotency_key("secret", 42, "create", 1), idempotency_key("secret", 41, "cancel", 1),
            idempotency_key("other", 41, "create", 1)}
    assert len(keys) == 5 and all(len(k) <= 80 for k in keys)  # 80: payments.idempotency_key
    assert idempotency_key("secret", 41, "create", 1) == idempotency_key("secret", 41, "create", 1)


def test_confirm_with_a_payment_method_posts_it_with_the_key(stripe_provider, stripe_calls):
    result = stripe_provider.confirm(payment(provider_ref="pi_123"), payment_method="pm_card_visa",
                                     idempotency_key="k-confirm")
    [call] = stripe_calls
    assert (call["path"], call["echoed_key"]) == ("v1/payment_intents/pi_123/confirm", "k-confirm")
    # stripe-mock's fixture answers requires_payment_method: what Stripe says when the method failed.
    assert call["body"]["status"] == "requires_payment_method"
    assert result.status == "FAILED" and result.reason and result.amount_fen is None


def test_confirm_without_a_method_reads_the_intent(stripe_provider, stripe_calls):
    result = stripe_provider.confirm(payment(provider_ref="pi_123"), idempotency_key="k")
    assert [(c["method"], c["path"]) for c in stripe_calls] == [("GET", "v1/payment_intents/pi_123")]
    assert result.status in {"DUE", "FAILED"} and result.provider_ref


def test_cancel_cancels_the_intent(stripe_provider, stripe_calls):
    result = stripe_provider.cancel(payment(provider_ref="pi_123"), idempotency_key="k-cancel")
    assert result.status == "CANCELLED"
    assert (stripe_calls[0]["path"], stripe_calls[0]["echoed_key"]) == ("v1/payment_intents/pi_123/cancel", "k-cancel")


def test_refund_refunds_part_of_the_intent(stripe_provider, stripe_calls):
    result = stripe_provider.refund(payment(provider_ref="pi_123", status="PAID"), 10_000, idempotency_key="k-refund")
    assert (result.status, result.amount_fen) == ("REFUNDED", 10_000) and result.provider_ref.startswith("re_")
    call = stripe_calls[0]
    assert (call["path"], call["echoed_key"], call["body"]["payment_intent"]) == ("v1/refunds", "k-refund", "pi_123")


def test_an_intent_not_started_cannot_be_confirmed(stripe_provider):
    with pytest.raises(DomainError) as err:
        stripe_provider.confirm(payment(), payment_method="pm_card_visa", idempotency_key="k")
    assert err.value.code == "payment_not_started"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_unavailable(err: pytest.ExceptionInfo) -> None:
    assert (err.value.code, err.value.status) == ("payment_unavailable", 503)
    assert err.value.zh == "支付服务暂不可用，请稍后重试" and "unavailable" in err.value.en
    assert err.value.__suppress_context__  # no Stripe traceback rides along


def test_a_refused_connection_is_a_clear_503():
    provider = StripeProvider(api_key="sk_test_123", api_base=f"http://127.0.0.1:{_closed_port()}",
                              max_network_retries=0)
    with pytest.raises(DomainError) as err:
        provider.create(payment(), idempotency_key="k")
    _assert_unavailable(err)


def test_a_server_that_does_not_answer_in_time_is_a_clear_503():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        provider = StripeProvider(api_key="sk_test_123", api_base=f"http://127.0.0.1:{silent.getsockname()[1]}",
                                  timeout=0.5, max_network_retries=0)
        with pytest.raises(DomainError) as err:
            provider.create(payment(), idempotency_key="k")
    _assert_unavailable(err)


def test_credentials_stripe_refuses_are_reported_as_misconfiguration(stripe_mock_url):
    provider = StripeProvider(api_key="not-a-key", api_base=stripe_mock_url, max_network_retries=0)
    with pytest.raises(DomainError) as err:
        provider.create(payment(), idempotency_key="k")
    assert (err.value.code, err.value.status) == ("payment_misconfigured", 503)


def test_without_an_api_key_nothing_is_sent():
    with pytest.raises(DomainError) as err:
        StripeProvider(api_key=None).create(payment(), idempotency_key="k")
    assert (err.value.code, err.value.status) == ("payment_misconfigured", 503)


@pytest.mark.parametrize(("error", "code", "status"), [
    (stripe.CardError("declined", None, "card_declined"), "payment_declined", 402),
    (stripe.IdempotencyError("keys reused"), "payment_conflict", 409),
    (stripe.InvalidRequestError("bad param", "amount"), "payment_rejected", 422),
    (stripe.AuthenticationError("bad key"), "payment_misconfigured", 503),
    (stripe.RateLimitError("slow down"), "payment_unavailable", 503),
    (stripe.APIError("stripe is down"), "payment_unavailable", 503),
], ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None)
def test_stripe_errors_become_bilingual_domain_errors(error, code, status):
    with pytest.raises(DomainError) as err, stripe_errors():
        raise error
    assert (err.value.code, err.value.status) == (code, status)
    assert err.value.zh and err.value.en and err.value.zh != err.value.en
