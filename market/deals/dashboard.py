"""What an organisation's dashboard shows: its deals by status, what it must do next, its deadlines.

Read only. The pending actions are derived from each deal's state and its payments and royalty
reports; the deadlines are those of market.deals.reminders, so the dashboard and the daily
reminders never disagree about a date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from market.core.extensions import db
from market.core.money import yuan_grouped
from market.core.notifications import Notification
from market.deals import negotiation, reminders
from market.deals.models import Deal, Offer, RoyaltyReport
from market.deals.royalties import services as royalties
from market.deals.vocabulary import (
    LICENCE_KINDS,
    OWNERSHIP_KINDS,
    DealKind,
    DealStatus,
    PaymentKind,
    PaymentStatus,
    RoyaltyReportStatus,
)
from market.payments.models import Payment

S = DealStatus
SELLER, BUYER = "seller", "buyer"
RECENT_DEALS = 10  # per status group; an open licence can have hundreds of licensees
RECENT_NOTICES = 8
# Deals that are over: shown in the counts, never with anything to do.
DONE = frozenset({S.COMPLETED, S.EXPIRED, S.TERMINATED, S.DECLINED, S.CANCELLED, S.VOID,
                  S.REGISTRATION_REJECTED})


@dataclass(frozen=True)
class Action:
    code: str
    zh: str
    en: str
    deal_id: int
    deal_ref: str
    link: str
    due: date | None = None

    def title(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today


@dataclass
class Board:
    today: date
    selling: dict[str, list[Deal]]
    buying: dict[str, list[Deal]]
    counts: dict[str, Counter]  # side → status → number of deals
    actions: list[Action]
    deadlines: list[reminders.Deadline]
    notices: list[Notification]
    unread: int
    status_order: list[str] = field(default_factory=lambda: [s.value for s in DealStatus])


def _ref(deal: Deal) -> str:
    return deal.reference or f"#{deal.id}"


def _action(code: str, deal: Deal, zh: str, en: str, *, link: str | None = None, due: date | None = None) -> Action:
    return Action(code, zh, en, deal.id, _ref(deal), link or f"/deals/{deal.id}", due)


def _missing_steps(deal: Deal, today: date):
    return negotiation.missing(deal, today)


def _deal_actions(deal: Deal, side: str, today: date, open_offer: Offer | None) -> list[Action]:
    """What `side` must do next on `deal` because of its state (payments and royalties aside)."""
    st = deal.status
    out = []
    if st == S.NEGOTIATING:
        if open_offer is not None and open_offer.from_org_id != (deal.seller_org_id if side == SELLER
                                                                 else deal.buyer_org_id):
            out.append(_action("ANSWER_OFFER", deal, "答复对方的报价", "Answer the other side’s offer"))
        elif open_offer is None and side == SELLER:
            out.append(_action("ANSWER_OFFER", deal, "回复交易请求（报价、接受或拒绝）",
                               "Answer the deal request (offer, accept or decline)"))
    elif st in (S.AGREED, S.APPROVALS):
        missing = _missing_steps(deal, today)
        if missing:
            mine = [m for m in missing if side in m.step.by and not (m.record and m.waiting_until)]
            if mine:
                out.append(_action("APPROVE", deal, "完成审批事项：" + "、".join(m.step.zh for m in mine),
                                   "Complete the approvals: " + ", ".join(m.step.en for m in mine)))
        elif missing is not None:
            out.append(_action("SIGN", deal, "签订书面合同", "Sign the written contract"))
    elif deal.kind in LICENCE_KINDS | {DealKind.OPEN_LICENSE} and st in reminders.FILING_OPEN \
            and deal.filing_date is None:
        out.append(_action("FILE", deal, "办理合同备案（国家知识产权局）", "File the contract with CNIPA",
                           due=deal.filing_deadline))
    elif deal.kind in OWNERSHIP_KINDS and st in (S.SIGNED, S.REGISTRATION_REJECTED):
        out.append(_action("REGISTER", deal, "办理著录项目变更（转让登记）", "File the transfer registration with CNIPA"))
    elif deal.kind == DealKind.EQUITY and st == S.REGISTERED and side == BUYER:
        out.append(_action("CAPITAL", deal, "办理工商变更登记（注册资本）", "Register the capital change"))
    return out


def board_for(organisation_id: int, today: date) -> Board:
    deals = db.session.scalars(
        select(Deal).where(or_(Deal.seller_org_id == organisation_id, Deal.buyer_org_id == organisation_id))
        .options(joinedload(Deal.patent)).order_by(Deal.updated_at.desc(), Deal.id.desc())).unique().all()
    selling: dict[str, list[Deal]] = {}
    buying: dict[str, list[Deal]] = {}
    counts = {SELLER: Counter(), BUYER: Counter()}
    for deal in deals:
        side = SELLER if deal.seller_org_id == organisation_id else BUYER
        counts[side][deal.status] += 1
        group = (selling if side == SELLER else buying).setdefault(deal.status, [])
        if len(group) < RECENT_DEALS:
            group.append(deal)
    live = [d for d in deals if d.status not in DONE or d.status in royalties.ENDED]
    actions = _actions(organisation_id, live, today)
    notices = list(db.session.scalars(select(Notification).where(Notification.organisation_id == organisation_id)
                                      .order_by(Notification.created_at.desc(), Notification.id.desc())
                                      .limit(RECENT_NOTICES)))
    unread = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.organisation_id == organisation_id, Notification.read_at.is_(None))) or 0
    return Board(today, selling, buying, counts, actions,
                 reminders.deadlines(today, organisation_id=organisation_id), notices, unread)


def _actions(organisation_id: int, deals: list[Deal], today: date) -> list[Action]:
    by_id = {d.id: d for d in deals}
    ids = list(by_id)
    out: list[Action] = []
    if not ids:
        return out
    offers = {}
    negotiating = [d.id for d in deals if d.status == S.NEGOTIATING]
    if negotiating:
        for offer in db.session.scalars(select(Offer).where(Offer.deal_id.in_(negotiating), Offer.status == "OPEN")
                                        .order_by(Offer.id)):
            offers[offer.deal_id] = offer  # the latest open one wins
    for deal in deals:
        if deal.status in DONE:
            continue
        side = SELLER if deal.seller_org_id == organisation_id else BUYER
        out += _deal_actions(deal, side, today, offers.get(deal.id))
    out += _payment_actions(organisation_id, by_id)
    out += _royalty_actions(organisation_id, deals, today)
    # Overdue first, then soonest; undated ones after the dated.
    return sorted(out, key=lambda a: (not a.overdue(today), a.due is None, a.due or today, a.deal_id))


def _payment_actions(organisation_id: int, by_id: dict[int, Deal]) -> list[Action]:
    out = []
    for pay in db.session.scalars(select(Payment).where(
            Payment.deal_id.in_(list(by_id)),
            Payment.status.in_([PaymentStatus.DUE, PaymentStatus.FAILED, PaymentStatus.PROCESSING]))
            .order_by(Payment.due_date, Payment.id)):
        deal = by_id[pay.deal_id]
        if deal.status in (S.VOID, S.CANCELLED, S.DECLINED):
            continue
        payer = organisation_id == deal.buyer_org_id
        money_zh, money_en = f"{yuan_grouped(pay.amount_fen)}元", f"¥{yuan_grouped(pay.amount_fen)}"
        kind = PaymentKind(pay.kind) if pay.kind in PaymentKind.__members__ else None
        what_zh, what_en = (kind.zh, kind.en.lower()) if kind else ("款项", "payment")
        if payer and pay.status in (PaymentStatus.DUE, PaymentStatus.FAILED):
            out.append(_action("PAY", deal, f"支付{what_zh} {money_zh}", f"Pay the {what_en} of {money_en}",
                               link=f"/deals/{deal.id}#payments", due=pay.due_date))
        elif not payer and pay.status == PaymentStatus.PROCESSING and pay.receipt_document_id is not None:
            out.append(_action("CONFIRM_RECEIPT", deal, f"核对转账凭证并确认收到{what_zh} {money_zh}",
                               f"Check the transfer receipt and confirm the {what_en} of {money_en} arrived",
                               link=f"/deals/{deal.id}#payments"))
    return out


def _royalty_actions(organisation_id: int, deals: list[Deal], today: date) -> list[Action]:
    out = []
    royalty_deals = [d for d in deals if d.kind in royalties.ROYALTY_KINDS and d.status in royalties.REPORTABLE]
    if not royalty_deals:
        return out
    reports: dict[int, list[RoyaltyReport]] = {}
    for r in db.session.scalars(select(RoyaltyReport).where(
            RoyaltyReport.deal_id.in_([d.id for d in royalty_deals])).order_by(RoyaltyReport.period_start)):
        reports.setdefault(r.deal_id, []).append(r)
    for deal in royalty_deals:
        terms = royalties.terms_of(deal)
        if terms is None:
            continue
        link = f"/deals/{deal.id}/royalties"
        mine = reports.get(deal.id, [])
        if organisation_id == deal.buyer_org_id:
            filed = {r.period_start for r in mine}
            nxt = next((p for p in royalties.periods(deal, terms, with_reports=False)
                        if p.start not in filed and p.ended(today)), None)
            if nxt is not None:
                out.append(_action("REPORT_ROYALTY", deal, f"提交第{nxt.number}期提成报告（{nxt.start}至{nxt.end}）",
                                   f"File royalty report {nxt.number} ({nxt.start} to {nxt.end})",
                                   link=link, due=nxt.report_due))
            for r in mine:
                if r.status == RoyaltyReportStatus.DISPUTED:
                    out.append(_action("CORRECT_ROYALTY", deal, f"许可方对{r.period_start}起的提成报告有异议，请核对更正",
                                       f"The licensor disputed the report from {r.period_start}; check and correct it",
                                       link=link))
        else:
            waiting = [r for r in mine if r.status == RoyaltyReportStatus.SUBMITTED]
            if waiting:
                out.append(_action("ANSWER_ROYALTY", deal, f"确认或对{len(waiting)}份提成报告提出异议",
                                   f"Confirm or dispute {len(waiting)} royalty report(s)", link=link))
    return out
