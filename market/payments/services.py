"""Payment state changes: checkout, confirmation, provider events, cancellation and refunds.

Services flush and never commit. Provider calls happen inside the request on purpose: each
carries an idempotency key derived from the payment, so a request that fails after the call
and is retried gets the provider's first answer back instead of a second charge.

Deals react to payments through hooks (`on_payment_paid`, `on_payment_failed`) that run in the
same transaction; this package never imports deal code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.core.db import utcnow
from market.core.errors import Conflict, DomainError
from market.core.money import yuan_grouped
from market.payments.models import Payment, WebhookEvent
from market.payments.provider import (
    Checkout,
    PaymentProvider,
    ProviderResult,
    RefundResult,
    VerifiedEvent,
    idempotency_key,
)
from market.payments.providers import get_provider
from market.payments.vocabulary import PaymentStatus as S

if TYPE_CHECKING:
    from market.accounts.models import User

log = logging.getLogger(__name__)

# Which status may follow which. A paid payment is never failed or cancelled by a late event,
# and a cancelled one is never paid: money arriving there needs a person (see the event log).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DUE: frozenset({S.PROCESSING, S.PAID, S.FAILED, S.CANCELLED}),
    S.PROCESSING: frozenset({S.DUE, S.PAID, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.DUE, S.PROCESSING, S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}
OPEN = frozenset({S.DUE, S.PROCESSING, S.FAILED})


@dataclass(frozen=True)
class PaymentOutcome:
    """What a hook is told: the payment, its new status, when, by whom, and the proof."""

    payment: Payment
    status: str
    at: datetime
    actor_id: int | None = None
    # Provider reference, event id, receipt document: what the deal ledger keeps as evidence.
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


PaymentHook = Callable[[Session, PaymentOutcome], None]
_paid_hooks: list[PaymentHook] = []
_failed_hooks: list[PaymentHook] = []


def on_payment_paid(func: PaymentHook) -> PaymentHook:
    """Register `func(session, outcome)` to run when a payment becomes PAID (usable as a decorator)."""
    if func not in _paid_hooks:
        _paid_hooks.append(func)
    return func


def on_payment_failed(func: PaymentHook) -> PaymentHook:
    """Register `func(session, outcome)` to run when a payment attempt fails."""
    if func not in _failed_hooks:
        _failed_hooks.append(func)
    return func


def start_checkout(session: Session, payment: Payment, method: str, *,
                   provider: PaymentProvider | None = None) -> Checkout:
    """Open the payment at the configured provider, or give back the one already open."""
    if payment.status not in OPEN:
        raise Conflict("payment_closed", f"该笔款项{S(payment.status).zh}，无需支付",
                       f"This payment is {S(payment.status).en.lower()}; nothing to pay")
    provider = provider or get_provider(current_app)
    if method not in provider.methods:
        raise DomainError("payment_method", f"不支持的支付方式：{method}", f"Payment method not offered: {method}",
                          field="method")
    attempt = _attempt(payment)
    same = (payment.idempotency_key is not None and payment.provider == provider.name
            and payment.method == method and payment.status != S.FAILED)
    if same and payment.client_secret:
        # A reload of the checkout page: the payer's browser continues the same intent.
        return Checkout(provider.name, payment.provider_ref, payment.status, method, payment.client_secret)
    if not same and payment.provider_ref:
        if payment.status == S.PROCESSING:
            raise Conflict("payment_processing", "上一次支付仍在处理中，请等待结果后再更换支付方式",
                           "The previous attempt is still processing; wait for its result before switching")
        # Whatever was opened before must not stay payable next to the new one.
        _provider(payment).cancel(payment, idempotency_key=_key(payment, "cancel", attempt))
    if not same:
        attempt += 1
    key = _key(payment, "create", attempt)
    previous = payment.provider, payment.method
    payment.provider, payment.method = provider.name, method  # what the provider opens
    try:
        checkout = provider.create(payment, idempotency_key=key)
    except Exception:
        payment.provider, payment.method = previous
        raise
    payment.idempotency_key = key
    payment.provider_ref = checkout.provider_ref
    payment.client_secret = checkout.client_secret
    payment.failure_reason = ""
    if checkout.status in (S.DUE, S.PROCESSING):
        # PAID only ever comes through confirm_payment or an event, where the amount is checked.
        _move(payment, checkout.status)
    session.flush()
    return checkout


def confirm_payment(session: Session, payment: Payment, *, actor: User | None = None,
                    payment_method: str | None = None, provider: PaymentProvider | None = None,
                    at: datetime | None = None) -> ProviderResult:
    """Ask the payment's provider whether it is paid (offline: the payee says the money arrived)."""
    if payment.status == S.PAID:
        return ProviderResult(S.PAID, payment.provider_ref)
    if payment.status not in OPEN:
        raise Conflict("payment_closed", f"该笔款项{S(payment.status).zh}", f"This payment is {S(payment.status).en.lower()}")
    if not payment.provider_ref:
        raise Conflict("payment_not_started", "该笔款项尚未发起支付", "This payment has not been started")
    provider = provider or _provider(payment)
    result = provider.confirm(payment, payment_method=payment_method,
                              idempotency_key=_key(payment, "confirm", _attempt(payment), payment_method or "check"))
    evidence = {"provider": provider.name, "provider_ref": payment.provider_ref,
                "receipt_document_id": payment.receipt_document_id}
    at = at or utcnow()
    if result.status == S.PAID:
        mark_paid(session, payment, at=at, actor=actor, evidence=evidence,
                  amount_fen=result.amount_fen, currency=result.currency)
    elif result.status == S.FAILED:
        mark_failed(session, payment, reason=result.reason, at=at)
    elif result.status != payment.status and result.status in TRANSITIONS[payment.status]:
        _move(payment, result.status)
        session.flush()
    return result


