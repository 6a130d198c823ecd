"""Deadlines of deals and the daily job that reminds the parties of them. Never commits.

`deadlines()` only reads: what falls due, for whom, and when (contract filing, publicity ends,
payments, royalty reports, the licensor's annual fees, licence and declaration ends); the
dashboard shows the same list. `send_reminders()` turns those inside their reminder window
into notices whose dedupe key names the deadline, its stage and the organisation, so running
the job twice (or daily for a fortnight) notifies once per stage. `run_daily()` also ends what
has run out: licences past their term become EXPIRED, and open-licence declarations past theirs
are ended by their own service.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from listings import patents as patent_records
from listings import services as listing_services
from listings.models import Patent
from listings.vocabulary import Labelled
from market.core.extensions import db
from market.core.money import yuan_grouped
from market.core.notifications import notify
from market.deals import claims, ledger, machine
from market.deals.models import Deal, RoyaltyReport
from market.deals.open_licence import declarations
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.royalties import services as royalties
from market.deals.vocabulary import DealStatus, LedgerEvent, PaymentKind, PaymentStatus
from market.payments.models import Payment

log = logging.getLogger(__name__)
S = DealStatus


class DeadlineKind(Labelled):
    FILING = "FILING", "合同备案", "Contract filing"
    PUBLICITY_END = "PUBLICITY_END", "公示期届满", "Publicity ends"
    PAYMENT = "PAYMENT", "付款", "Payment"
    ROYALTY_REPORT = "ROYALTY_REPORT", "提成报告", "Royalty report"
    ANNUAL_FEE = "ANNUAL_FEE", "专利年费", "Annual patent fee"
    LICENCE_END = "LICENCE_END", "许可期限届满", "Licence ends"
    DECLARATION_END = "DECLARATION_END", "开放许可声明届满", "Open-licence declaration ends"


K = DeadlineKind
# How many days ahead a deadline is announced (the day it falls due counts as inside the window).
SOON_DAYS = {K.FILING: 14, K.PUBLICITY_END: 3, K.PAYMENT: 7, K.ROYALTY_REPORT: 14, K.ANNUAL_FEE: 30,
             K.LICENCE_END: 30, K.DECLARATION_END: 30}
# Kinds whose passing is itself news; a licence or declaration that ran out is ended instead.
OVERDUE_NOTICE = {K.FILING, K.PUBLICITY_END, K.PAYMENT, K.ROYALTY_REPORT, K.ANNUAL_FEE}
# Publicity can still be under way while the deal waits for other approvals.
AWAITING_SIGNATURE = frozenset({S.AGREED, S.APPROVALS})
FILING_OPEN = frozenset({S.SIGNED, S.LICENSED, S.FILING_REJECTED})
LIVE_LICENCE = royalties.IN_FORCE
# A payment still owed: the deal has not been called off (an expired licence still owes).
PAYABLE_DEAL = frozenset(S) - {S.VOID, S.CANCELLED, S.DECLINED}
DECLARATION_IN_EFFECT = ("ANNOUNCED", "WITHDRAWAL_FILED")
ANNUAL_FEE_GRACE_MONTHS = 6  # IR 115: six months' grace with a surcharge, then the patent lapses


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due: date
    ref: str  # what makes it unique within its kind (a deal, a payment, a period, a patent)
    subject_zh: str
    subject_en: str
    link: str
    notify_soon: tuple[int, ...]  # organisations told as it approaches
    notify_overdue: tuple[int, ...]  # organisations told once it has passed
    deal_id: int | None = None
    amount_fen: int | None = None
    detail: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def concerns(self) -> set[int]:
        return set(self.notify_soon) | set(self.notify_overdue)

    def overdue(self, today: date) -> bool:
        return self.due < today

    def days_left(self, today: date) -> int:
        return (self.due - today).days

    def stage(self, today: date) -> str | None:
        """'soon' inside the reminder window, 'overdue' once passed, else None (nothing to say yet)."""
        if self.overdue(today):
            return "overdue" if self.kind in OVERDUE_NOTICE else None
        return "soon" if self.days_left(today) <= SOON_DAYS[self.kind] else None

    def label(self, lang: str = "zh") -> str:
        return self.kind.label(lang)


def _subject(deal: Deal) -> tuple[str, str]:
    title = deal.patent.title if deal.patent else ""
    title = title if len(title) <= 40 else title[:39] + "…"
    ref_zh = deal.reference or f"交易#{deal.id}"
    ref_en = deal.reference or f"deal #{deal.id}"
    return f"{ref_zh}《{title}》", f"{ref_en} “{title}”"


def _party_filter(query, organisation_id: int | None):
    if organisation_id is None:
        return query
    return query.where(or_(Deal.seller_org_id == organisation_id, Deal.buyer_org_id == organisation_id))


def publicity_end(deal: Deal) -> date | None:
    """The last day of the unit's publicity (公示), as the negotiation steps record it."""
    approvals = deal.approvals or {}
    record = approvals.get("PUBLICITY") or {}
    raw = record.get("ends_on") if isinstance(record, dict) else None
    raw = raw or approvals.get("publicity_end")
    try:
        return date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


