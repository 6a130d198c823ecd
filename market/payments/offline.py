"""Offline bank transfer (the embedded default): instructions out, receipt in, payee confirms.

The payer transfers the money through their own bank quoting the payment's reference, uploads
the bank's receipt (付款凭证; the deal code stores it), and the payee confirms that the money
arrived. Nothing here goes over the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from market.core.errors import DomainError
from market.payments.provider import (
    BankInstructions,
    Checkout,
    ProviderResult,
    RefundResult,
    VerifiedEvent,
    WebhookRejected,
)
from market.payments.vocabulary import PaymentStatus

if TYPE_CHECKING:
    from market.payments.models import Payment


@dataclass(frozen=True)
class PayeeAccount:
    account_name: str
    bank_name: str
    account_number: str

    def __bool__(self) -> bool:
        return bool(self.account_name and self.bank_name and self.account_number)


PayeeResolver = Callable[["Payment"], "PayeeAccount | None"]
_resolvers: list[PayeeResolver] = []


def payee_account_resolver(func: PayeeResolver) -> PayeeResolver:
    """Register how to find the payee's account for a payment (the deal code knows the seller).

    Resolvers are asked in order; the configured PAYEE_* account is the fallback.
    """
    if func not in _resolvers:
        _resolvers.append(func)
    return func


def transfer_reference(payment_id: int) -> str:
    """PSM-P000123-7: the check digit (Luhn) catches a reference mistyped on a bank slip."""
    digits = f"{payment_id:06d}"
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return f"PSM-P{digits}-{(10 - total % 10) % 10}"


class OfflineProvider:
    name = "offline"
    methods = ("bank_transfer",)

    def __init__(self, fallback: PayeeAccount | None = None) -> None:
        self.fallback = fallback

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OfflineProvider:
        return cls(PayeeAccount(config.get("PAYEE_ACCOUNT_NAME") or "", config.get("PAYEE_BANK_NAME") or "",
                                config.get("PAYEE_ACCOUNT_NUMBER") or ""))

    def payee_account(self, payment: Payment) -> PayeeAccount:
        for resolve in _resolvers:
            account = resolve(payment)
            if account:
                return account
        if self.fallback:
            return self.fallback
        raise DomainError("payee_account_missing", "收款方尚未提供银行账户信息，暂不能转账",
                          "The payee has not given bank account details yet; a transfer is not possible",
                          status=409)

    def create(self, payment: Payment, *, idempotency_key: str) -> Checkout:
        account = self.payee_account(payment)
        reference = transfer_reference(payment.id)
        return Checkout(provider=self.name, provider_ref=reference, status=PaymentStatus.DUE,
                        method="bank_transfer",
                        instructions=BankInstructions(account.account_name, account.bank_name,
                                                      account.account_number, reference,
                                                      payment.amount_fen, payment.currency))

    def confirm(self, payment: Payment, *, payment_method: str | None = None,
                idempotency_key: str) -> ProviderResult:
        """The payee says the money arrived: that is the whole confirmation a transfer has."""
        return ProviderResult(PaymentStatus.PAID, payment.provider_ref or transfer_reference(payment.id),
                              amount_fen=payment.amount_fen, currency=payment.currency)

    def cancel(self, payment: Payment, *, idempotency_key: str) -> ProviderResult:
        return ProviderResult(PaymentStatus.CANCELLED, payment.provider_ref)

    def refund(self, payment: Payment, amount_fen: int, *, idempotency_key: str) -> RefundResult:
        """The payee records that they sent the money back; the bank did the work."""
        return RefundResult(f"{payment.provider_ref or transfer_reference(payment.id)}-R",
                            PaymentStatus.REFUNDED, amount_fen)

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> VerifiedEvent:
        raise WebhookRejected("线下转账没有支付回调", "Bank transfers send no webhooks")