def mark_paid(session: Session, payment: Payment, *, at: datetime, actor: User | None,
              evidence: dict[str, Any], amount_fen: int | None = None, currency: str | None = None) -> bool:
    """Record the money as arrived; False when it already was. A different amount is refused."""
    if payment.status == S.PAID:
        return False
    if (amount_fen is not None and amount_fen != payment.amount_fen) or (
            currency is not None and currency.upper() != payment.currency.upper()):
        raise _amount_mismatch(payment, amount_fen, currency)
    _move(payment, S.PAID)
    payment.paid_at = at
    payment.confirmed_by_id = actor.id if actor is not None else None
    payment.failure_reason = ""
    session.flush()
    outcome = PaymentOutcome(payment, S.PAID, at, payment.confirmed_by_id, dict(evidence))
    for hook in _paid_hooks:
        hook(session, outcome)
    return True


def mark_failed(session: Session, payment: Payment, *, reason: str, at: datetime | None = None) -> bool:
    """Record a failed attempt; False when nothing was in progress (e.g. a late event after success)."""
    if payment.status not in (S.DUE, S.PROCESSING):
        return False
    _move(payment, S.FAILED)
    payment.failure_reason = (reason or "支付失败 / payment failed")[:300]
    session.flush()
    outcome = PaymentOutcome(payment, S.FAILED, at or utcnow(), reason=payment.failure_reason)
    for hook in _failed_hooks:
        hook(session, outcome)
    return True


def cancel_payment(session: Session, payment: Payment, *, reason: str = "",
                   provider: PaymentProvider | None = None) -> bool:
    """Cancel an unpaid payment (and its open checkout at the provider); False if already cancelled."""
    if payment.status == S.CANCELLED:
        return False
    if payment.status not in OPEN:
        raise Conflict("payment_paid", "已到账的款项不能取消，请办理退款",
                       "A paid payment cannot be cancelled; refund it instead")
    if payment.provider_ref:
        (provider or _provider(payment)).cancel(
            payment, idempotency_key=_key(payment, "cancel", _attempt(payment)))
    _move(payment, S.CANCELLED)
    payment.failure_reason = reason[:300]
    session.flush()
    return True


def refund_payment(session: Session, payment: Payment, amount_fen: int, *,
                   provider: PaymentProvider | None = None) -> RefundResult:
    """Give back part or all of a paid payment through its provider."""
    if payment.status != S.PAID:
        raise Conflict("payment_not_paid", "只有已到账的款项可以退款", "Only a paid payment can be refunded")
    remaining = payment.amount_fen - payment.refunded_fen
    if not 0 < amount_fen <= remaining:
        raise DomainError("refund_amount", f"退款金额须在 0 与 {_yuan(remaining)} 元之间",
                          f"The refund must be more than 0 and at most ¥{_yuan(remaining)}",
                          field="amount_fen")
    # The refunded total so far is part of the key: a retry repeats, a second refund is new.
    result = (provider or _provider(payment)).refund(
        payment, amount_fen, idempotency_key=_key(payment, "refund", payment.refunded_fen, amount_fen))
    if result.status == S.FAILED:
        raise DomainError("refund_failed", "退款未成功，请稍后重试", "The refund did not go through; please retry")
    if result.status == S.REFUNDED:
        record_refund(session, payment, payment.refunded_fen + result.amount_fen)
    return result