# ---- what is due --------------------------------------------------------------------------

def deadlines(today: date, *, organisation_id: int | None = None) -> list[Deadline]:
    """Every open deadline (or those of one organisation), soonest first."""
    out: list[Deadline] = []
    out += _licence_deadlines(today, organisation_id)
    out += _publicity_deadlines(organisation_id)
    out += _payment_deadlines(organisation_id)
    out += _annual_fee_deadlines(organisation_id)
    out += _declaration_deadlines(organisation_id)
    return sorted(out, key=lambda d: (d.due, d.kind.value, d.ref))


def _licence_deadlines(today: date, organisation_id: int | None) -> list[Deadline]:
    deals = db.session.scalars(_party_filter(
        select(Deal).where(Deal.kind.in_(royalties.ROYALTY_KINDS), Deal.status.in_(royalties.REPORTABLE)),
        organisation_id).options(joinedload(Deal.patent)).order_by(Deal.id)).unique().all()
    reports: dict[int, set[date]] = {}
    if deals:
        for deal_id, start in db.session.execute(select(RoyaltyReport.deal_id, RoyaltyReport.period_start)
                                                 .where(RoyaltyReport.deal_id.in_([d.id for d in deals]))):
            reports.setdefault(deal_id, set()).add(start)
    out = []
    for deal in deals:
        zh, en = _subject(deal)
        both = (deal.seller_org_id, deal.buyer_org_id)
        if deal.status in FILING_OPEN and deal.filing_deadline and deal.filing_date is None:
            out.append(Deadline(K.FILING, deal.filing_deadline, f"deal{deal.id}", zh, en, f"/deals/{deal.id}",
                                both, both, deal.id))
        if deal.status in LIVE_LICENCE and deal.end_date:
            out.append(Deadline(K.LICENCE_END, deal.end_date, f"deal{deal.id}", zh, en, f"/deals/{deal.id}",
                                both, (), deal.id))
        terms = royalties.terms_of(deal)
        if terms is None:
            continue
        filed = reports.get(deal.id, set())
        for period in royalties.periods(deal, terms, with_reports=False):
            if period.start > today:
                break
            if period.start in filed:
                continue
            out.append(Deadline(
                K.ROYALTY_REPORT, period.report_due, f"deal{deal.id}-p{period.start.isoformat()}", zh, en,
                f"/deals/{deal.id}/royalties", (deal.buyer_org_id,), both, deal.id,
                detail={"number": period.number, "start": period.start, "end": period.end}))
    return out


def _publicity_deadlines(organisation_id: int | None) -> list[Deadline]:
    out = []
    for deal in db.session.scalars(_party_filter(select(Deal).where(Deal.status.in_(AWAITING_SIGNATURE)),
                                                 organisation_id).order_by(Deal.id)):
        ends = publicity_end(deal)
        if ends is None:
            continue
        zh, en = _subject(deal)
        both = (deal.seller_org_id, deal.buyer_org_id)
        out.append(Deadline(K.PUBLICITY_END, ends, f"deal{deal.id}", zh, en, f"/deals/{deal.id}", both, both,
                            deal.id))
    return out


