"""Running royalties (提成): the licensee's periodic reports, the licensor's answer, the sums due.

CC 846 ¶2 lets a licence fee be a share of sales or profit paid periodically; CC 846 ¶3 gives the
licensor the right to check the books it rests on. Here the licensee files one report per
period of the fee terms (`FeeTerms.royalty_periods`), the royalty is computed from the terms
(rate of that contract year, then the yearly minimum at the year's last period), and the amount
becomes a Payment; the licensor confirms or disputes, and a disputed report is filed again by
the licensee: the same row is updated (one report per period, a database constraint) and every
version stays in the deal ledger. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from market.core import money
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.money import yuan_grouped
from market.core.notifications import notify
from market.core.time import add_months, today_local
from market.deals import ledger
from market.deals.fees import MAX_FEN, FeeTerms
from market.deals.models import Deal, DealEvent, RoyaltyReport
from market.deals.vocabulary import (
    LICENCE_KINDS,
    DealKind,
    DealStatus,
    LedgerEvent,
    PaymentKind,
    PaymentStatus,
    RoyaltyReportStatus,
)
from market.payments.models import Payment

S = DealStatus
ROYALTY_KINDS = LICENCE_KINDS | {DealKind.OPEN_LICENSE}
# The licence is (or was) in force: the licensee owes reports for the periods it covered.
IN_FORCE = frozenset({S.SIGNED, S.FILED, S.FILING_REJECTED, S.LICENSED, S.ACTIVE})
ENDED = frozenset({S.EXPIRED, S.TERMINATED})
REPORTABLE = IN_FORCE | ENDED
# A correction that raises a period already paid adds a payment numbered period + k × this.
TOP_UP_STEP = 1000
MAX_REASON = 1000
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL


def _error(code: str, zh: str, en: str, field: str | None = None, cls=DomainError):
    return cls(f"royalty.{code}", zh, en, field=field)


# ---- reading the terms ----------------------------------------------------------------------

def terms_of(deal: Deal) -> FeeTerms | None:
    """The deal's fee terms when they include a royalty; None otherwise (or if unreadable)."""
    if deal.kind not in ROYALTY_KINDS or not deal.fee_terms:
        return None
    try:
        terms = FeeTerms.from_dict(deal.fee_terms)
    except DomainError:
        return None
    return terms if terms.has_royalty else None


@dataclass
class Period:
    number: int  # 1 = the first period of the licence; the royalty payment's sequence
    start: date
    end: date
    report_due: date
    year: int  # contract year, 1 = the first
    last_of_year: bool
    report: RoyaltyReport | None = None

    def ended(self, today: date) -> bool:
        return self.end < today

    def report_overdue(self, today: date) -> bool:
        return self.report is None and self.report_due < today


def term_of(deal: Deal) -> tuple[date, date] | None:
    """First and last day the licence covers, cut short when it was terminated early."""
    if deal.kind == DealKind.OPEN_LICENSE:
        # Obtained on payment (PL 51 ¶1), which can come after the notice day the term is dated from;
        # the open-licence flow records the first period from this date too.
        start = deal.effective_date or deal.licensed_date or deal.start_date
    else:
        start = deal.start_date or deal.effective_date
    end = deal.end_date or (deal.patent.last_protected_day if deal.patent else None)
    if start is None or end is None:
        return None
    if deal.status == S.TERMINATED:
        stopped = db.session.scalar(select(DealEvent.occurred_on).where(
            DealEvent.deal_id == deal.id, DealEvent.to_status == S.TERMINATED)
            .order_by(DealEvent.seq.desc()).limit(1))
        if stopped is not None:
            end = min(end, stopped)
    return (start, end) if end >= start else None


