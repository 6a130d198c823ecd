"""How a deal that took effect or was paid ends: termination (终止) or rescission (解除), never a void.

Civil Code 557 (termination: performed, agreed, ...), 562 (rescission by agreement or on an agreed
event) and 563 (statutory rescission: force majeure, repudiation, delay after demand, breach that
defeats the purpose). Either one party proposes with the grounds and the other confirms on the
platform, or the district bureau decides on the evidence it names. A refund both accepted (or the
bureau decided) is a negative PAYMENT line, so the amount received reconciles in the statistics.
A rescinded transfer keeps its ownership claim: the patent goes back only when CNIPA registers it
back (PL 10 ¶3), so the platform does not pretend otherwise. Never commits.
"""

from __future__ import annotations

from datetime import date

from market.accounts.models import User
from market.accounts.permissions import is_bureau
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.money import yuan_grouped
from market.core.time import today_local
from market.deals import claims, ledger, machine
from market.deals.models import Deal, DealDocument
from market.deals.negotiation.common import other_org_id, tell, tell_both
from market.deals.negotiation.contract import money_received, payments_of
from market.deals.permissions import require
from market.deals.vocabulary import OWNERSHIP_KINDS, LedgerEvent, PaymentStatus
from market.deals.vocabulary import DealStatus as S

TERMINATION, RESCISSION = "TERMINATION", "RESCISSION"
KINDS = {TERMINATION: ("终止", "Termination"), RESCISSION: ("解除", "Rescission")}
# (kind, zh, en, article zh, article en)
GROUNDS = {
    "AGREED_RESCISSION": (RESCISSION, "双方协商一致解除", "Rescinded by agreement", "民法典第562条第1款",
                          "Civil Code art. 562 ¶1"),
    "AGREED_EVENT": (RESCISSION, "约定的解除事由发生", "An agreed ground for rescission occurred", "民法典第562条第2款",
                     "Civil Code art. 562 ¶2"),
    "FORCE_MAJEURE": (RESCISSION, "因不可抗力致使不能实现合同目的", "Force majeure defeats the contract's purpose",
                      "民法典第563条第1款第1项", "Civil Code art. 563 ¶1 (1)"),
    "REPUDIATION": (RESCISSION, "一方明确表示或以行为表明不履行主要债务", "A party refused to perform its main duty",
                    "民法典第563条第1款第2项", "Civil Code art. 563 ¶1 (2)"),
    "DELAY_AFTER_DEMAND": (RESCISSION, "迟延履行主要债务，经催告后在合理期限内仍未履行",
                           "The main duty is still not performed within a reasonable time after demand",
                           "民法典第563条第1款第3项", "Civil Code art. 563 ¶1 (3)"),
    "FUNDAMENTAL_BREACH": (RESCISSION, "迟延履行或有其他违约行为致使不能实现合同目的",
                           "A breach defeats the contract's purpose", "民法典第563条第1款第4项",
                           "Civil Code art. 563 ¶1 (4)"),
    "AGREED_TERMINATION": (TERMINATION, "当事人约定终止", "The parties agreed to terminate", "民法典第557条第1款第6项",
                           "Civil Code art. 557 ¶1 (6)"),
    "PERFORMED": (TERMINATION, "债务已经履行", "The obligations were performed", "民法典第557条第1款第1项",
                  "Civil Code art. 557 ¶1 (1)"),
}
PROPOSAL = "ENDING"  # key of the open proposal in deal.approvals


def needs_ending(deal: Deal) -> bool:
    """A deal that took effect or received money ends only by termination or rescission."""
    return deal.status not in (S.VOID, S.TERMINATED, S.EXPIRED) and (
        deal.status in machine.TOOK_EFFECT or deal.status == S.SIGNED or money_received(deal))


def proposal(deal: Deal) -> dict | None:
    return (deal.approvals or {}).get(PROPOSAL)


def _grounds(ground: str, explanation: str) -> tuple[str, str]:
    if ground not in GROUNDS:
        raise DomainError("deal.ending_ground", "请选择终止或解除的法定或约定理由（民法典第557、562、563条）。",
                          "Choose the legal or agreed ground (Civil Code arts. 557, 562, 563).", field="ground")
    explanation = (explanation or "").strip()[:1000]
    if not explanation:
        raise DomainError("deal.reason_required", "请写明具体事实（如何时催告、哪项义务未履行、双方如何协商）。",
                          "State the facts (when a demand was made, which duty was not performed, what was agreed).",
                          field="explanation")
    return ground, explanation


def _refund(deal: Deal, refund_fen: int | None) -> int:
    refund = int(refund_fen or 0)
    received = sum(p.amount_fen for p in payments_of(deal) if p.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED))
    if refund < 0 or refund > received:
        raise DomainError("deal.refund_amount",
                          f"退款金额须在0至已收款{yuan_grouped(received)}元之间（民法典第566条）。",
                          f"The refund is between 0 and the ¥{yuan_grouped(received)} received (Civil Code art. 566).",
                          field="refund")
    return refund


def _open(deal: Deal) -> None:
    if not needs_ending(deal):
        status = S(deal.status)
        raise Conflict("deal.ending_not_needed",
                       f"交易当前为“{status.zh}”，尚未生效且未收款：属错误的请作废（写明原因），未签约的可取消。",
                       f"The deal is “{status.en}”, not in effect and unpaid: void it with a reason if it is a "
                       "mistake, or cancel it before signature.")


