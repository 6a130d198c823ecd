"""Stripe PaymentIntents in CNY (card, Alipay, WeChat Pay) behind the PaymentProvider protocol.

CNY's smallest unit is the fen, so Stripe's `amount` is the payment's amount_fen unchanged.
Every POST carries the caller's idempotency key, so a retried call never charges, cancels or
refunds twice. A StripeClient is built for each call from the app's settings (no global
`stripe.api_key`), which is also how tests point it at stripe-mock (STRIPE_API_BASE).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import stripe

from market.core.errors import Conflict, DomainError
from market.payments.provider import Checkout, ProviderResult, RefundResult, VerifiedEvent, WebhookRejected
from market.payments.vocabulary import PaymentStatus as S

if TYPE_CHECKING:
    from market.payments.models import Payment

log = logging.getLogger(__name__)

TOLERANCE = 300  # seconds a signed webhook stays acceptable (Stripe's own default)

# What a PaymentIntent's status means for our payment. requires_action is a redirect or a QR
# code the payer still has to complete (Alipay, WeChat Pay, 3-D Secure): money is on its way.
INTENT_STATUS = {
    "requires_payment_method": S.DUE,
    "requires_confirmation": S.DUE,
    "requires_action": S.PROCESSING,
    "processing": S.PROCESSING,
    "requires_capture": S.PROCESSING,
    "succeeded": S.PAID,
    "canceled": S.CANCELLED,
}
# The events the webhook acts on, and the change each means for the payment.
EVENT_CHANGE = {
    "payment_intent.succeeded": S.PAID,
    "payment_intent.processing": S.PROCESSING,
    "payment_intent.payment_failed": S.FAILED,
    "payment_intent.canceled": S.CANCELLED,
    "charge.refunded": S.REFUNDED,
}
REFUND_STATUS = {"succeeded": S.REFUNDED, "pending": S.PROCESSING, "requires_action": S.PROCESSING,
                 "failed": S.FAILED, "canceled": S.FAILED}


def unavailable() -> DomainError:
    return DomainError("payment_unavailable", "支付服务暂不可用，请稍后重试",
                       "The payment service is unavailable; please try again later", status=503)


@contextmanager
def stripe_errors() -> Iterator[None]:
    """Turn Stripe's exceptions into domain errors a person can read; never a stack trace."""
    try:
        yield
    except stripe.CardError as err:
        raise DomainError("payment_declined", "支付未成功，请更换支付方式后重试",
                          f"The payment was declined: {err.user_message or err.code}", status=402) from None
    except stripe.IdempotencyError:
        raise Conflict("payment_conflict", "该笔支付正在处理中，请勿重复提交",
                       "This payment is already being processed; do not submit it twice") from None
    except stripe.InvalidRequestError as err:
        log.warning("Stripe refused a request (%s): %s", err.request_id, err.user_message or err)
        raise DomainError("payment_rejected", "支付服务拒绝了该请求，请核对后重试",
                          f"The payment service refused the request: {err.user_message or err.code}"
                          ) from None
    except (stripe.AuthenticationError, stripe.PermissionError) as err:
        log.error("Stripe rejected our credentials (%s)", err.request_id)
        raise DomainError("payment_misconfigured", "支付服务配置有误，请联系平台管理员",
                          "The payment service is misconfigured; please contact the administrator",
                          status=503) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as err:
        log.warning("Stripe unreachable or failing: %s", type(err).__name__)
        raise unavailable() from None
    except stripe.StripeError as err:
        log.error("unexpected Stripe error %s (%s)", type(err).__name__, err.request_id)
        raise unavailable() from None


