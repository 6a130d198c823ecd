"""Lot deposits (保证金): a Payment of the registration, paid and refunded through the provider. Never commits.

A deposit is due when a buyer registers for a lot that asks for one. It is paid like any deal
payment (offline: the payee confirms the transfer arrived; Stripe: the webhook), but it belongs
to the registration, because no deal exists yet. At the lot's end the winner's deposit is applied
to the price and every other paid deposit goes back through the provider's refund; each step is
a line of the lot's ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, scoped_session

from market.core.db import transaction_memo
from market.core.errors import Conflict
from market.deals.exchange.models import (
    DepositStatus,
    Lot,
    LotEvent,
    LotRegistration,
    LotStatus,
    RegistrationStatus,
)
from market.payments import services
from market.payments.models import Payment
from market.payments.offline import PayeeAccount, payee_account_resolver
from market.payments.services import PaymentOutcome, on_payment_paid
from market.payments.vocabulary import PaymentKind, PaymentStatus

_LOT_COLLECTIONS = [r.key for r in inspect(Lot).relationships if r.uselist]


def _locks_held(session: Session | scoped_session) -> dict:
    """The lots whose row this transaction has locked (a row lock lasts until the transaction ends)."""
    return transaction_memo(session, "exchange.locked_lots")


def lock_lot(session: Session, lot: Lot) -> Lot:
    """Serialise every change to one lot (a row lock on PostgreSQL; SQLite has one writer).

    The refresh also reloads what another request may have changed before the lock was granted.
    """
    # A statement of its own rather than session.refresh, which would repeat the options the lot was
    # loaded with (its listing and point joined in: FOR UPDATE refuses an outer join's nullable side).
    # It overwrites every column; the collections (registrations) are read again on their next use,
    # as after a refresh. The many-to-one objects stay: their keys (listing, seller) never change.
    session.execute(select(Lot).where(Lot.id == lot.id).with_for_update()
                    .execution_options(populate_existing=True))
    session.expire(lot, _LOT_COLLECTIONS)
    _locks_held(session)[lot.id] = True
    return lot


def lot_ledger(session: Session, lot: Lot, kind: str, *, at: datetime, actor=None,
               registration: LotRegistration | None = None, amount_fen: int | None = None, **detail) -> LotEvent:
    """Append one line to the lot's ledger; seq is the next one under the lot's row lock."""
    if lot.id not in _locks_held(session):  # a bid's line is written under the lock it already holds
        session.execute(select(Lot.id).where(Lot.id == lot.id).with_for_update())
        _locks_held(session)[lot.id] = True
    last = session.scalar(select(func.max(LotEvent.seq)).where(LotEvent.lot_id == lot.id)) or 0
    event = LotEvent(lot_id=lot.id, seq=last + 1, kind=kind, at=at, actor_user_id=getattr(actor, "id", None),
                     actor_org_id=getattr(actor, "organisation_id", None),
                     registration_id=getattr(registration, "id", None), amount_fen=amount_fen, detail=detail)
    session.add(event)
    session.flush([event])
    return event


def deposit_payment(session: Session, registration: LotRegistration) -> Payment | None:
    return session.get(Payment, registration.deposit_payment_id) if registration.deposit_payment_id else None


def open_deposit(session: Session, lot: Lot, registration: LotRegistration) -> Payment | None:
    """The deposit due for a new registration (None when the lot asks for none)."""
    if not lot.deposit_fen:
        registration.deposit_status = DepositStatus.NONE
        return None
    payment = Payment(registration_id=registration.id, kind=PaymentKind.DEPOSIT, sequence=1,
                      amount_fen=lot.deposit_fen, status=PaymentStatus.DUE)
    session.add(payment)
    session.flush([payment])
    registration.deposit_payment_id = payment.id
    registration.deposit_status = DepositStatus.DUE
    return payment


def release_deposit(session: Session, lot: Lot, registration: LotRegistration, *, at: datetime,
                    reason: str, actor=None) -> None:
    """Give a deposit back: a paid one through the provider's refund, an unpaid one is cancelled."""
    payment = deposit_payment(session, registration)
    if payment is None or registration.deposit_status in (DepositStatus.REFUNDED, DepositStatus.APPLIED):
        return
    if payment.status == PaymentStatus.PAID:
        remaining = payment.amount_fen - payment.refunded_fen
        result = services.refund_payment(session, payment, remaining)
        registration.deposit_status = DepositStatus.REFUNDED
        # The provider may still be sending it (Stripe: pending); the payment row follows its webhook.
        lot_ledger(session, lot, "DEPOSIT_REFUNDED", at=at, actor=actor, registration=registration,
                   amount_fen=remaining, payment_id=payment.id, provider=payment.provider,
                   refund_ref=result.provider_ref, refund_status=result.status, reason=reason)
    elif payment.status in services.OPEN:
        services.cancel_payment(session, payment, reason=reason)
        registration.deposit_status = DepositStatus.NONE
        lot_ledger(session, lot, "DEPOSIT_CANCELLED", at=at, actor=actor, registration=registration,
                   payment_id=payment.id, reason=reason)


