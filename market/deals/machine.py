"""Which state a deal may move to from which, per kind (domain.md §3.3–3.6). Pure: no Flask.

A transition that is not in the table is refused with a message naming both states, so a
double-click, a stale page or a hand-made request gets an explanation instead of a broken deal.
"""

from __future__ import annotations

from market.core.errors import Conflict
from market.deals.vocabulary import DealKind, DealStatus

S = DealStatus

_CLOSE = {S.VOID}
_NEGOTIATION = {
    S.NEGOTIATING: {S.AGREED, S.DECLINED, S.CANCELLED},
    # Approvals may be empty (nothing required): AGREED then goes straight to SIGNED.
    S.AGREED: {S.APPROVALS, S.SIGNED, S.CANCELLED},
    S.APPROVALS: {S.SIGNED, S.CANCELLED},
}

LICENCE = {
    **_NEGOTIATION,
    # IR 15 ¶2: filing within 3 months of the effective date; the deal is in force meanwhile.
    # A licence that was never filed still ends with its term (filing is not a validity condition).
    S.SIGNED: {S.FILED, S.FILING_REJECTED, S.EXPIRED, S.TERMINATED},
    S.FILING_REJECTED: {S.FILED, S.EXPIRED, S.TERMINATED},
    S.FILED: {S.ACTIVE, S.EXPIRED, S.TERMINATED},
    S.ACTIVE: {S.EXPIRED, S.TERMINATED},
}

TRANSFER = {
    **_NEGOTIATION,
    S.SIGNED: {S.REGISTRATION_FILED, S.TERMINATED},
    # PL 10 ¶3: the transfer takes effect on the CNIPA registration date.
    S.REGISTRATION_FILED: {S.REGISTERED, S.REGISTRATION_REJECTED, S.TERMINATED},
    S.REGISTRATION_REJECTED: {S.REGISTRATION_FILED, S.TERMINATED},
    # Civil Code 557, 562-563: a transfer in effect or done ends by termination or rescission only.
    S.REGISTERED: {S.COMPLETED, S.TERMINATED},
    S.COMPLETED: {S.TERMINATED},
}

# §3.6: valuation and decision are approvals; the patent is assigned to the investee (a
# registration, as for a transfer) and the deal completes when the capital is registered.
EQUITY = TRANSFER

OPEN_LICENCE = {
    S.NOTICE_DELIVERED: {S.PAYMENT_PENDING, S.LICENSED},
    S.PAYMENT_PENDING: {S.LICENSED},
    S.LICENSED: {S.FILED, S.EXPIRED, S.TERMINATED},
    S.FILED: {S.ACTIVE, S.EXPIRED, S.TERMINATED},
    S.ACTIVE: {S.EXPIRED, S.TERMINATED},
}

TABLES = {
    DealKind.OPEN_LICENSE: OPEN_LICENCE,
    DealKind.LICENSE_ORDINARY: LICENCE,
    DealKind.LICENSE_SOLE: LICENCE,
    DealKind.LICENSE_EXCLUSIVE: LICENCE,
    DealKind.TRANSFER: TRANSFER,
    DealKind.EQUITY: EQUITY,
}

# Any deal that is not already closed can be voided (a mistake, with a reason and an actor).
VOIDABLE = frozenset(S) - {S.VOID}
# Once a deal took effect (registered, licensed, filed, in force, completed, ended) its parties
# can no longer void it: termination or rescission is a legal act of its own, and only the
# bureau corrects a mistaken record. The same holds once money was received (the service checks).
TOOK_EFFECT = frozenset({S.REGISTERED, S.COMPLETED, S.LICENSED, S.FILED, S.ACTIVE, S.EXPIRED, S.TERMINATED})


def party_may_void(status: str, money_received: bool) -> bool:
    """Whether a party (not the bureau) may void a deal in `status`."""
    return status in VOIDABLE and status not in TOOK_EFFECT and not money_received


def bureau_may_void(status: str, money_received: bool) -> bool:
    """The bureau corrects a mistaken record (a duplicate entry) until the deal completed or was paid;
    from then on it too ends a deal only by termination or rescission, on evidence (Civil Code 562-563)."""
    return status in VOIDABLE and status != DealStatus.COMPLETED and not money_received


def allowed(kind: str, current: str) -> set[str]:
    nxt = set(TABLES[DealKind(kind)].get(DealStatus(current), set()))
    if current in VOIDABLE:
        nxt |= _CLOSE
    return nxt


def check(kind: str, current: str, target: str) -> None:
    """Raise Conflict unless a deal of `kind` may go from `current` to `target`."""
    if target in allowed(kind, current):
        return
    cur, tgt = DealStatus(current), DealStatus(target)
    raise Conflict("deal.illegal_transition",
                   f"交易当前状态为“{cur.zh}”，不能变为“{tgt.zh}”。页面可能已过期，请刷新后再试。",
                   f"The deal is “{cur.en}” and cannot become “{tgt.en}”. "
                   "The page may be out of date; reload it and try again.")
