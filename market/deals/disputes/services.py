"""Disputes between the parties of a deal (R-OL-13; PL 52). Never commits.

PL 52 sets the path for open licences — the parties negotiate, may ask CNIPA to mediate, and
may go to court — and the same escalation serves every licence and transfer (a negotiated deal
goes to a mediator of the parties' choosing). A dispute only moves forward, ends with an
outcome, and leaves the deal's own state alone: every step is a ledger line and a notice.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.core.errors import Conflict, DomainError, NotFound
from market.core.extensions import db
from market.core.time import today_local
from market.deals import ledger
from market.deals.disputes.models import Dispute, DisputeOutcome, DisputeStage
from market.deals.models import Deal
from market.deals.negotiation.common import other_org_id, tell
from market.deals.permissions import require
from market.deals.vocabulary import DealKind, LedgerEvent
from market.deals.vocabulary import DealStatus as S

# States in which the parties are bound by terms they can fall out over (a signed contract, a
# licence obtained, a transfer filed or done, or one of these ended since).
BINDING = frozenset({S.SIGNED, S.FILED, S.FILING_REJECTED, S.ACTIVE, S.LICENSED, S.REGISTRATION_FILED,
                     S.REGISTERED, S.REGISTRATION_REJECTED, S.COMPLETED, S.EXPIRED, S.TERMINATED})
NEXT_STAGES = {
    DisputeStage.NEGOTIATION: (DisputeStage.CNIPA_MEDIATION, DisputeStage.LITIGATION),
    DisputeStage.CNIPA_MEDIATION: (DisputeStage.LITIGATION,),
    DisputeStage.LITIGATION: (),
}
# A mediated agreement needs a mediator (CNIPA's, or the court's own mediation); a judgment a court.
OUTCOMES = {
    DisputeStage.NEGOTIATION: (DisputeOutcome.SETTLED, DisputeOutcome.WITHDRAWN),
    DisputeStage.CNIPA_MEDIATION: (DisputeOutcome.SETTLED, DisputeOutcome.MEDIATED, DisputeOutcome.WITHDRAWN),
    DisputeStage.LITIGATION: (DisputeOutcome.SETTLED, DisputeOutcome.MEDIATED, DisputeOutcome.JUDGED,
                              DisputeOutcome.WITHDRAWN),
}
MAX_SUBJECT, MAX_TEXT, MAX_FORUM, MAX_CASE_NO = 200, 5000, 200, 60


def stage_label(deal: Deal, stage: str, lang: str = "zh") -> str:
    """调解 in general; for an open licence the mediator PL 52 names, CNIPA."""
    if stage == DisputeStage.CNIPA_MEDIATION and deal.kind == DealKind.OPEN_LICENSE:
        return "Mediation by CNIPA (PL art. 52)" if lang == "en" else "国务院专利行政部门调解（专利法第52条）"
    return DisputeStage(stage).label(lang)


def disputes_of(deal: Deal) -> list[Dispute]:
    """The deal's disputes, the open one (if any) first, then the newest."""
    rows = db.session.scalars(select(Dispute).where(Dispute.deal_id == deal.id).order_by(Dispute.id.desc()))
    return sorted(rows, key=lambda d: not d.is_open)


def current_dispute(deal: Deal) -> Dispute | None:
    return db.session.scalar(select(Dispute).where(Dispute.deal_id == deal.id, Dispute.resolved_on.is_(None)))


def dispute_of(deal: Deal, dispute_id: int | None) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id) if dispute_id and 0 < dispute_id < 2**31 else None
    if dispute is None or dispute.deal_id != deal.id:
        raise NotFound("dispute.not_found", "争议不存在", "No such dispute")
    return dispute


def may_open(deal: Deal) -> bool:
    return deal.status in BINDING


def raise_dispute(user: User, deal: Deal, *, subject: str, reason: str = "") -> Dispute:
    """A party opens a dispute on a deal with binding terms; it starts with negotiation."""
    require(user, deal)
    subject = _text(subject, MAX_SUBJECT, "subject", required=True)
    reason = _text(reason, MAX_TEXT, "reason")
    if not may_open(deal):
        status = S(deal.status)
        raise Conflict("dispute.deal_not_binding",
                       f"交易当前为“{status.zh}”，尚无对双方有约束力的合同或许可，不能提出争议。",
                       f"The deal is “{status.en}”: there is no binding contract or licence to dispute yet.")
    if current_dispute(deal) is not None:
        raise _already_open()
    on = today_local()
    dispute = Dispute(deal_id=deal.id, opened_by_org_id=user.organisation_id, opened_by_user_id=user.id,
                      stage=DisputeStage.NEGOTIATION, subject=subject, reason=reason, opened_on=on)
    # The partial unique index decides between two parties opening one at the same moment.
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
    except IntegrityError:
        raise _already_open() from None
    ledger.append(deal, LedgerEvent.DISPUTE, occurred_on=on, actor=user,
                  note=f"提出争议（协商解决）：{subject}",
                  evidence={"dispute_id": dispute.id, "action": "OPENED", "stage": dispute.stage})
    tell(other_org_id(deal, user.organisation_id), deal, "dispute", f"对方提出争议：{subject}",
         f"The other party raised a dispute: {subject}",
         body=("请先与对方协商；协商不成的，可以请求调解或者向人民法院起诉。",
               "Try to settle it together first; failing that, either party may ask for mediation or go to court."))
    return dispute


