"""What a patent declared wholly invalid does to its deals (R-LC-9; PL 47). Never commits.

An invalidated patent is deemed never to have existed (PL 47 ¶1), but the decision does not
reach back into licence and transfer contracts already performed (¶2): money paid stays paid
and the ledger keeps it; the platform refunds nothing (a refund when keeping the money would be
plainly unfair, ¶3, is for the parties or a court). What was not yet performed ends: licences
in force terminate from the invalidation date and their unpaid sums are cancelled, talks still
open are cancelled, and a transfer not yet registered cannot take effect any more. A transfer
CNIPA has registered stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from listings.models import Patent
from listings.signals import legal_status_changed
from listings.vocabulary import LapseReason, LegalStatus
from market.core.extensions import db
from market.core.money import yuan_grouped
from market.core.notifications import notify
from market.core.time import today_local
from market.deals import claims, ledger
from market.deals.models import Deal
from market.deals.rewards.contributors import received_fen
from market.deals.vocabulary import LICENCE_KINDS, OWNERSHIP_KINDS, DealKind, LedgerEvent, PaymentStatus
from market.deals.vocabulary import DealStatus as S
from market.payments.models import Payment
from market.payments.services import cancel_payment

RULE = "PL 47 ¶2"
LICENCE_IN_FORCE = frozenset({S.LICENSED, S.SIGNED, S.FILED, S.ACTIVE, S.FILING_REJECTED})
STILL_TALKING = frozenset({S.NEGOTIATING, S.AGREED, S.APPROVALS})
# An open-licence acquisition whose fee has not arrived: no licence was obtained.
NOT_YET_LICENSED = frozenset({S.NOTICE_DELIVERED, S.PAYMENT_PENDING})
TRANSFER_NOT_REGISTERED = frozenset({S.SIGNED, S.REGISTRATION_REJECTED})
PERFORMED_TRANSFER = frozenset({S.REGISTERED, S.COMPLETED})
# A checkout under way (PROCESSING) is left to finish: money already sent is paid money.
UNPAID = (PaymentStatus.DUE, PaymentStatus.FAILED)


@dataclass
class InvalidationResult:
    invalidated_on: date | None = None
    terminated: list[Deal] = field(default_factory=list)
    cancelled: list[Deal] = field(default_factory=list)
    voided: list[Deal] = field(default_factory=list)
    unchanged: list[Deal] = field(default_factory=list)


def invalidation_date(patent: Patent, today: date | None = None) -> date | None:
    """The day the patent was declared wholly invalid, or None if it was not."""
    if patent.legal_status != LegalStatus.LAPSED or patent.lapse_reason != LapseReason.INVALIDATED:
        return None
    today = today or today_local()
    return min(patent.legal_status_date or today, today)


def patent_invalidated(patent: Patent, on: date | None = None) -> InvalidationResult:
    """Hook for the legal-status import: end what the invalidation ends; a second run changes nothing."""
    on = on or invalidation_date(patent)
    result = InvalidationResult(on)
    if on is None:
        return result
    claims.lock_patent(patent.id)
    deals = db.session.scalars(select(Deal).where(Deal.patent_id == patent.id).order_by(Deal.id))
    for deal in deals:
        licence = deal.kind in LICENCE_KINDS or deal.kind == DealKind.OPEN_LICENSE
        if licence and deal.status in LICENCE_IN_FORCE:
            _terminate(deal, on, result)
        elif deal.kind in OWNERSHIP_KINDS and deal.status in TRANSFER_NOT_REGISTERED:
            _terminate(deal, on, result)
        elif deal.status in STILL_TALKING:
            _cancel(deal, on, result)
        elif deal.kind == DealKind.OPEN_LICENSE and deal.status in NOT_YET_LICENSED:
            _void(deal, on, result)
        elif deal.kind in OWNERSHIP_KINDS and deal.status in PERFORMED_TRANSFER | {S.REGISTRATION_FILED}:
            _tell_unchanged(deal, on)
            result.unchanged.append(deal)
    return result


def _payments(deal: Deal, statuses) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id, Payment.status.in_(statuses))
                                   .order_by(Payment.id)))


def _cancel_unpaid(deal: Deal) -> tuple[list[int], int]:
    cancelled = _payments(deal, UNPAID)
    for payment in cancelled:
        cancel_payment(db.session, payment, reason="专利权被宣告无效 / patent declared invalid")
    return [p.id for p in cancelled], sum(p.amount_fen for p in cancelled)


def _terminate(deal: Deal, on: date, result: InvalidationResult) -> None:
    paid = received_fen(deal)
    cancelled_ids, cancelled_fen = _cancel_unpaid(deal)
    what = "许可" if deal.kind not in OWNERSHIP_KINDS else "转让合同（未登记，不能生效）"
    note = (f"专利权于{on.isoformat()}被宣告全部无效，{what}终止。宣告无效的决定对已经履行的合同不具有追溯力"
            f"（专利法第47条第2款）：已支付的{_yuan(paid)}元不予退还，台账保留付款记录"
            + (f"；尚未支付的{_yuan(cancelled_fen)}元不再支付" if cancelled_fen else "") + "。")
    ledger.move(deal, S.TERMINATED, LedgerEvent.TERMINATED, occurred_on=on, note=note,
                evidence={**_evidence(RULE, on), "paid_fen": paid, "cancelled_payment_ids": cancelled_ids,
                          "cancelled_fen": cancelled_fen})
    claims.release(deal_id=deal.id, ends_on=on - timedelta(days=1))
    body = (f"已支付的{_yuan(paid)}元不予退还（专利法第47条第2款）；尚未支付的款项已取消。"
            "如不返还明显违反公平原则，双方可协商或诉请返还全部或部分费用（第47条第3款）。",
            f"The ¥{_yuan(paid)} already paid is not refunded (Patent Law art. 47(2)); unpaid sums are cancelled. "
            "Where keeping the money would be plainly unfair the parties may agree on, or sue for, "
            "a refund (art. 47(3)).")
    _tell_both(deal, on, ("专利权被宣告全部无效，交易已终止", "The patent was declared invalid; the deal ended"), body)
    result.terminated.append(deal)


def _cancel(deal: Deal, on: date, result: InvalidationResult) -> None:
    ledger.move(deal, S.CANCELLED, LedgerEvent.CANCELLED, occurred_on=on,
                note=f"专利权于{on.isoformat()}被宣告全部无效，洽谈终止。",
                evidence=_evidence("PL 47 ¶1", on))
    for offer in deal.offers:
        if offer.status == "OPEN":
            offer.status = "WITHDRAWN"
    _cancel_unpaid(deal)
    claims.release(deal_id=deal.id)
    _tell_both(deal, on, ("专利权被宣告全部无效，洽谈已取消", "The patent was declared invalid; the talks were cancelled"),
               ("该专利视为自始即不存在（专利法第47条第1款），不能再就其订立合同。",
                "The patent is deemed never to have existed (Patent Law art. 47(1)); no contract can be made on it."))
    result.cancelled.append(deal)


def _void(deal: Deal, on: date, result: InvalidationResult) -> None:
    _cancel_unpaid(deal)
    deal.void_reason = f"许可使用费到账前，专利权于{on.isoformat()}被宣告全部无效"
    ledger.move(deal, S.VOID, LedgerEvent.VOID, occurred_on=on, note=deal.void_reason,
                evidence=_evidence("PL 47 ¶1", on))
    claims.release(deal_id=deal.id)
    _tell_both(deal, on, ("专利权被宣告全部无效，开放许可未能取得", "The patent was declared invalid before the licence was obtained"),
               ("尚未支付的许可使用费已取消。", "The unpaid fee was cancelled."))
    result.voided.append(deal)


def _tell_unchanged(deal: Deal, on: date) -> None:
    if deal.status == S.REGISTRATION_FILED:
        body = ("转让登记尚在办理中；国家知识产权局不会登记已被宣告无效的专利，请在收到结果后登记。",
                "The registration is still pending; CNIPA will not register an invalidated patent — record its answer.")
    else:
        body = ("已经登记的转让是已履行的合同，不受宣告无效的影响（专利法第47条第2款）。",
                "A registered transfer is a performed contract; the invalidation does not reach back to it "
                "(Patent Law art. 47(2)).")
    _tell_both(deal, on, ("专利权被宣告全部无效", "The patent was declared invalid"), body)


def _tell_both(deal: Deal, on: date, title: tuple[str, str], body: tuple[str, str]) -> None:
    name = deal.patent.title
    for org_id in (deal.seller_org_id, deal.buyer_org_id):
        notify(org_id, "deal.invalidated", (f"“{name}”：{title[0]}", f"“{name}”: {title[1]}"), body=body,
               link=f"/deals/{deal.id}", dedupe_key=f"invalidated:deal{deal.id}:{on.isoformat()}:{org_id}")


def _evidence(rule: str, on: date) -> dict:
    return {"rule": rule, "reason": LapseReason.INVALIDATED.value, "invalidated_on": on.isoformat()}


def _yuan(fen: int) -> str:
    return yuan_grouped(fen)


@legal_status_changed.connect
def _end_on_register_change(sender: Patent, *, patent: Patent) -> None:
    patent_invalidated(patent)