def record_refund(session: Session, payment: Payment, refunded_total_fen: int) -> bool:
    """Set the refunded total (a cumulative figure, so a repeated report changes nothing)."""
    if refunded_total_fen <= payment.refunded_fen:
        return False
    if refunded_total_fen > payment.amount_fen:
        raise _amount_mismatch(payment, refunded_total_fen, None)
    payment.refunded_fen = refunded_total_fen
    if refunded_total_fen == payment.amount_fen:
        _move(payment, S.REFUNDED)
    session.flush()
    return True


@dataclass(frozen=True)
class EventResult:
    """What became of a provider event: recorded (with its outcome) or a duplicate."""

    outcome: str
    event: WebhookEvent | None = None
    duplicate: bool = False
    error: DomainError | None = None


def record_provider_event(session: Session, provider: str, event: VerifiedEvent) -> EventResult:
    """Record a verified provider event once and apply it; a replay of the same id changes nothing.

    The unique (provider, event_id) constraint decides, not a prior SELECT: two deliveries of
    one event at the same moment cannot both pass it.
    """
    row = WebhookEvent(provider=provider, event_id=event.event_id, type=event.type,
                       payload=event.payload, received_at=utcnow(), outcome="received")
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return EventResult("duplicate", duplicate=True)
    error = None
    try:
        # A refused event keeps its record but none of its changes.
        with session.begin_nested():
            outcome = _apply_event(session, provider, event)
    except DomainError as err:
        log.error("%s event %s refused: %s (%s)", provider, event.event_id, err.code, err.en)
        outcome, error = f"refused: {err.code}", err
    row.outcome = outcome[:200]
    row.processed_at = utcnow()
    session.flush()
    return EventResult(outcome, row, error=error)


def _apply_event(session: Session, provider: str, event: VerifiedEvent) -> str:
    if event.change is None:
        return f"ignored: {event.type}"
    payment = event.provider_ref and session.scalar(
        select(Payment).where(Payment.provider == provider, Payment.provider_ref == event.provider_ref))
    if not payment:
        return "unknown payment"
    at = utcnow()
    if event.change == S.PAID:
        if event.amount_fen is None:
            raise _amount_mismatch(payment, None, event.currency)
        evidence = {"provider": provider, "provider_ref": event.provider_ref, "event_id": event.event_id}
        paid = mark_paid(session, payment, at=at, actor=None, evidence=evidence,
                         amount_fen=event.amount_fen, currency=event.currency)
        return "paid" if paid else "already paid"
    if event.change == S.FAILED:
        return "failed" if mark_failed(session, payment, reason=event.reason, at=at) else "unchanged"
    if event.change == S.REFUNDED:
        return "refunded" if record_refund(session, payment, event.refunded_fen or 0) else "unchanged"
    if event.change in TRANSITIONS[payment.status]:  # PROCESSING or CANCELLED, told by the provider
        _move(payment, event.change)
        if event.change == S.CANCELLED:
            payment.failure_reason = event.reason[:300]
        session.flush()
        return event.change.lower()
    return "unchanged"


def _move(payment: Payment, status: str) -> None:
    if status == payment.status:
        return
    if status not in TRANSITIONS[payment.status]:
        raise Conflict("payment_state", f"款项状态不能从“{S(payment.status).zh}”变为“{S(status).zh}”",
                       f"A payment cannot go from {S(payment.status).en} to {S(status).en}")
    payment.status = status


def _provider(payment: Payment) -> PaymentProvider:
    """The provider the payment was started with, even if the configuration has changed since."""
    return get_provider(current_app, payment.provider)


def _attempt(payment: Payment) -> int:
    """How many checkouts the payment has had; our own key ends with it (see start_checkout)."""
    last = (payment.idempotency_key or "").rsplit("-", 1)[-1]
    return int(last) if last.isdigit() else 0


def _key(payment: Payment, action: str, *parts: object) -> str:
    return idempotency_key(current_app.config["SECRET_KEY"], payment.id, action, *parts)


def _yuan(fen: int) -> str:
    return f"{yuan_grouped(fen)}"


def _amount_mismatch(payment: Payment, amount_fen: int | None, currency: str | None) -> DomainError:
    got = "未知" if amount_fen is None else f"{_yuan(amount_fen)} {(currency or payment.currency).upper()}"
    got_en = "unknown" if amount_fen is None else f"{_yuan(amount_fen)} {(currency or payment.currency).upper()}"
    return DomainError("amount_mismatch",
                       f"金额不符：应付 {_yuan(payment.amount_fen)} {payment.currency}，实际 {got}",
                       f"Amount mismatch: {_yuan(payment.amount_fen)} {payment.currency} due, {got_en} reported",
                       field="amount_fen")