def _payment_deadlines(organisation_id: int | None) -> list[Deadline]:
    rows = db.session.execute(_party_filter(
        select(Payment, Deal).join(Deal, Deal.id == Payment.deal_id)
        .where(Payment.status == PaymentStatus.DUE, Payment.due_date.is_not(None),
               Deal.status.in_(PAYABLE_DEAL)), organisation_id)
        .options(joinedload(Deal.patent)).order_by(Payment.due_date, Payment.id)).unique().all()
    out = []
    for payment, deal in rows:
        zh, en = _subject(deal)
        out.append(Deadline(K.PAYMENT, payment.due_date, f"payment{payment.id}", zh, en, f"/deals/{deal.id}#payments",
                            (deal.buyer_org_id,), (deal.buyer_org_id, deal.seller_org_id), deal.id,
                            payment.amount_fen, detail={"payment_kind": payment.kind,
                                                        "payment_id": payment.id}))
    return out


def _annual_fee_deadlines(organisation_id: int | None) -> list[Deadline]:
    """R-LC-8 (TCI 26): the licensor keeps the patent in force while a licence runs."""
    query = (select(Deal.patent_id, Deal.seller_org_id)
             .where(Deal.kind.in_(royalties.ROYALTY_KINDS), Deal.status.in_(LIVE_LICENCE)).distinct())
    if organisation_id is not None:
        query = query.where(Deal.seller_org_id == organisation_id)
    pairs = db.session.execute(query).all()
    patents = {p.id: p for p in db.session.scalars(select(Patent).where(
        Patent.id.in_({patent_id for patent_id, _ in pairs}), Patent.annual_fee_paid_through.is_not(None)))}
    out = []
    for patent_id, licensor in sorted(pairs):
        patent = patents.get(patent_id)
        if patent is None:
            continue
        title = patent.title if len(patent.title) <= 40 else patent.title[:39] + "…"
        out.append(Deadline(K.ANNUAL_FEE, patent.annual_fee_paid_through, f"patent{patent.id}-org{licensor}",
                            f"{patent.application_number}《{title}》", f"{patent.application_number} “{title}”",
                            f"/patents/{patent.application_number}", (licensor,), (licensor,),
                            detail={"application_number": patent.application_number}))
    return out


def _declaration_deadlines(organisation_id: int | None) -> list[Deadline]:
    query = select(OpenLicenceDeclaration).where(OpenLicenceDeclaration.status.in_(DECLARATION_IN_EFFECT),
                                                 OpenLicenceDeclaration.term_end.is_not(None))
    if organisation_id is not None:
        query = query.where(OpenLicenceDeclaration.organisation_id == organisation_id)
    out = []
    for decl in db.session.scalars(query.options(joinedload(OpenLicenceDeclaration.patent))
                                   .order_by(OpenLicenceDeclaration.id)):
        title = decl.patent.title if decl.patent else ""
        out.append(Deadline(K.DECLARATION_END, decl.term_end, f"decl{decl.id}",
                            f"开放许可声明《{title}》", f"open-licence declaration “{title}”",
                            f"/open-licences/{decl.id}", (decl.organisation_id,), ()))
    return out


# ---- telling people -----------------------------------------------------------------------

def _money(fen: int | None) -> tuple[str, str]:
    if not fen:
        return "", ""
    return f"{yuan_grouped(fen)}元", f"¥{yuan_grouped(fen)}"