class StripeProvider:
    name = "stripe"

    def __init__(self, *, api_key: str | None, api_base: str = "https://api.stripe.com",
                 webhook_secret: str | None = None,
                 methods: tuple[str, ...] = ("card", "alipay", "wechat_pay"),
                 timeout: float = 10, max_network_retries: int = 2) -> None:
        self.api_key = api_key
        self.api_base = api_base.rstrip("/")
        self.webhook_secret = webhook_secret
        self.methods = tuple(methods)
        self.timeout = timeout
        # The SDK retries network failures itself, with the same idempotency key.
        self.max_network_retries = max_network_retries

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeProvider:
        return cls(api_key=config.get("STRIPE_API_KEY"),
                   api_base=config.get("STRIPE_API_BASE") or "https://api.stripe.com",
                   webhook_secret=config.get("STRIPE_WEBHOOK_SECRET"),
                   methods=tuple(config.get("STRIPE_PAYMENT_METHODS") or ("card", "alipay", "wechat_pay")),
                   timeout=float(config.get("STRIPE_TIMEOUT") or 10))

    @contextmanager
    def client(self) -> Iterator[stripe.StripeClient]:
        """A client for one call; its HTTP session is closed afterwards, whatever happens."""
        if not self.api_key:
            log.error("STRIPE_API_KEY is not set")
            raise DomainError("payment_misconfigured", "支付服务配置有误，请联系平台管理员",
                              "The payment service is misconfigured; please contact the administrator",
                              status=503)
        http = stripe.RequestsClient(timeout=self.timeout)
        try:
            with stripe_errors():
                yield stripe.StripeClient(self.api_key, base_addresses={"api": self.api_base},
                                          http_client=http, max_network_retries=self.max_network_retries)
        finally:
            http.close()

    def create(self, payment: Payment, *, idempotency_key: str) -> Checkout:
        types = [payment.method] if payment.method else list(self.methods)
        refused = [m for m in types if m not in self.methods]
        if refused:
            raise DomainError("payment_method", f"不支持的支付方式：{', '.join(refused)}",
                              f"Payment method not offered: {', '.join(refused)}", field="method")
        params: dict[str, Any] = {
            "amount": payment.amount_fen,  # CNY is counted in fen at Stripe too
            "currency": payment.currency.lower(),
            "payment_method_types": types,
            "metadata": _metadata(payment),
            "description": f"专利超市 payment {payment.id} (deal {payment.deal_id})",
        }
        if "wechat_pay" in types:  # Stripe requires the client kind for WeChat Pay
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        with self.client() as client:
            intent = client.v1.payment_intents.create(params=params,
                                                      options={"idempotency_key": idempotency_key})
        return Checkout(provider=self.name, provider_ref=intent.id, status=INTENT_STATUS.get(intent.status, S.DUE),
                        method=payment.method, client_secret=intent.client_secret)

    def confirm(self, payment: Payment, *, payment_method: str | None = None,
                idempotency_key: str) -> ProviderResult:
        """Confirm with a payment method, or without one read what the payer's browser achieved."""
        ref = _require_ref(payment)
        with self.client() as client:
            if payment_method is None:
                intent = client.v1.payment_intents.retrieve(ref)  # a GET: nothing to repeat
            else:
                intent = client.v1.payment_intents.confirm(
                    ref, params={"payment_method": payment_method},
                    options={"idempotency_key": idempotency_key})
        data = intent.to_dict()  # plain dicts: SDK objects raise on a missing field
        status = INTENT_STATUS.get(data["status"], S.PROCESSING)
        reason = ""
        error = data.get("last_payment_error")
        if data["status"] == "requires_payment_method" and (payment_method is not None or error):
            # Stripe sends a confirmed intent back to this state when the method failed.
            status, reason = S.FAILED, _failure_reason(error, data["status"])
        received = (data.get("amount_received") or data.get("amount")) if status == S.PAID else None
        return ProviderResult(status, data["id"], reason=reason, amount_fen=received,
                              currency=(data.get("currency") or "").upper() or None)

    def cancel(self, payment: Payment, *, idempotency_key: str) -> ProviderResult:
        ref = _require_ref(payment)
        with self.client() as client:
            intent = client.v1.payment_intents.cancel(ref, options={"idempotency_key": idempotency_key})
        # Stripe answers a cancel it could not do with an error, so an answer means cancelled.
        return ProviderResult(S.CANCELLED, intent.id)

    def refund(self, payment: Payment, amount_fen: int, *, idempotency_key: str) -> RefundResult:
        ref = _require_ref(payment)
        with self.client() as client:
            refund = client.v1.refunds.create(
                params={"payment_intent": ref, "amount": amount_fen, "metadata": _metadata(payment)},
                options={"idempotency_key": idempotency_key})
        return RefundResult(refund.id, REFUND_STATUS.get(refund.status or "", S.PROCESSING),
                            refund.amount)

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> VerifiedEvent:
        if not self.webhook_secret:
            log.error("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
            raise WebhookRejected("未配置 Stripe 回调密钥", "No Stripe webhook secret is configured")
        try:
            stripe.WebhookSignature.verify_header(payload, signature_header, self.webhook_secret, TOLERANCE)
        except stripe.SignatureVerificationError:
            raise WebhookRejected("回调签名无效或已过期", "The webhook signature is missing, wrong or stale") from None
        # The SDK checks only that a timestamp is not too old; one from the future is as suspect.
        if _timestamp(signature_header or "") > time.time() + TOLERANCE:
            raise WebhookRejected("回调签名无效或已过期", "The webhook signature is missing, wrong or stale")
        try:
            event = json.loads(payload)
            obj = event["data"]["object"]
            return _event(event["id"], event["type"], event, obj)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise WebhookRejected("回调内容格式有误", "The webhook body is not a Stripe event") from None


def _metadata(payment: Payment) -> dict[str, str]:
    return {"payment_id": str(payment.id), "deal_id": str(payment.deal_id), "kind": str(payment.kind),
            "sequence": str(payment.sequence)}


def _require_ref(payment: Payment) -> str:
    if not payment.provider_ref:
        raise Conflict("payment_not_started", "该笔款项尚未发起支付", "This payment has not been started")
    return payment.provider_ref


def _failure_reason(error: Any, fallback: str) -> str:
    error = error or {}
    return str(error.get("message") or error.get("decline_code") or error.get("code") or fallback)[:300]


def _timestamp(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t" and value.strip().isdigit():
            return int(value)
    return 0


def _event(event_id: str, kind: str, event: dict[str, Any], obj: dict[str, Any]) -> VerifiedEvent:
    change = EVENT_CHANGE.get(kind)
    currency = (obj.get("currency") or "").upper() or None
    if obj.get("object") == "charge":
        return VerifiedEvent("stripe", event_id, kind, event, change=change,
                             provider_ref=obj.get("payment_intent"), amount_fen=obj.get("amount"),
                             currency=currency, refunded_fen=obj.get("amount_refunded"))
    if obj.get("object") == "payment_intent":
        # What arrived counts for a success, not what was asked for.
        amount = obj.get("amount_received") if change == S.PAID else obj.get("amount")
        return VerifiedEvent("stripe", event_id, kind, event, change=change, provider_ref=obj.get("id"),
                             amount_fen=amount, currency=currency,
                             reason=_failure_reason(obj.get("last_payment_error"),
                                                    obj.get("cancellation_reason") or ""))
    return VerifiedEvent("stripe", event_id, kind, event)
