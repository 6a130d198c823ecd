"""The PaymentProvider protocol and the plain results it returns (the choice by config: providers.py).

Code above this interface (services, deals, views) never knows which provider runs: it hands a
`Payment` row and an idempotency key to the provider and gets dataclasses back. Providers never
touch the database; the services decide what a result means for the row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from market.core.errors import DomainError

if TYPE_CHECKING:
    from market.payments.models import Payment

PROVIDERS = ("offline", "stripe")


@dataclass(frozen=True)
class BankInstructions:
    """Where and how the payer transfers the money (offline provider)."""

    account_name: str
    bank_name: str
    account_number: str
    # The payer quotes it on the transfer so that the payee can tell which payment arrived.
    reference: str
    amount_fen: int
    currency: str


@dataclass(frozen=True)
class Checkout:
    """A payment opened at the provider; `status` is what the Payment row should now say."""

    provider: str
    provider_ref: str
    status: str  # DUE until the payer acts; PROCESSING or PAID when the provider already says so
    method: str | None = None
    client_secret: str | None = None  # Stripe: handed to Stripe.js in the payer's browser
    instructions: BankInstructions | None = None  # offline: shown to the payer


@dataclass(frozen=True)
class ProviderResult:
    """The outcome of confirm or cancel: PAID, PROCESSING, DUE, FAILED or CANCELLED."""

    status: str
    provider_ref: str | None
    reason: str = ""
    # What the provider says arrived, checked against the payment before it counts as paid.
    amount_fen: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class RefundResult:
    """A refund: REFUNDED when the money went back, PROCESSING while pending, FAILED otherwise."""

    provider_ref: str
    status: str
    amount_fen: int


@dataclass(frozen=True)
class VerifiedEvent:
    """A provider event whose signature has been checked, reduced to what the services need."""

    provider: str
    event_id: str
    type: str
    payload: dict[str, Any] = field(repr=False)
    # What the event says happened to the payment, in our terms: PAID, PROCESSING, FAILED,
    # CANCELLED or REFUNDED; None for an event the services need not act on.
    change: str | None = None
    provider_ref: str | None = None  # the payment at the provider (Stripe: PaymentIntent id)
    amount_fen: int | None = None
    currency: str | None = None
    refunded_fen: int | None = None  # cumulative, so applying it twice changes nothing
    reason: str = ""


class WebhookRejected(DomainError):
    """A webhook whose signature is missing, wrong or stale: answered 400, never processed."""

    status = 400

    def __init__(self, zh: str, en: str):
        super().__init__("webhook_rejected", zh, en)


class PaymentProvider(Protocol):
    name: str
    methods: tuple[str, ...]

    def create(self, payment: Payment, *, idempotency_key: str) -> Checkout: ...

    def confirm(self, payment: Payment, *, payment_method: str | None = None,
                idempotency_key: str) -> ProviderResult: ...

    def cancel(self, payment: Payment, *, idempotency_key: str) -> ProviderResult: ...

    def refund(self, payment: Payment, amount_fen: int, *, idempotency_key: str) -> RefundResult: ...

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> VerifiedEvent: ...


def idempotency_key(secret: str, payment_id: int, action: str, *parts: object) -> str:
    """The key of one provider call: the same payment, action and attempt give the same key.

    A retry after a timeout therefore reuses the key and the provider answers with the first
    result instead of acting twice. The installation's secret is hashed in because keys are
    scoped to a provider account, which two installations (staging, a developer) may share.
    """
    space = hashlib.sha256(secret.encode()).hexdigest()[:10]
    return "-".join(["psm", space, "payment", str(payment_id), action, *map(str, parts)])
