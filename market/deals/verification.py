"""The point operator's checks of a deal's record: verify it, withdraw that, confirm an absurd amount.

Each is a new ledger line by the operator of the deal's point (or the bureau), with the note that
says what they looked at; nothing is changed in place, so who vouched for a figure, when, and
on what stays readable. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from market.accounts.models import User
from market.accounts.permissions import is_bureau
from market.accounts.points.models import Point
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.money import yuan_grouped
from market.deals import evidence, ledger
from market.deals.models import Deal, DealDocument, DealEvent
from market.deals.permissions import BUREAU, OPERATOR, role_of
from market.deals.vocabulary import DealStatus, EvidenceLevel, LedgerEvent

NOTE_MIN, NOTE_MAX = 4, 1000
QUEUE_LIMIT = 200


def may_verify(user: User | None, deal: Deal) -> bool:
    """The operator of the deal's point or the bureau, neither a party to the deal.

    Who checks a deal's record (issue 12 §4), in one place: the point's operator verifies, the
    bureau decides on the evidence of any deal; a certificate against a declared number is the
    point's check (`may_confirm_certificate`), the bureau's only where no point stands behind the deal.
    """
    return (user is not None and user.organisation.is_approved
            and role_of(user, deal) in (OPERATOR, BUREAU))


def may_confirm_certificate(user: User | None, deal: Deal) -> bool:
    """The operator of the deal's point; the bureau when the deal is credited to no point."""
    return may_verify(user, deal) and (deal.point is None or role_of(user, deal) == OPERATOR)


def _require_verifier(user: User, deal: Deal) -> None:
    if not may_verify(user, deal):
        raise Forbidden("deal.not_verifier",
                        "只有交易所属网点的运营机构或区知识产权局可以核实交易，交易当事人不能核实自己的交易"
                        "（证据规则，issue 12 §4）。请联系该网点。",
                        "Only the operator of the deal's point or the bureau may verify a deal; a party cannot "
                        "verify its own (evidence rule, issue 12 §4). Ask the point to do it.")


def _note(note: str | None, what: tuple[str, str]) -> str:
    note = (note or "").strip()
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise DomainError("deal.note_required",
                          f"请写明{what[0]}（{NOTE_MIN}–{NOTE_MAX}字），它会记入交易台账"
                          "（台账须载明依据，issue 12 §4）。",
                          f"Write {what[1]} ({NOTE_MIN}–{NOTE_MAX} characters); it goes on the deal's ledger "
                          "(the ledger records what a step rests on, issue 12 §4).", field="note")
    return note


def _verified_by_operator(deal: Deal) -> bool:
    """Is the operator's own verification the newest word (not withdrawn since)?"""
    state = False
    for event in deal.events:
        if event.kind == LedgerEvent.EVIDENCE_VERIFIED:
            state = True
        elif event.kind == LedgerEvent.EVIDENCE_WITHDRAWN:
            state = False
    return state


def verify_deal(user: User, deal: Deal, note: str | None) -> DealEvent:
    """Append EVIDENCE_VERIFIED: the operator checked the documents and the ledger behind the deal."""
    _require_verifier(user, deal)
    note = _note(note, ("核实了哪些材料", "what you checked"))
    if deal.status == DealStatus.VOID:
        raise Conflict("deal.verify_void", "已作废的交易不计入任何统计，无需核实（台账作废规则）。",
                       "A voided deal counts in no figure and needs no verification (ledger void rule).")
    if deal.evidence_level == EvidenceLevel.VERIFIED and _verified_by_operator(deal):
        raise Conflict("deal.already_verified", "该交易已核实；如需更正，请先撤销核实并说明理由（证据规则，issue 12 §4）。",
                       "This deal is already verified; to correct it, withdraw the verification with a reason "
                       "first (evidence rule, issue 12 §4).")
    if not any(e.kind in evidence.BASIS_LINES for e in deal.events):
        raise Conflict("deal.verify_nothing_recorded",
                       "该交易尚无可核实的记录：许可合同备案、转让登记、出资登记或开放许可生效记入台账后才能核实"
                       "（证据规则，issue 12 §4）。",
                       "There is nothing to verify yet: a deal can be verified once its licence filing, transfer "
                       "registration, capital registration or open licence is on the ledger (evidence rule, "
                       "issue 12 §4).")
    documents = {d.id: d.sha256 for d in evidence_documents(deal)}
    return ledger.append(deal, LedgerEvent.EVIDENCE_VERIFIED, actor=user, note=note,
                         evidence={"documents": documents, "level_before": deal.evidence_level,
                                   "ledger_seq": max((e.seq for e in deal.events), default=0)})