def propose_ending(user: User, deal: Deal, ground: str, explanation: str, refund_fen: int | None = None,
                   document: DealDocument | None = None) -> None:
    """One party proposes to terminate or rescind, with its grounds; nothing ends until the other confirms."""
    require(user, deal)
    _open(deal)
    if proposal(deal):
        raise Conflict("deal.ending_pending", "已有一项终止/解除提议等待答复。", "A proposal to end the deal is waiting.")
    ground, explanation = _grounds(ground, explanation)
    refund = _refund(deal, refund_fen)
    kind = GROUNDS[ground][0]
    record = {"kind": kind, "ground": ground, "explanation": explanation, "refund_fen": refund,
              "by_org": user.organisation_id, "by_user": user.id, "on": today_local().isoformat(),
              "document_id": document.id if document else None}
    deal.approvals = {**(deal.approvals or {}), PROPOSAL: record}
    ledger.append(deal, LedgerEvent.MESSAGE, actor=user, note=f"提议{KINDS[kind][0]}合同：{GROUNDS[ground][1]}"
                  f"（{GROUNDS[ground][3]}）。{explanation}", evidence={"ending_proposal": record})
    tell(other_org_id(deal, user.organisation_id), deal, "ending_proposed",
         f"对方提议{KINDS[kind][0]}合同，请答复", f"The other party proposes {KINDS[kind][1].lower()}; please answer")


def answer_ending(user: User, deal: Deal, accept: bool, reason: str = "") -> None:
    """The other party confirms the proposal (the deal ends) or declines it (nothing changes but the ledger)."""
    require(user, deal)
    record = proposal(deal)
    if not record:
        raise Conflict("deal.no_ending_proposal", "没有待答复的终止/解除提议。", "There is no proposal to answer.")
    if record["by_org"] == user.organisation_id:
        raise Forbidden("deal.ending_own_proposal", "提议须由对方确认，不能自行确认（民法典第562条：协商一致）。",
                        "The other party must confirm the proposal; a party cannot confirm its own "
                        "(Civil Code art. 562: by agreement).")
    approvals = dict(deal.approvals or {})
    approvals.pop(PROPOSAL)
    deal.approvals = approvals
    if not accept:
        ledger.append(deal, LedgerEvent.MESSAGE, actor=user, note="不同意终止/解除提议。" + (reason or "").strip()[:500])
        tell(record["by_org"], deal, "ending_declined", "对方不同意终止/解除", "The other party declined to end the deal")
        return
    _end(deal, user, record["ground"], record["explanation"], record["refund_fen"], how="agreed",
         extra={"proposed_by_org": record["by_org"], "proposed_by_user": record["by_user"],
                "confirmed_by_org": user.organisation_id, "document_id": record.get("document_id")})


def decide_ending(user: User, deal: Deal, ground: str, explanation: str, document: DealDocument | None,
                  refund_fen: int | None = None) -> None:
    """The district bureau decides, on the evidence it names, that the deal is terminated or rescinded."""
    if not is_bureau(user):
        raise Forbidden("deal.ending_not_bureau", "只有区知识产权局可以依据证据决定终止或解除。",
                        "Only the district bureau decides an ending on evidence.")
    _open(deal)
    ground, explanation = _grounds(ground, explanation)
    if document is None:
        raise DomainError("deal.document_required", "请上传决定所依据的证据（判决书、协议、催告函等）。",
                          "Upload the evidence the decision rests on (judgment, agreement, demand letter...).",
                          field="file")
    refund = _refund(deal, refund_fen)
    approvals = dict(deal.approvals or {})
    approvals.pop(PROPOSAL, None)
    deal.approvals = approvals
    _end(deal, user, ground, explanation, refund, how="bureau", extra={"document_id": document.id})


def _end(deal: Deal, user: User, ground: str, explanation: str, refund: int, *, how: str, extra: dict) -> None:
    kind, zh, en, article, _ = GROUNDS[ground]
    on = today_local()
    evidence = {"ending": kind, "ground": ground, "article": article, "how": how, "refund_fen": refund, **extra}
    ownership = deal.kind in OWNERSHIP_KINDS and deal.registration_date is not None
    if ownership:
        evidence["ownership"] = "kept_until_register"
    ledger.move(deal, S.TERMINATED, LedgerEvent.TERMINATED, occurred_on=on, actor=user,
                note=f"合同{KINDS[kind][0]}：{zh}（{article}）。{explanation}", evidence=evidence)
    if refund:
        # The money going back is a negative receipt: the amount received in the figures drops by it.
        ledger.append(deal, LedgerEvent.PAYMENT, occurred_on=on, amount_fen=-refund, actor=user,
                      note=f"因合同{KINDS[kind][0]}退款", evidence={"refund": True, "ending": kind, "how": how})
    if not ownership:
        claims.release(deal_id=deal.id, ends_on=on)
    tell_both(deal, "ended", f"合同已{KINDS[kind][0]}：{zh}", f"{KINDS[kind][1]}: {en}")


def grounds_for(lang: str) -> list[tuple[str, str]]:
    if lang == "en":
        return [(code, f"{g[2]} ({g[4]})") for code, g in GROUNDS.items()]
    return [(code, f"{g[1]}（{g[3]}）") for code, g in GROUNDS.items()]


def ended_on(deal: Deal) -> date | None:
    return next((e.occurred_on for e in deal.events if e.kind == LedgerEvent.TERMINATED), None)
