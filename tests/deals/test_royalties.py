"""Running royalties: periods, exact amounts, the yearly minimum, filing rules, disputes, corrections."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from market.core.errors import Conflict, DomainError, Forbidden
from market.core.notifications import Notification
from market.deals.models import DealEvent, RoyaltyReport
from market.deals.royalties import services as royalties
from market.deals.vocabulary import DealKind, DealStatus, LedgerEvent, PaymentStatus
from market.payments.models import Payment
from tests.deals import royalty_builders as rb

AFTER_2026 = date(2027, 3, 1)


def terms(**changes) -> dict:
    return {**rb.QUARTERLY_5PCT, **changes}


def file_all(d, p, bases: list[int], today: date = AFTER_2026) -> list[RoyaltyReport]:
    return [royalties.file_report(d, p.licensee_user, period_start=period.start, base_fen=base, today=today)
            for period, base in zip(royalties.periods(d), bases)]


def payment_of(report: RoyaltyReport) -> Payment:
    return royalties.db.session.get(Payment, report.payment_id)


# ---- parsing yuan -------------------------------------------------------------------------

@pytest.mark.parametrize("text, fen", [("12345.67", 1_234_567), ("12,345.6", 1_234_560), ("0", 0),
                                       (" 100元 ", 10_000), ("0.01", 1), ("1000000000.10", 100_000_000_010)])
def test_yuan_is_parsed_to_exact_fen(text, fen):
    assert royalties.parse_yuan(text) == fen


@pytest.mark.parametrize("text, code", [("12.345", "royalty.amount_decimals"), ("-1", "royalty.base_negative"),
                                        ("1e3", "royalty.amount_invalid"), ("", "royalty.amount_required"),
                                        ("NaN", "royalty.amount_invalid"),
                                        ("10000000000000000", "royalty.amount_range")])
def test_bad_yuan_is_refused_with_its_reason(text, code):
    with pytest.raises(DomainError) as err:
        royalties.parse_yuan(text)
    assert err.value.code == code and err.value.field == "base_amount"


# ---- periods ------------------------------------------------------------------------------

def test_quarterly_periods_cover_the_term_with_report_dates_and_contract_years(session):
    d = rb.deal()
    ps = royalties.periods(d)
    assert len(ps) == 12
    first = ps[0]
    assert (first.number, first.start, first.end, first.report_due, first.year) == (
        1, date(2024, 1, 1), date(2024, 3, 31), date(2024, 4, 30), 1)
    assert [p.number for p in ps if p.last_of_year] == [4, 8, 12]
    assert ps[4].year == 2 and ps[11].end == date(2026, 12, 31)


def test_a_licence_without_royalty_has_no_periods(session):
    d = rb.deal(fee_terms={"mode": "LUMP_SUM", "lump_fen": 1_000_000})
    assert royalties.periods(d) == [] and royalties.summary(d) is None


# ---- filing -------------------------------------------------------------------------------

def test_report_computes_the_royalty_to_the_fen_and_opens_a_payment(session):
    p = rb.parties()
    d = rb.deal(p)
    today = date(2024, 4, 10)
    report = royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=110,
                                   note="一季度净销售额", today=today)
    # 110 fen × 5 % = 5.5 fen → 6 (half up)
    assert (report.base_amount_fen, report.rate, report.amount_due_fen) == (110, "5", 6)
    assert report.base_kind == "NET_SALES" and report.status == "SUBMITTED"
    assert report.payment_due_date == today + timedelta(days=15)
    pay = payment_of(report)
    assert (pay.kind, pay.sequence, pay.amount_fen, pay.due_date, pay.status) == (
        "ROYALTY_PERIOD", 1, 6, date(2024, 4, 25), "DUE")
    (line,) = [e for e in d.events if e.kind == LedgerEvent.ROYALTY_REPORT]
    assert line.amount_fen == 6 and line.occurred_on == today and line.actor_user_id == p.licensee_user.id
    assert line.evidence["action"] == "filed" and line.evidence["base_amount_fen"] == 110
    note = session.scalar(select(Notification).where(Notification.organisation_id == p.licensor.id))
    assert note.kind == "royalty_report" and note.link == f"/deals/{d.id}/royalties"


def test_large_base_is_exact(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=terms(royalty_rate="3.25"))
    base = royalties.parse_yuan("98,765,432.19")
    report = royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=base,
                                   today=date(2024, 4, 1))
    # 9,876,543,219 fen × 3.25 % = 320,987,654.6175 → 320,987,655
    assert report.amount_due_fen == 320_987_655


def test_zero_base_is_a_report_with_nothing_to_pay(session):
    p = rb.parties()
    d = rb.deal(p)
    report = royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=0,
                                   today=date(2024, 4, 1))
    assert report.amount_due_fen == 0 and report.payment_id is None
    assert session.scalar(select(Payment).where(Payment.deal_id == d.id)) is None


def test_increasing_schedule_uses_the_rate_of_the_contract_year(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=terms(rate_schedule="YEARLY_INCREASING", rate_step="1.5"))
    reports = file_all(d, p, [1_000_000] * 9)
    assert [r.rate for r in reports] == ["5"] * 4 + ["6.5"] * 4 + ["8"]
    assert [r.amount_due_fen for r in reports] == [50_000] * 4 + [65_000] * 4 + [80_000]
    assert [payment_of(r).sequence for r in reports] == list(range(1, 10))


def test_decreasing_schedule_never_goes_below_zero(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=terms(rate_schedule="YEARLY_DECREASING", rate_step="3"),
                end=date(2027, 12, 31))
    reports = file_all(d, p, [1_000_000] * 13, today=date(2028, 2, 1))
    assert [r.amount_due_fen for r in reports[::4]] == [50_000, 20_000, 0, 0]
    assert reports[8].payment_id is None


def test_minimum_annual_tops_up_the_last_period_of_the_year(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=terms(min_annual_fen=1_000_000))
    reports = file_all(d, p, [1_000_000, 1_000_000, 1_000_000, 2_000_000])
    # 50,000 × 3 + 100,000 = 250,000 < 1,000,000: the fourth quarter carries the rest
    assert [r.amount_due_fen for r in reports] == [50_000, 50_000, 50_000, 850_000]
    line = [e for e in d.events if e.evidence.get("report_id") == reports[3].id][0]
    assert line.evidence["computed_fen"] == 100_000 and line.evidence["minimum_top_up_fen"] == 750_000


def test_minimum_annual_adds_nothing_when_the_year_reached_it(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=terms(min_annual_fen=100_000))
    reports = file_all(d, p, [1_000_000] * 4)
    assert [r.amount_due_fen for r in reports] == [50_000] * 4


def test_minimum_annual_is_pro_rata_for_a_short_last_year(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=terms(min_annual_fen=1_000_000), end=date(2024, 6, 30))
    reports = file_all(d, p, [0, 0], today=date(2024, 8, 1))
    # 182 of 2024's 366 days: 1,000,000 × 182 / 366 = 497,267.76 → 497,268
    assert [r.amount_due_fen for r in reports] == [0, 497_268]


def test_open_licence_periods_run_from_the_day_the_licence_was_obtained(session):
    d = rb.deal(kind=DealKind.OPEN_LICENSE, status=DealStatus.LICENSED, effective_date=date(2024, 2, 15),
                licensed_date=date(2024, 2, 15))
    first = royalties.periods(d)[0]
    assert (first.start, first.end, first.report_due) == (date(2024, 2, 15), date(2024, 5, 14), date(2024, 6, 13))


def test_open_licence_royalties_are_reported_too(session):
    p = rb.parties()
    d = rb.deal(p, kind=DealKind.OPEN_LICENSE, status=DealStatus.LICENSED)
    report = royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=1_000,
                                   today=date(2024, 5, 1))
    assert report.amount_due_fen == 50


# ---- bad input ----------------------------------------------------------------------------

def _refused(d, user, *, start=date(2024, 1, 1), base=100, today=date(2024, 4, 10)):
    with pytest.raises(DomainError) as err:
        royalties.file_report(d, user, period_start=start, base_fen=base, today=today)
    return err.value


def test_negative_base_is_refused(session):
    p = rb.parties()
    d = rb.deal(p)
    err = _refused(d, p.licensee_user, base=-1)
    assert err.code == "royalty.base_negative" and err.field == "base_amount"
    assert session.scalar(select(RoyaltyReport).where(RoyaltyReport.deal_id == d.id)) is None


def test_a_period_not_yet_ended_cannot_be_reported(session):
    p = rb.parties()
    d = rb.deal(p)
    assert _refused(d, p.licensee_user, today=date(2024, 3, 31)).code == "royalty.period_not_ended"


def test_a_date_that_starts_no_period_is_refused(session):
    p = rb.parties()
    d = rb.deal(p)
    assert _refused(d, p.licensee_user, start=date(2024, 1, 2)).code == "royalty.period_unknown"


def test_a_period_is_reported_once(session):
    p = rb.parties()
    d = rb.deal(p)
    royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=100, today=date(2024, 4, 10))
    err = _refused(d, p.licensee_user, base=200)
    assert isinstance(err, Conflict) and err.code == "royalty.already_reported"
    assert session.scalar(select(RoyaltyReport.base_amount_fen).where(RoyaltyReport.deal_id == d.id)) == 100


def test_periods_are_reported_in_order(session):
    p = rb.parties()
    d = rb.deal(p)
    err = _refused(d, p.licensee_user, start=date(2024, 4, 1), today=date(2024, 7, 10))
    assert err.code == "royalty.earlier_missing" and "1" in err.zh


@pytest.mark.parametrize("who", ["licensor_user", "outsider"])
def test_only_the_licensee_files(session, who):
    p = rb.parties()
    d = rb.deal(p)
    user = rb.f.user(rb.f.organisation(org_type="PRIVATE")) if who == "outsider" else getattr(p, who)
    err = _refused(d, user)
    assert isinstance(err, Forbidden) and err.status == 403


def test_no_report_on_a_licence_not_in_force_or_without_royalty(session):
    p = rb.parties()
    assert _refused(rb.deal(p, status=DealStatus.NEGOTIATING), p.licensee_user).code == "royalty.not_in_force"
    assert _refused(rb.deal(p, fee_terms={"mode": "FREE"}), p.licensee_user).code == "royalty.no_royalty"


def test_a_terminated_licence_owes_reports_only_up_to_termination(session):
    p = rb.parties()
    d = rb.deal(p, status=DealStatus.ACTIVE)
    royalties.ledger.move(d, DealStatus.TERMINATED, LedgerEvent.TERMINATED, occurred_on=date(2024, 5, 15))
    ps = royalties.periods(d)
    assert [(x.start, x.end) for x in ps] == [(date(2024, 1, 1), date(2024, 3, 31)),
                                              (date(2024, 4, 1), date(2024, 5, 15))]


# ---- answers and corrections -------------------------------------------------------------

def _filed(session, base=1_000_000, **deal_kw):
    p = rb.parties()
    d = rb.deal(p, **deal_kw)
    report = royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=base,
                                   today=date(2024, 4, 10))
    return p, d, report


def test_licensor_confirms_once(session):
    p, d, report = _filed(session)
    royalties.answer_report(d, report.id, p.licensor_user, confirm=True, today=date(2024, 4, 12))
    assert report.status == "CONFIRMED" and report.answered_by_id == p.licensor_user.id
    with pytest.raises(Conflict) as err:
        royalties.answer_report(d, report.id, p.licensor_user, confirm=False, reason="再想想")
    assert err.value.code == "royalty.already_answered" and report.status == "CONFIRMED"


def test_only_the_licensor_answers(session):
    p, d, report = _filed(session)
    with pytest.raises(Forbidden):
        royalties.answer_report(d, report.id, p.licensee_user, confirm=True)
    assert report.status == "SUBMITTED"


def test_a_dispute_needs_a_reason(session):
    p, d, report = _filed(session)
    with pytest.raises(DomainError) as err:
        royalties.answer_report(d, report.id, p.licensor_user, confirm=False, reason="  ")
    assert err.value.code == "royalty.reason_required" and report.status == "SUBMITTED"


def test_a_disputed_report_is_corrected_in_place_with_its_history_in_the_ledger(session):
    p, d, report = _filed(session)
    royalties.answer_report(d, report.id, p.licensor_user, confirm=False, reason="未计入子公司销售额",
                            today=date(2024, 4, 12))
    assert report.status == "DISPUTED" and report.dispute_reason == "未计入子公司销售额"
    first_payment = report.payment_id
    corrected = royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=1_500_000,
                                      today=date(2024, 4, 20))
    assert corrected.id == report.id and corrected.status == "SUBMITTED" and corrected.amount_due_fen == 75_000
    assert corrected.dispute_reason == "" and corrected.answered_at is None
    # The unpaid payment follows the corrected figure.
    assert corrected.payment_id == first_payment and payment_of(corrected).amount_fen == 75_000
    assert payment_of(corrected).due_date == date(2024, 5, 5)
    lines = session.scalars(select(DealEvent).where(DealEvent.deal_id == d.id,
                                                    DealEvent.kind == LedgerEvent.ROYALTY_REPORT)
                            .order_by(DealEvent.seq)).all()
    assert [line.evidence["action"] for line in lines] == ["filed", "disputed", "corrected"]
    assert [line.evidence["amount_due_fen"] for line in lines] == [50_000, 50_000, 75_000]
    assert lines[1].note == "未计入子公司销售额"
    # The ledger's amounts add up to what is due now.
    assert sum(line.amount_fen or 0 for line in lines) == 75_000
    # And the licensor can answer the corrected version.
    royalties.answer_report(d, report.id, p.licensor_user, confirm=True)
    assert report.status == "CONFIRMED"


def test_a_report_not_disputed_cannot_be_corrected(session):
    p, d, report = _filed(session)
    royalties.answer_report(d, report.id, p.licensor_user, confirm=True)
    err = _refused(d, p.licensee_user, base=2)
    assert err.code == "royalty.already_reported"


def test_correction_after_payment_adds_a_top_up_and_cannot_go_below_the_paid_sum(session):
    p, d, report = _filed(session)
    payment_of(report).status = PaymentStatus.PAID
    royalties.answer_report(d, report.id, p.licensor_user, confirm=False, reason="少报")
    royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=1_200_000,
                          today=date(2024, 4, 20))
    pays = session.scalars(select(Payment).where(Payment.deal_id == d.id).order_by(Payment.sequence)).all()
    assert [(x.sequence, x.amount_fen, x.status) for x in pays] == [(1, 50_000, "PAID"), (1001, 10_000, "DUE")]
    royalties.answer_report(d, report.id, p.licensor_user, confirm=False, reason="还是不对")
    err = _refused(d, p.licensee_user, base=900_000, today=date(2024, 4, 25))
    assert err.code == "royalty.below_paid" and report.amount_due_fen == 60_000


def test_correcting_an_earlier_quarter_redoes_the_yearly_minimum(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=terms(min_annual_fen=1_000_000))
    reports = file_all(d, p, [1_000_000, 1_000_000, 1_000_000, 2_000_000])
    royalties.answer_report(d, reports[0].id, p.licensor_user, confirm=False, reason="少报")
    royalties.file_report(d, p.licensee_user, period_start=date(2024, 1, 1), base_fen=5_000_000, today=AFTER_2026)
    # Q1 now 250,000; the year's other quarters 200,000; the top-up falls to 550,000 (Q4 650,000).
    assert reports[0].amount_due_fen == 250_000 and reports[3].amount_due_fen == 650_000
    assert payment_of(reports[3]).amount_fen == 650_000
    total = sum(e.amount_fen or 0 for e in d.events if e.kind == LedgerEvent.ROYALTY_REPORT)
    assert total == 250_000 + 50_000 + 50_000 + 650_000


def test_summary_adds_up_due_and_paid(session):
    p, d, report = _filed(session)
    payment_of(report).status = PaymentStatus.PAID
    s = royalties.summary(d, today=date(2024, 7, 5))
    assert (s.due_fen, s.paid_fen, s.awaiting_answer) == (50_000, 50_000, 1)
    assert s.next_period.number == 2


def test_a_royalty_payment_marked_paid_goes_to_the_ledger_and_the_summary(session):
    from datetime import datetime

    from market.payments import services as payments

    p, d, report = _filed(session)
    pay = payment_of(report)
    assert payments.mark_paid(session, pay, at=datetime(2024, 4, 20, 2, 0), actor=p.licensor_user, evidence={})
    assert not payments.mark_paid(session, pay, at=datetime(2024, 4, 21), actor=p.licensor_user, evidence={})
    lines = session.scalars(select(DealEvent).where(DealEvent.deal_id == d.id,
                                                    DealEvent.kind == LedgerEvent.PAYMENT)).all()
    assert [(x.amount_fen, x.evidence["kind"], x.evidence["payment_id"]) for x in lines] == [
        (50_000, "ROYALTY_PERIOD", pay.id)]
    assert royalties.summary(d, today=date(2024, 5, 1)).paid_fen == 50_000
    assert d.status == DealStatus.FILED  # a royalty payment never moves the licence