def withdraw_verification(user: User, deal: Deal, reason: str | None) -> DealEvent:
    """Append EVIDENCE_WITHDRAWN: the deal leaves the verified figures until verified again."""
    _require_verifier(user, deal)
    reason = _note(reason, ("撤销核实的理由", "why the verification is withdrawn"))
    if deal.evidence_level != EvidenceLevel.VERIFIED:
        raise Conflict("deal.not_verified", "该交易尚未核实，没有可撤销的核实（证据规则，issue 12 §4）。",
                       "This deal is not verified, so there is nothing to withdraw (evidence rule, issue 12 §4).")
    return ledger.append(deal, LedgerEvent.EVIDENCE_WITHDRAWN, actor=user, note=reason)


def confirm_amount(user: User, deal: Deal, note: str | None) -> DealEvent:
    """Append AMOUNT_CONFIRMED for the deal's current amount: from then on it counts in the figures."""
    _require_verifier(user, deal)
    amount, cap = evidence.contract_fen(deal), evidence.amount_review_fen()
    if amount <= cap:
        raise Conflict("deal.amount_not_held",
                       f"合同金额 {yuan_grouped(amount)} 元未超过单笔复核线 {yuan_grouped(cap)} 元，已计入统计，无需确认"
                       "（单笔金额复核，DEAL_AMOUNT_REVIEW_FEN）。",
                       f"The amount ¥{yuan_grouped(amount)} is not above the review line ¥{yuan_grouped(cap)}; it already "
                       "counts and needs no confirmation (single-deal amount review, DEAL_AMOUNT_REVIEW_FEN).")
    if not evidence.awaits_amount_review(deal):
        raise Conflict("deal.amount_confirmed", "该金额已确认（单笔金额复核）。",
                       "This amount is already confirmed (single-deal amount review).")
    note = _note(note, ("据以确认金额的材料（合同、付款凭证等）", "what the amount was checked against (contract, receipts)"))
    return ledger.append(deal, LedgerEvent.AMOUNT_CONFIRMED, actor=user, amount_fen=amount, note=note,
                         evidence={"amount_fen": amount, "review_line_fen": cap})


def evidence_documents(deal: Deal) -> list:
    from_uploads = db.session.scalars(select(DealDocument).where(DealDocument.deal_id == deal.id)
                                      .order_by(DealDocument.id))
    return list(from_uploads)


# ---- the review queue --------------------------------------------------------------------------
@dataclass
class Queue:
    amounts: list[Deal]  # above the review line, not confirmed: counted nowhere yet
    unverified: list[Deal]  # counted (a basis line on the ledger), not yet verified


def review_queue(user: User) -> Queue:
    """What the operator's points (the bureau: the district) have waiting for a check."""
    if is_bureau(user):
        scope = []
    elif user.organisation.is_point_operator and user.organisation.is_approved:
        points = select(Point.id).where(Point.operator_id == user.organisation_id)
        scope = [Deal.point_id.in_(points), Deal.seller_org_id != user.organisation_id,
                 Deal.buyer_org_id != user.organisation_id]
    else:
        raise Forbidden("deal.queue_forbidden", "只有网点运营机构和区知识产权局可以查看待核实队列。",
                        "Only point operators and the bureau see the review queue.")
    # The figures' own rule (within the review line, or this amount confirmed) splits the queue.
    amount_ok = evidence.counts_in_figures(Deal, evidence.amount_review_fen())
    live = Deal.status != DealStatus.VOID
    amounts = db.session.scalars(select(Deal).where(live, ~amount_ok, *scope)
                                 .order_by(Deal.id).limit(QUEUE_LIMIT)).all()
    basis = aliased(DealEvent, name="basis")
    counted = exists().where(basis.deal_id == Deal.id, basis.kind.in_([k.value for k in evidence.BASIS_LINES]))
    unverified = db.session.scalars(
        select(Deal).where(live, counted, Deal.evidence_level != EvidenceLevel.VERIFIED.value, amount_ok, *scope)
        .order_by(Deal.updated_at.desc(), Deal.id.desc()).limit(QUEUE_LIMIT)).all()
    return Queue(list(amounts), list(unverified))