def periods(deal: Deal, terms: FeeTerms | None = None, *, with_reports: bool = True) -> list[Period]:
    """The reporting periods of a royalty licence, each with its report when filed."""
    terms = terms or terms_of(deal)
    term = term_of(deal) if terms else None
    if term is None:
        return []
    rows = terms.royalty_periods(*term)
    out = [Period(n, p_start, p_end, due, year, last_of_year=(n == len(rows) or rows[n][3] != year))
           for n, (p_start, p_end, due, year) in enumerate(rows, start=1)]
    if with_reports and deal.id is not None:
        by_start = {r.period_start: r for r in reports_of(deal)}
        for p in out:
            p.report = by_start.get(p.start)
    return out


def reports_of(deal: Deal) -> list[RoyaltyReport]:
    return list(db.session.scalars(select(RoyaltyReport).where(RoyaltyReport.deal_id == deal.id)
                                   .order_by(RoyaltyReport.period_start)))


# ---- input ----------------------------------------------------------------------------------

# How a refused royalty base is worded (market.core.money.parse_yuan gives the reason).
_AMOUNT_REFUSALS = {
    "invalid": ("amount_invalid", "金额须为数字，例如 12345.67。", "Enter a number, e.g. 12345.67."),
    "negative": ("base_negative", "提成基数不能为负数。", "The royalty base cannot be negative."),
    "decimals": ("amount_decimals", "金额最多保留两位小数（精确到分）。", "Amounts have at most 2 decimals (whole fen)."),
    "too_large": ("amount_range", "金额超出合理范围。", "The amount is unrealistically large."),
}


def parse_yuan(raw: str | None, field: str = "base_amount") -> int:
    """An amount typed in 元 (at most 2 decimals, thousands commas allowed) as exact fen."""
    try:
        fen = money.parse_yuan(raw, max_fen=MAX_FEN)
    except money.AmountError as err:
        raise _error(*_AMOUNT_REFUSALS[err.reason], field) from None
    if fen is None:
        raise _error("amount_required", "请填写金额（元）。", "Enter an amount in yuan.", field)
    return fen


def rate_text(rate: Decimal) -> str:
    """A percentage as people write it: 5, 6.5, 0.25 (never 5.0 or 5E+1)."""
    return format(rate.normalize(), "f")


# ---- the amounts ----------------------------------------------------------------------------

def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def year_minimum(terms: FeeTerms, deal: Deal, year: int) -> int:
    """The yearly minimum, pro rata by days for a contract year the licence does not cover in full."""
    if not terms.min_annual_fen:
        return 0
    term = term_of(deal)
    if term is None:
        return 0
    start, end = term
    year_start = add_months(start, 12 * (year - 1))
    full_end = add_months(start, 12 * year) - timedelta(days=1)
    covered_end = min(full_end, end)
    if covered_end >= full_end:
        return terms.min_annual_fen
    covered = (covered_end - year_start).days + 1
    full = (full_end - year_start).days + 1
    return _half_up(Decimal(terms.min_annual_fen) * covered / full)


@dataclass(frozen=True)
class Amount:
    computed_fen: int  # base × the year's rate
    minimum_top_up_fen: int  # added at the year's last period to reach the yearly minimum
    rate: Decimal

    @property
    def due_fen(self) -> int:
        return self.computed_fen + self.minimum_top_up_fen


def compute(deal: Deal, terms: FeeTerms, period: Period, base_fen: int, all_periods: list[Period]) -> Amount:
    """What the licensee owes for `period` on `base_fen` (CC 846: the agreed rate and minimum)."""
    computed = terms.royalty_due(base_fen, period.year)
    top_up = 0
    if period.last_of_year and terms.min_annual_fen:
        others = sum(p.report.amount_due_fen for p in all_periods
                     if p.year == period.year and p.number != period.number and p.report is not None)
        top_up = max(0, year_minimum(terms, deal, period.year) - others - computed)
    return Amount(computed, top_up, terms.rate_for_year(period.year))


# ---- who may do what (views have already shown the deal: market.deals.permissions) ----------

