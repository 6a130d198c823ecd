"""What a deal makes payable, and what a paid payment does to its deal. Never commits.

`schedule_payments` turns the agreed terms into Payment rows (the fixed sums; royalties are
reported per period later). The payments package never imports deal code: it calls the hook
registered here, which hands the payment to the flow that owns the deal's kind; those flows
register themselves with `settles`, so this module imports neither.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.core.extensions import db
from market.core.time import today_local
from market.deals.fees import FeeTerms
from market.deals.models import Deal
from market.deals.vocabulary import DealKind, PaymentKind
from market.payments.models import Payment
from market.payments.offline import PayeeAccount, payee_account_resolver
from market.payments.services import PaymentOutcome, on_payment_paid

log = logging.getLogger(__name__)
TRANSFER_PRICE_DUE_DAYS = 30
# A royalty period's payment is not scheduled up front: its amount comes from the licensee's report.
UPFRONT_KINDS = (PaymentKind.ENTRY_FEE, PaymentKind.LUMP_SUM, PaymentKind.INSTALLMENT, PaymentKind.TRANSFER_PRICE)
# The deal kind a flow settles, or OTHER_KINDS for the negotiated flow that owns every other kind.
OTHER_KINDS = "*"
_SETTLERS: dict[str, Callable[[Deal, Payment], None]] = {}


def settles(kind: str):
    """Register the function that books a PAID payment into a deal of this kind."""

    def register(settle: Callable[[Deal, Payment], None]):
        _SETTLERS[str(kind)] = settle
        return settle

    return register


def schedule_payments(deal: Deal, start: date | None = None) -> list[Payment]:
    """The deal's fixed sums as Payment rows with due dates; a second call adds nothing.

    Licences: the lump sum, instalments or entry fee of `deal.fee_terms`, due from `start` (the day
    a signed contract text counts them from), else the deal's effective (else start) date. Transfers: the price. Equity investments pay in shares, so no
    money is due between the parties.
    """
    existing = list(db.session.scalars(select(Payment).where(
        Payment.deal_id == deal.id, Payment.kind.in_(UPFRONT_KINDS)).order_by(Payment.kind, Payment.sequence)))
    if existing:
        return existing
    start = start or deal.effective_date or deal.start_date or today_local()
    rows: list[tuple[str, int, int, object]] = []
    if deal.kind == DealKind.TRANSFER:
        if deal.price_fen:
            days = (deal.fee_terms or {}).get("payment_due_days", TRANSFER_PRICE_DUE_DAYS)
            rows.append((PaymentKind.TRANSFER_PRICE, 1, deal.price_fen, start + timedelta(days=int(days))))
    elif deal.kind != DealKind.EQUITY and deal.fee_terms:
        rows = FeeTerms.from_dict(deal.fee_terms).upfront_schedule(start)
    rows = _less_deposit(rows, int(((deal.approvals or {}).get("lot") or {}).get("deposit_applied_fen") or 0))
    payments = [Payment(deal_id=deal.id, kind=str(kind), sequence=seq, amount_fen=amount, due_date=due)
                for kind, seq, amount, due in rows if amount]
    db.session.add_all(payments)
    if payments:
        db.session.flush(payments)
    return payments


def _less_deposit(rows: list, applied_fen: int) -> list:
    """A lot's deposit already paid counts towards the first sums due (the buyer is not charged twice)."""
    out = []
    for kind, seq, amount, due in rows:
        taken = min(amount, applied_fen)
        applied_fen -= taken
        out.append((kind, seq, amount - taken, due))
    return out


def first_upfront(payments: list[Payment]) -> Payment | None:
    """The payment whose arrival licenses an open-licence taker: the first fixed sum due."""
    upfront = [p for p in payments if p.kind in UPFRONT_KINDS]
    return min(upfront, key=lambda p: (p.due_date or today_local(), p.sequence, p.id)) if upfront else None


@on_payment_paid
def dispatch_payment_paid(session: Session, outcome: PaymentOutcome) -> None:
    """The payments hook: a PAID payment goes to the flow that owns its deal's kind."""
    payment = outcome.payment
    if payment.deal_id is None:  # a lot deposit: the exchange's own hook books it
        return
    deal = session.get(Deal, payment.deal_id)
    if deal is None:
        return
    settle = _SETTLERS.get(str(deal.kind)) or _SETTLERS.get(OTHER_KINDS)
    if settle is None:
        log.warning("payment %s of deal %s paid but no flow handles its kind", payment.id, deal.id)
        return
    settle(deal, payment)


@payee_account_resolver
def seller_account(payment: Payment) -> PayeeAccount | None:
    """Bank transfers under a deal go to the seller's (licensor's, assignor's) own account."""
    deal = db.session.get(Deal, payment.deal_id) if payment.deal_id is not None else None
    seller = deal.seller if deal is not None else None
    if seller is None or not seller.bank_account_no:
        return None
    return PayeeAccount(seller.bank_account_name or seller.name, seller.bank_name, seller.bank_account_no)