def texts(d: Deadline, stage: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Title and body (zh, en) of the notice for deadline `d` at `stage`."""
    due, s_zh, s_en = d.due.isoformat(), d.subject_zh, d.subject_en
    if d.kind == K.FILING:
        if stage == "soon":
            return ((f"合同备案将于{due}到期：{s_zh}", f"Contract filing due by {due}: {s_en}"),
                    ("许可合同应自生效之日起3个月内向国家知识产权局备案（专利法实施细则第15条第2款）。",
                     "A licence contract is filed with CNIPA within 3 months of taking effect (IR 15(2))."))
        return ((f"合同备案已逾期（截止{due}）：{s_zh}", f"Contract filing overdue (deadline {due}): {s_en}"),
                ("备案期限已过。法律未规定逾期备案的罚则，备案也不影响合同效力；但备案是对抗善意第三人、办理外汇和海关手续的依据，"
                 "并计入国家知识产权局的统计。实践中可签订补充协议或重新签订合同后办理备案。",
                 "The filing deadline has passed. No statutory penalty applies and filing does not affect the "
                 "contract's validity, but it is what third parties, foreign exchange and customs rely on, and "
                 "what CNIPA counts. In practice the parties sign a supplementary agreement or a new contract "
                 "and file that."))
    if d.kind == K.PUBLICITY_END:
        if stage == "soon":
            return ((f"公示期将于{due}届满：{s_zh}", f"Publicity ends on {due}: {s_en}"),
                    ("公示期满后方可签订合同（促进科技成果转化法第18条）。",
                     "The contract may be signed once the publicity period is over (STL art. 18)."))
        return ((f"公示期已于{due}届满：{s_zh}", f"Publicity ended on {due}: {s_en}"),
                ("公示期已满，完成其他审批事项后即可签订合同。",
                 "Publicity is over; once the other approvals are done the contract can be signed."))
    if d.kind == K.PAYMENT:
        kind = PaymentKind(d.detail["payment_kind"]) if d.detail.get("payment_kind") in PaymentKind.__members__ \
            else None
        what_zh, what_en = (kind.zh, kind.en) if kind else ("款项", "Payment")
        m_zh, m_en = _money(d.amount_fen)
        if stage == "soon":
            return ((f"{what_zh}{m_zh}应于{due}前支付：{s_zh}", f"{what_en} of {m_en} due by {due}: {s_en}"),
                    ("请按期付款，在线支付或上传银行转账凭证。", "Please pay on time, online or by bank transfer with the receipt."))
        return ((f"{what_zh}{m_zh}已逾期未付（应于{due}前支付）：{s_zh}",
                 f"{what_en} of {m_en} is overdue (was due {due}): {s_en}"),
                ("付款已逾期，请被许可方（受让方）尽快支付，或双方协商后续安排。",
                 "The payment is overdue: the payer should pay promptly, or the parties agree what happens next."))
    if d.kind == K.ROYALTY_REPORT:
        n, start, end = d.detail["number"], d.detail["start"], d.detail["end"]
        if stage == "soon":
            return ((f"第{n}期提成报告应于{due}前提交：{s_zh}", f"Royalty report {n} due by {due}: {s_en}"),
                    (f"结算期间 {start} 至 {end}。请被许可方按约定的提成基数提交报告。",
                     f"Period {start} to {end}. The licensee reports the agreed royalty base."))
        return ((f"第{n}期提成报告已逾期（应于{due}前提交）：{s_zh}", f"Royalty report {n} overdue (was due {due}): {s_en}"),
                (f"结算期间 {start} 至 {end} 的提成报告尚未提交。", f"No report has been filed for {start} to {end}."))
    if d.kind == K.ANNUAL_FEE:
        if stage == "soon":
            return ((f"专利年费缴至{due}，请及时续缴：{s_zh}", f"Annual fee paid through {due}; renew it: {s_en}"),
                    ("许可合同履行期间，许可方应当维持专利权有效（技术合同司法解释第26条）。",
                     "While a licence runs the licensor keeps the patent in force (TCI art. 26)."))
        return ((f"专利年费已逾期（缴至{due}），处于滞纳期：{s_zh}", f"Annual fee overdue (paid through {due}): {s_en}"),
                (f"逾期年费可在{ANNUAL_FEE_GRACE_MONTHS}个月滞纳期内补缴并缴纳滞纳金（专利法实施细则第115条），期满未缴专利权终止，"
                 "许可随之失去基础。",
                 f"The fee can still be paid within the {ANNUAL_FEE_GRACE_MONTHS}-month grace period with a surcharge "
                 "(IR 115); after that the patent lapses and the licence with it."))
    if d.kind == K.LICENCE_END:
        return ((f"许可将于{due}到期：{s_zh}", f"The licence ends on {due}: {s_en}"),
                ("如需继续实施，请在到期前协商续签。", "To keep using the patent, agree a renewal before then."))
    return ((f"{s_zh}将于{due}届满", f"The {s_en} ends on {due}"),
            ("届满后不能再取得该开放许可；已取得的许可在其期限内继续有效。",
             "After that no one can take the open licence; licences already taken stay valid for their term."))


def dedupe_key(d: Deadline, stage: str, organisation_id: int) -> str:
    return f"remind:{d.kind.value}:{stage}:{d.ref}:{d.due.isoformat()}:{organisation_id}"


def send_reminders(today: date) -> Counter:
    """Notify each deadline's organisations once per stage; returns notices written by kind."""
    sent: Counter = Counter()
    for d in deadlines(today):
        stage = d.stage(today)
        if stage is None:
            continue
        title, body = texts(d, stage)
        for org_id in (d.notify_soon if stage == "soon" else d.notify_overdue):
            if notify(org_id, f"deadline_{d.kind.value.lower()}", title, body=body, link=d.link,
                      dedupe_key=dedupe_key(d, stage, org_id)) is not None:
                sent[f"{d.kind.value}:{stage}"] += 1
    return sent


# ---- ending what has run out ------------------------------------------------------------

def expire_licences(today: date) -> tuple[list[Deal], list[Deal]]:
    """Licences whose last day has passed become EXPIRED; returns (expired, left as they are)."""
    expired, stuck = [], []
    for deal in db.session.scalars(select(Deal).where(
            Deal.kind.in_(royalties.ROYALTY_KINDS), Deal.status.in_(LIVE_LICENCE),
            Deal.end_date.is_not(None), Deal.end_date < today).order_by(Deal.id)):
        if S.EXPIRED not in machine.allowed(deal.kind, deal.status):
            stuck.append(deal)  # e.g. signed but never filed: the state machine has no way out yet
            continue
        ledger.move(deal, S.EXPIRED, LedgerEvent.EXPIRED, occurred_on=deal.end_date,
                    note="许可期限届满", evidence={"end_date": deal.end_date.isoformat(), "by": "daily job"})
        claims.release(deal_id=deal.id)
        zh, en = _subject(deal)
        for org_id in (deal.seller_org_id, deal.buyer_org_id):
            notify(org_id, "licence_expired",
                   (f"许可已于{deal.end_date}到期：{zh}", f"The licence ended on {deal.end_date}: {en}"),
                   body=("期满后不得再实施该专利；尚未提交的提成报告和未付款项仍应完成。",
                         "The patent may no longer be used under it; outstanding royalty reports and payments "
                         "are still owed."),
                   link=f"/deals/{deal.id}", dedupe_key=f"expired:deal{deal.id}:{org_id}")
        expired.append(deal)
    return expired, stuck


def end_declarations(today: date) -> int:
    """Open-licence declarations past their term (or whose patent lapsed), ended; how many."""
    return len(declarations.end_declarations(today))


def run_daily(today: date) -> dict[str, int]:
    """The daily job: end what ran out, then remind of what is due. The caller commits once."""
    expired, stuck = expire_licences(today)
    # The register's paid-through date has passed: the patent is in the fee grace period (R-OL-4,
    # R-LC-8), which bars open licences and filings and suspends open-licence listings.
    graced = patent_records.enter_fee_grace(today)
    for patent in graced:
        listing_services.enforce_shelf_rules(patent)
    ended = end_declarations(today)
    sent = send_reminders(today)
    for deal in stuck:
        log.warning("deal %s is past its term but cannot move from %s to EXPIRED", deal.id, deal.status)
    return {"licences_expired": len(expired), "licences_past_term_not_expired": len(stuck),
            "declarations_ended": ended, "fee_grace_entered": len(graced), "notices": sum(sent.values()),
            **{f"notices.{k}": v for k, v in sorted(sent.items())}}