def apply_deposit(session: Session, lot: Lot, registration: LotRegistration, *, at: datetime,
                  deal_id: int, actor=None) -> int:
    """The winner's paid deposit counts towards the price; the fen applied (0 when none was paid)."""
    payment = deposit_payment(session, registration)
    if payment is None or payment.status != PaymentStatus.PAID:
        return 0
    applied = payment.amount_fen - payment.refunded_fen
    registration.deposit_status = DepositStatus.APPLIED
    lot_ledger(session, lot, "DEPOSIT_APPLIED", at=at, actor=actor, registration=registration,
               amount_fen=applied, payment_id=payment.id, deal_id=deal_id)
    return applied


def excluded_orgs(lot: Lot) -> set[int]:
    """Who may never buy at this lot: the seller's organisation and the point operator's."""
    point = lot.listing.point
    return {lot.seller_org_id} | ({point.operator_id} if point is not None else set())


def is_qualified_bidder(lot: Lot, registration: LotRegistration) -> bool:
    """QUALIFIED, and the deposit paid (or none asked); never the seller or the point operator's org."""
    if registration.lot_id != lot.id or registration.status != RegistrationStatus.QUALIFIED:
        return False
    if registration.buyer_org_id == lot.seller_org_id:
        return False
    if registration.buyer_org_id in excluded_orgs(lot):
        return False
    wanted = (DepositStatus.PAID,) if lot.deposit_fen else (DepositStatus.PAID, DepositStatus.NONE)
    return registration.deposit_status in wanted


@on_payment_paid
def deposit_paid(session: Session, outcome: PaymentOutcome) -> None:
    """The payments hook: a deposit that arrived marks its registration PAID (one ledger line)."""
    payment = outcome.payment
    if payment.registration_id is None:
        return
    registration = session.get(LotRegistration, payment.registration_id)
    if registration is None or registration.deposit_status != DepositStatus.DUE:
        return
    lot = registration.lot
    registration.deposit_status = DepositStatus.PAID
    lot_ledger(session, lot, "DEPOSIT_PAID", at=outcome.at, registration=registration,
               amount_fen=payment.amount_fen, payment_id=payment.id,
               **{k: v for k, v in outcome.evidence.items() if v is not None})


@payee_account_resolver
def seller_account_for_deposit(payment: Payment) -> PayeeAccount | None:
    """A deposit is transferred to the seller, who refunds it or keeps it as part of the price."""
    if payment.registration_id is None:
        return None
    from_session = Session.object_session(payment)
    registration = from_session.get(LotRegistration, payment.registration_id) if from_session else None
    seller = registration.lot.seller if registration is not None else None
    if seller is None or not seller.bank_account_no:
        return None
    return PayeeAccount(seller.bank_account_name or seller.name, seller.bank_name, seller.bank_account_no)


def refuse_unless_live(lot: Lot) -> None:
    if lot.status not in (LotStatus.OPEN, LotStatus.BIDDING):
        status = LotStatus(lot.status)
        raise Conflict("lot.closed", f"该挂牌项目已{status.zh}，不能再办理。",
                       f"This lot is {status.en.lower()}; nothing more can be done on it.")