def _require_licensee(deal: Deal, user) -> None:
    if user.organisation_id != deal.buyer_org_id:
        raise _error("not_licensee", "只有被许可方可以提交提成报告。",
                     "Only the licensee files royalty reports.", cls=Forbidden)


def _require_licensor(deal: Deal, user) -> None:
    if user.organisation_id != deal.seller_org_id:
        raise _error("not_licensor", "只有许可方可以确认或对提成报告提出异议。",
                     "Only the licensor confirms or disputes royalty reports.", cls=Forbidden)


# ---- filing ---------------------------------------------------------------------------------

def file_report(deal: Deal, user, *, period_start: date, base_fen: int, note: str = "",
                today: date | None = None) -> RoyaltyReport:
    """File the report of one period, or a corrected report after the licensor disputed it."""
    today = today or today_local()
    _require_licensee(deal, user)
    terms = terms_of(deal)
    if terms is None:
        raise _error("no_royalty", "该交易的许可使用费不含提成，无需提交提成报告。",
                     "This deal's fee has no royalty; there is nothing to report.", cls=Conflict)
    if deal.status not in REPORTABLE:
        raise _error("not_in_force", "许可尚未生效或已作废，不能提交提成报告。",
                     "The licence is not (or was never) in force; no report can be filed.", cls=Conflict)
    if isinstance(base_fen, bool) or not isinstance(base_fen, int) or base_fen < 0:
        raise _error("base_negative", "提成基数不能为负数。", "The royalty base cannot be negative.",
                     "base_amount")
    if base_fen > MAX_FEN:
        raise _error("amount_range", "金额超出合理范围。", "The amount is unrealistically large.", "base_amount")
    note = (note or "").strip()[:2000]
    all_periods = periods(deal, terms)
    period = next((p for p in all_periods if p.start == period_start), None)
    if period is None:
        raise _error("period_unknown", "所选期间不是本许可的结算期间。",
                     "That is not one of this licence's reporting periods.", "period")
    if not period.ended(today):
        raise _error("period_not_ended", f"该期间（至{period.end}）尚未结束，结束后才能提交报告。",
                     f"The period (to {period.end}) has not ended yet; report once it has.", "period")
    if period.report is not None:
        if period.report.status != RoyaltyReportStatus.DISPUTED:
            raise _error("already_reported", "该期间的提成报告已经提交，不能重复提交。",
                         "A report for this period has already been filed.", "period", cls=Conflict)
        return _correct(deal, terms, period, all_periods, user, base_fen, note, today)
    missing = next((p for p in all_periods if p.number < period.number and p.report is None), None)
    if missing is not None:
        raise _error("earlier_missing", f"请先提交第{missing.number}期（{missing.start}至{missing.end}）的报告。",
                     f"File period {missing.number} ({missing.start} to {missing.end}) first.", "period")
    amount = compute(deal, terms, period, base_fen, all_periods)
    report = RoyaltyReport(
        deal_id=deal.id, period_start=period.start, period_end=period.end,
        base_kind=terms.royalty_base.value, base_amount_fen=base_fen, rate=rate_text(amount.rate),
        amount_due_fen=amount.due_fen, payment_due_date=today + timedelta(days=terms.payment_due_days),
        status=RoyaltyReportStatus.SUBMITTED, note=note, submitted_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:
        raise _error("already_reported", "该期间的提成报告刚刚已由他人提交。",
                     "A report for this period has just been filed by someone else.", "period",
                     cls=Conflict) from None
    period.report = report
    payment = _set_payment(deal, report, period, report.amount_due_fen)
    _log(deal, report, user, "filed", today, amount=amount, payment=payment, delta=report.amount_due_fen)
    notify(deal.seller_org_id, "royalty_report",
           (f"被许可方提交了第{period.number}期提成报告（{_subject(deal, 'zh')}）",
            f"The licensee filed royalty report {period.number} ({_subject(deal, 'en')})"),
           body=(f"期间 {period.start} 至 {period.end}，应付提成 {yuan_grouped(report.amount_due_fen)} 元。请确认或提出异议。",
                 f"Period {period.start} to {period.end}; royalty due ¥{yuan_grouped(report.amount_due_fen)}. "
                 "Please confirm or dispute it."),
           link=_link(deal), dedupe_key=f"royalty:{report.id}:filed:{deal.seller_org_id}")
    _refresh_year_minimum(deal, terms, period, all_periods, user, today)
    return report


def _correct(deal: Deal, terms: FeeTerms, period: Period, all_periods: list[Period], user, base_fen: int,
             note: str, today: date) -> RoyaltyReport:
    """Supersede a disputed report: same row (one per period), new figures, history in the ledger."""
    report = period.report
    before = report.amount_due_fen
    amount = compute(deal, terms, period, base_fen, all_periods)
    _check_not_below_paid(_payments(deal, period), amount.due_fen)
    changed = db.session.execute(
        update(RoyaltyReport).where(RoyaltyReport.id == report.id,
                                    RoyaltyReport.status == RoyaltyReportStatus.DISPUTED)
        .values(base_amount_fen=base_fen, rate=rate_text(amount.rate), amount_due_fen=amount.due_fen,
                payment_due_date=today + timedelta(days=terms.payment_due_days),
                status=RoyaltyReportStatus.SUBMITTED, note=note, dispute_reason="",
                submitted_by_id=user.id, submitted_at=utcnow(), answered_by_id=None, answered_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise _error("already_corrected", "该报告刚刚已被更正。", "The report has just been corrected.",
                     "period", cls=Conflict)
    db.session.refresh(report)
    payment = _set_payment(deal, report, period, report.amount_due_fen)
    _log(deal, report, user, "corrected", today, amount=amount, payment=payment,
         delta=report.amount_due_fen - before)
    revision = _revision(deal, report)
    notify(deal.seller_org_id, "royalty_report",
           (f"被许可方更正了第{period.number}期提成报告（{_subject(deal, 'zh')}）",
            f"The licensee corrected royalty report {period.number} ({_subject(deal, 'en')})"),
           body=(f"更正后应付提成 {yuan_grouped(report.amount_due_fen)} 元。请再次确认或提出异议。",
                 f"Royalty due after correction: ¥{yuan_grouped(report.amount_due_fen)}. Please answer again."),
           link=_link(deal), dedupe_key=f"royalty:{report.id}:corrected:{revision}:{deal.seller_org_id}")
    _refresh_year_minimum(deal, terms, period, all_periods, user, today)
    return report


def _refresh_year_minimum(deal: Deal, terms: FeeTerms, changed: Period, all_periods: list[Period], user,
                          today: date) -> None:
    """An earlier period of a year changed after its last one was filed: redo the minimum top-up."""
    if not terms.min_annual_fen or changed.last_of_year:
        return
    last = next((p for p in all_periods if p.year == changed.year and p.last_of_year), None)
    if last is None or last.report is None:
        return
    amount = compute(deal, terms, last, last.report.base_amount_fen, all_periods)
    report = last.report
    if amount.due_fen == report.amount_due_fen:
        return
    if _settled(deal, last) and amount.due_fen < report.amount_due_fen:
        return  # already paid more than now due: the parties settle the difference between them
    before = report.amount_due_fen
    report.amount_due_fen = amount.due_fen
    payment = _set_payment(deal, report, last, amount.due_fen)
    _log(deal, report, user, "minimum_adjusted", today, amount=amount, payment=payment,
         delta=amount.due_fen - before)


def _settled(deal: Deal, period: Period) -> bool:
    return any(p.status in (PaymentStatus.PAID, PaymentStatus.PROCESSING) for p in _payments(deal, period))


def _payments(deal: Deal, period: Period) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(
        Payment.deal_id == deal.id, Payment.kind == PaymentKind.ROYALTY_PERIOD,
        Payment.sequence % TOP_UP_STEP == period.number).order_by(Payment.sequence)))


def _check_not_below_paid(existing: list[Payment], amount_fen: int) -> int:
    """The sum already paid (or in payment) for the period; a figure below it is refused."""
    settled = sum(p.amount_fen for p in existing if p.status in (PaymentStatus.PAID, PaymentStatus.PROCESSING))
    if amount_fen < settled:
        raise _error("below_paid", f"本期已付提成 {yuan_grouped(settled)} 元，更正后的金额不能低于已付金额；"
                     "多付部分请双方另行结算（退款）。",
                     f"¥{yuan_grouped(settled)} has already been paid for this period; the corrected amount "
                     "cannot be lower. Settle any overpayment between you (refund).", "base_amount",
                     cls=Conflict)
    return settled


def _set_payment(deal: Deal, report: RoyaltyReport, period: Period, amount_fen: int) -> Payment | None:
    """Make the period's payments add up to `amount_fen`: open one, change the open one, or top up."""
    existing = _payments(deal, period)
    settled = _check_not_below_paid(existing, amount_fen)
    open_ = [p for p in existing if p.status not in (PaymentStatus.PAID, PaymentStatus.PROCESSING,
                                                     PaymentStatus.REFUNDED)]
    outstanding = amount_fen - settled
    reuse = open_[-1] if open_ else None
    for p in open_[:-1]:
        p.status = PaymentStatus.CANCELLED
    if outstanding == 0:
        if reuse is not None:
            reuse.status = PaymentStatus.CANCELLED
        report.payment_id = existing[-1].id if existing else None
        return None
    if reuse is None:
        sequence = period.number + TOP_UP_STEP * len(existing)
        reuse = Payment(deal_id=deal.id, kind=PaymentKind.ROYALTY_PERIOD, sequence=sequence)
        db.session.add(reuse)
    reuse.amount_fen = outstanding
    reuse.due_date = report.payment_due_date
    reuse.status = PaymentStatus.DUE
    reuse.failure_reason = ""
    db.session.flush()
    report.payment_id = reuse.id
    return reuse


def _log(deal: Deal, report: RoyaltyReport, user, action: str, today: date, *, amount: Amount | None = None,
         payment: Payment | None = None, note: str = "", delta: int | None = None) -> DealEvent:
    """One ROYALTY_REPORT ledger line; its amount is the change in what the deal made payable,
    so that the lines of a deal add up to the royalties now due whatever was corrected."""
    evidence = {"action": action, "report_id": report.id, "period_start": report.period_start.isoformat(),
                "period_end": report.period_end.isoformat(), "base_kind": report.base_kind,
                "base_amount_fen": report.base_amount_fen, "rate": report.rate,
                "amount_due_fen": report.amount_due_fen}
    if amount is not None:
        evidence.update(computed_fen=amount.computed_fen, minimum_top_up_fen=amount.minimum_top_up_fen)
    if payment is not None:
        evidence.update(payment_id=payment.id, payment_due_date=payment.due_date.isoformat())
    return ledger.append(deal, LedgerEvent.ROYALTY_REPORT, occurred_on=today, amount_fen=delta,
                         actor=user, note=note or report.note, evidence=evidence)


def _revision(deal: Deal, report: RoyaltyReport) -> int:
    return sum(1 for e in deal.events if e.kind == LedgerEvent.ROYALTY_REPORT
               and (e.evidence or {}).get("report_id") == report.id
               and (e.evidence or {}).get("action") == "corrected")


# ---- answering ------------------------------------------------------------------------------

def answer_report(deal: Deal, report_id: int, user, *, confirm: bool, reason: str = "",
                  today: date | None = None) -> RoyaltyReport:
    """The licensor confirms the report or disputes it with a reason; a report is answered once."""
    today = today or today_local()
    _require_licensor(deal, user)
    report = db.session.get(RoyaltyReport, report_id) if 0 < report_id <= MAX_ID else None
    if report is None or report.deal_id != deal.id:
        raise _error("report_not_found", "提成报告不存在。", "No such royalty report.", cls=NotFound)
    reason = (reason or "").strip()
    if not confirm and not reason:
        raise _error("reason_required", "提出异议时请说明理由。", "Give a reason for the dispute.", "reason")
    if len(reason) > MAX_REASON:
        raise _error("reason_long", f"理由不能超过{MAX_REASON}字。",
                     f"The reason is limited to {MAX_REASON} characters.", "reason")
    status = RoyaltyReportStatus.CONFIRMED if confirm else RoyaltyReportStatus.DISPUTED
    changed = db.session.execute(
        update(RoyaltyReport).where(RoyaltyReport.id == report.id,
                                    RoyaltyReport.status == RoyaltyReportStatus.SUBMITTED)
        .values(status=status, dispute_reason="" if confirm else reason, answered_by_id=user.id,
                answered_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise _error("already_answered", "该提成报告已经答复过（或正在等待被许可方更正）。",
                     "This report has already been answered (or awaits the licensee's correction).",
                     cls=Conflict)
    db.session.refresh(report)
    action = "confirmed" if confirm else "disputed"
    _log(deal, report, user, action, today, note=reason)
    number = next((p.number for p in periods(deal, with_reports=False) if p.start == report.period_start), 0)
    revision = _revision(deal, report)
    if confirm:
        title = (f"许可方确认了第{number}期提成报告（{_subject(deal, 'zh')}）",
                 f"The licensor confirmed royalty report {number} ({_subject(deal, 'en')})")
        body = ("", "")
    else:
        title = (f"许可方对第{number}期提成报告提出异议（{_subject(deal, 'zh')}）",
                 f"The licensor disputed royalty report {number} ({_subject(deal, 'en')})")
        body = (f"理由：{reason}\n请核对后重新提交该期报告。", f"Reason: {reason}\nPlease check and file the period again.")
    notify(deal.buyer_org_id, "royalty_answer", title, body=body, link=_link(deal),
           dedupe_key=f"royalty:{report.id}:{action}:{revision}:{deal.buyer_org_id}")
    return report


# ---- what a page shows ----------------------------------------------------------------------

@dataclass
class Summary:
    terms: FeeTerms
    periods: list[Period]
    payments: dict[int, Payment]  # by id
    due_fen: int
    paid_fen: int
    next_period: Period | None  # the next period the licensee should report (ended, unreported)
    awaiting_answer: int

    def payment_of(self, report: RoyaltyReport | None) -> Payment | None:
        return self.payments.get(report.payment_id) if report and report.payment_id else None


def summary(deal: Deal, today: date | None = None) -> Summary | None:
    today = today or today_local()
    terms = terms_of(deal)
    if terms is None:
        return None
    all_periods = periods(deal, terms)
    payments = {p.id: p for p in db.session.scalars(select(Payment).where(
        Payment.deal_id == deal.id, Payment.kind == PaymentKind.ROYALTY_PERIOD))}
    reports = [p.report for p in all_periods if p.report is not None]
    return Summary(
        terms=terms, periods=all_periods, payments=payments,
        due_fen=sum(r.amount_due_fen for r in reports),
        paid_fen=sum(p.amount_fen for p in payments.values() if p.status == PaymentStatus.PAID),
        next_period=next((p for p in all_periods if p.report is None and p.ended(today)), None)
        if deal.status in REPORTABLE else None,
        awaiting_answer=sum(1 for r in reports if r.status == RoyaltyReportStatus.SUBMITTED))


def _subject(deal: Deal, lang: str) -> str:
    ref = deal.reference or (f"交易#{deal.id}" if lang == "zh" else f"deal #{deal.id}")
    title = deal.patent.title if deal.patent else ""
    return f"{ref} {title}".strip()


def _link(deal: Deal) -> str:
    return f"/deals/{deal.id}/royalties"