def escalate(user: User, deal: Deal, dispute_id: int, *, to_stage: str, forum: str = "", case_no: str = "",
             note: str = "") -> Dispute:
    """Take an open dispute to mediation or to court: forward only, never back."""
    require(user, deal)
    dispute = _open(deal, dispute_id)
    if to_stage not in DisputeStage.__members__:
        raise DomainError("dispute.stage_unknown", "请选择调解或诉讼。", "Choose mediation or court.", field="stage")
    if to_stage not in NEXT_STAGES[DisputeStage(dispute.stage)]:
        raise Conflict("dispute.illegal_escalation",
                       f"争议处于“{stage_label(deal, dispute.stage)}”阶段，不能转为“{stage_label(deal, to_stage)}”"
                       "（只能由协商到调解或诉讼、由调解到诉讼，不能回退）。",
                       f"The dispute is at “{stage_label(deal, dispute.stage, 'en')}” and cannot go to "
                       f"“{stage_label(deal, to_stage, 'en')}” (negotiation leads to mediation or court, "
                       "mediation to court; never back).", field="stage")
    forum = _text(forum, MAX_FORUM, "forum")
    case_no = _text(case_no, MAX_CASE_NO, "case_no")
    note = _text(note, MAX_TEXT, "note")
    from_stage, on = dispute.stage, today_local()
    dispute.stage, dispute.escalated_on = to_stage, on
    dispute.forum, dispute.case_no = forum, case_no
    if note:
        dispute.note = note
    zh, en = stage_label(deal, to_stage), stage_label(deal, to_stage, "en")
    ledger.append(deal, LedgerEvent.DISPUTE, occurred_on=on, actor=user,
                  note="；".join(x for x in (f"争议转入{zh}", forum, case_no, note) if x),
                  evidence={"dispute_id": dispute.id, "action": "ESCALATED", "from_stage": from_stage,
                            "stage": to_stage, "forum": forum, "case_no": case_no})
    tell(other_org_id(deal, user.organisation_id), deal, "dispute", f"争议已转入{zh}：{dispute.subject}",
         f"The dispute moved on to “{en}”: {dispute.subject}",
         body=(note, note))
    return dispute


def resolve(user: User, deal: Deal, dispute_id: int, *, outcome: str, note: str = "",
            on: date | None = None) -> Dispute:
    """Record how an open dispute ended; only the party that raised it may withdraw it."""
    require(user, deal)
    dispute = _open(deal, dispute_id)
    stage = DisputeStage(dispute.stage)
    if outcome not in OUTCOMES[stage]:
        allowed = "、".join(o.zh for o in OUTCOMES[stage])
        raise DomainError("dispute.outcome_not_allowed",
                          f"“{stage_label(deal, stage)}”阶段的争议只能以下列方式结束：{allowed}。",
                          f"At “{stage_label(deal, stage, 'en')}” a dispute ends as one of: "
                          + ", ".join(o.en for o in OUTCOMES[stage]) + ".", field="outcome")
    if outcome == DisputeOutcome.WITHDRAWN and user.organisation_id != dispute.opened_by_org_id:
        raise DomainError("dispute.withdraw_not_allowed", "只有提出争议的一方可以撤回争议。",
                          "Only the party that raised the dispute may withdraw it.", field="outcome", status=403)
    today = today_local()
    on = on or today
    if not dispute.opened_on <= on <= today:
        raise DomainError("dispute.resolved_on", f"结束日期须在 {dispute.opened_on} 与今天之间。",
                          f"The date must be between {dispute.opened_on} and today.", field="resolved_on")
    note = _text(note, MAX_TEXT, "note")
    dispute.outcome, dispute.resolved_on, dispute.resolved_by_org_id = outcome, on, user.organisation_id
    if note:
        dispute.note = note
    result = DisputeOutcome(outcome)
    ledger.append(deal, LedgerEvent.DISPUTE, occurred_on=on, actor=user,
                  note="；".join(x for x in (f"争议结束：{result.zh}", note) if x),
                  evidence={"dispute_id": dispute.id, "action": "RESOLVED", "stage": dispute.stage,
                            "outcome": outcome})
    tell(other_org_id(deal, user.organisation_id), deal, "dispute", f"争议已结束（{result.zh}）：{dispute.subject}",
         f"The dispute has ended ({result.en.lower()}): {dispute.subject}", body=(note, note))
    return dispute


def _open(deal: Deal, dispute_id: int) -> Dispute:
    dispute = dispute_of(deal, dispute_id)
    if not dispute.is_open:
        raise Conflict("dispute.closed", "该争议已经结束，不能再变更。", "This dispute has ended and cannot change.")
    return dispute


def _already_open() -> Conflict:
    return Conflict("dispute.already_open", "该交易已有一项未结束的争议，请在该争议中继续处理。",
                    "This deal already has an open dispute; continue with that one.")


def _text(value: str | None, limit: int, field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError("dispute.required", "请填写争议事项。", "Say what the dispute is about.", field=field)
    if len(value) > limit:
        raise DomainError("dispute.too_long", f"最多 {limit} 个字。", f"At most {limit} characters.", field=field)
    return value
