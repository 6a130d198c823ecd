"""Deadlines and the daily job: each reminder once per stage, licences ended when their term is over."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from market.core.extensions import db
from market.core.notifications import Notification
from market.deals import claims, reminders
from market.deals.models import DealEvent, PatentClaim
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.royalties import services as royalties
from market.deals.vocabulary import ClaimGroup, DealKind, DealStatus, LedgerEvent, PaymentKind
from market.payments.models import Payment
from tests import factories as f
from tests.deals import royalty_builders as rb

TODAY = date(2025, 3, 10)
LUMP = {"mode": "LUMP_SUM", "lump_fen": 1_000_000}


def notices(org=None, kind=None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if org is not None:
        query = query.where(Notification.organisation_id == org.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def _signed(p=None, *, deadline=TODAY + timedelta(days=10), **kw):
    p = p or rb.parties()
    return p, rb.deal(p, status=DealStatus.SIGNED, fee_terms=LUMP, filing_deadline=deadline,
                      effective_date=deadline - timedelta(days=90), **kw)


# ---- filing -------------------------------------------------------------------------------

def test_filing_due_within_14_days_is_announced_to_both_parties_once(session):
    p, d = _signed()
    first = reminders.send_reminders(TODAY)
    again = reminders.send_reminders(TODAY + timedelta(days=1))
    assert first == {"FILING:soon": 2} and sum(again.values()) == 0
    (licensor_note,) = notices(p.licensor, "deadline_filing")
    (licensee_note,) = notices(p.licensee, "deadline_filing")
    assert licensor_note.title_zh.startswith("合同备案将于2025-03-20到期") and licensor_note.link == f"/deals/{d.id}"
    assert "第15条第2款" in licensee_note.body_zh


def test_filing_further_away_is_not_announced_yet(session):
    _signed(deadline=TODAY + timedelta(days=15))
    assert sum(reminders.send_reminders(TODAY).values()) == 0


def test_overdue_filing_is_announced_once_and_says_there_is_no_statutory_penalty(session):
    p, d = _signed(deadline=TODAY - timedelta(days=1))
    assert reminders.send_reminders(TODAY) == {"FILING:overdue": 2}
    assert sum(reminders.send_reminders(TODAY + timedelta(days=30)).values()) == 0
    (note,) = notices(p.licensee, "deadline_filing")
    assert "已逾期" in note.title_zh and "未规定逾期备案的罚则" in note.body_zh and "No statutory penalty" in note.body_en


def test_a_filed_licence_has_no_filing_deadline(session):
    _signed(deadline=TODAY + timedelta(days=3), filing_date=TODAY - timedelta(days=2))
    assert not [d for d in reminders.deadlines(TODAY) if d.kind == reminders.K.FILING]


# ---- publicity ----------------------------------------------------------------------------

def test_publicity_end_is_announced_before_and_when_it_has_passed(session):
    p = rb.parties()
    d = rb.deal(p, kind=DealKind.TRANSFER, status=DealStatus.APPROVALS, fee_terms={}, price_fen=5_000_000,
                approvals={"PUBLICITY": {"start": "2025-02-26", "days": 15, "ends_on": "2025-03-12",
                                         "sign_from": "2025-03-13"}})
    assert reminders.publicity_end(d) == date(2025, 3, 12)
    assert reminders.send_reminders(TODAY - timedelta(days=2)) == {}
    assert reminders.send_reminders(TODAY) == {"PUBLICITY_END:soon": 2}
    assert reminders.send_reminders(date(2025, 3, 13)) == {"PUBLICITY_END:overdue": 2}
    assert [n.title_zh.split("：")[0] for n in notices(p.licensor)] == ["公示期将于2025-03-12届满",
                                                                       "公示期已于2025-03-12届满"]


def test_publicity_end_falls_back_to_a_plain_date_in_approvals(session):
    d = rb.deal(status=DealStatus.AGREED, approvals={"publicity_end": "2025-04-01"})
    assert reminders.publicity_end(d) == date(2025, 4, 1)


# ---- payments -----------------------------------------------------------------------------

def _payment(d, due, amount=1_000_000, kind=PaymentKind.LUMP_SUM, status="DUE"):
    pay = Payment(deal_id=d.id, kind=kind, sequence=1, amount_fen=amount, due_date=due, status=status)
    db.session.add(pay)
    db.session.flush()
    return pay


def test_payment_due_soon_goes_to_the_payer_and_overdue_to_both(session):
    p = rb.parties()
    d = rb.deal(p, fee_terms=LUMP)
    _payment(d, TODAY + timedelta(days=7))
    assert reminders.send_reminders(TODAY) == {"PAYMENT:soon": 1}
    (note,) = notices(p.licensee, "deadline_payment")
    assert note.title_zh == f"许可费(一次付清)10,000.00元应于2025-03-17前支付：交易#{d.id}《{d.patent.title}》"
    assert reminders.send_reminders(TODAY + timedelta(days=8)) == {"PAYMENT:overdue": 2}
    assert len(notices(p.licensor, "deadline_payment")) == 1


def test_paid_payments_and_void_deals_are_not_chased(session):
    p = rb.parties()
    _payment(rb.deal(p, fee_terms=LUMP), TODAY, status="PAID")
    _payment(rb.deal(p, fee_terms=LUMP, status=DealStatus.VOID), TODAY)
    assert not [d for d in reminders.deadlines(TODAY) if d.kind == reminders.K.PAYMENT]


# ---- royalty reports ----------------------------------------------------------------------

def test_royalty_report_due_and_overdue_until_it_is_filed(session):
    p = rb.parties()
    d = rb.deal(p, start=date(2024, 10, 1), end=date(2026, 9, 30))
    # Period 2 (2025-01-01 – 2025-03-31) has not ended; period 1's report was due 2025-01-30.
    due = [x for x in reminders.deadlines(TODAY) if x.kind == reminders.K.ROYALTY_REPORT]
    assert [(x.detail["number"], x.due) for x in due] == [(1, date(2025, 1, 30)), (2, date(2025, 4, 30))]
    assert reminders.send_reminders(TODAY) == {"ROYALTY_REPORT:overdue": 2}
    (note,) = notices(p.licensee, "deadline_royalty_report")
    assert note.title_zh.startswith("第1期提成报告已逾期") and note.link == f"/deals/{d.id}/royalties"
    royalties.file_report(d, p.licensee_user, period_start=date(2024, 10, 1), base_fen=0, today=TODAY)
    assert reminders.send_reminders(date(2025, 4, 20)) == {"ROYALTY_REPORT:soon": 1}
    assert notices(p.licensee, "deadline_royalty_report")[-1].title_zh.startswith("第2期提成报告应于2025-04-30前提交")


# ---- R-LC-8 annual fees -------------------------------------------------------------------

def test_R_LC_8_licensor_is_reminded_of_annual_fees_while_a_licence_runs(session):
    p = rb.parties()
    d = rb.deal(p, status=DealStatus.ACTIVE, fee_terms=LUMP)
    d.patent.annual_fee_paid_through = TODAY + timedelta(days=20)
    idle = rb.deal(rb.parties(), status=DealStatus.EXPIRED, fee_terms=LUMP)
    idle.patent.annual_fee_paid_through = TODAY + timedelta(days=20)
    db.session.flush()
    assert reminders.send_reminders(TODAY) == {"ANNUAL_FEE:soon": 1}
    (note,) = notices(kind="deadline_annual_fee")
    assert note.organisation_id == p.licensor.id and "第26条" in note.body_zh
    assert d.patent.application_number in note.title_zh
    assert reminders.send_reminders(TODAY) == {}


def test_R_LC_8_annual_fee_overdue_warns_of_the_grace_period(session):
    p = rb.parties()
    d = rb.deal(p, status=DealStatus.FILED, fee_terms=LUMP)
    d.patent.annual_fee_paid_through = TODAY - timedelta(days=1)
    db.session.flush()
    assert reminders.send_reminders(TODAY) == {"ANNUAL_FEE:overdue": 1}
    assert "滞纳期" in notices(p.licensor)[0].title_zh


# ---- ends ---------------------------------------------------------------------------------

def test_licence_ending_within_30_days_is_announced(session):
    p = rb.parties()
    rb.deal(p, status=DealStatus.ACTIVE, fee_terms=LUMP, end=TODAY + timedelta(days=30))
    assert reminders.send_reminders(TODAY) == {"LICENCE_END:soon": 2}


def test_a_licence_past_its_term_expires_with_a_ledger_line_and_releases_its_right(session):
    p = rb.parties()
    d = rb.deal(p, kind=DealKind.LICENSE_EXCLUSIVE, status=DealStatus.FILED, fee_terms=LUMP,
                start=date(2023, 1, 1), end=TODAY - timedelta(days=1))
    claims.take(d.patent_id, ClaimGroup.EXCLUSIVITY, d.kind, starts_on=d.start_date, ends_on=d.end_date, deal_id=d.id)
    # Never filed: filing is not a validity condition, so the licence still ends with its term.
    unfiled = rb.deal(p, status=DealStatus.SIGNED, fee_terms=LUMP, end=TODAY - timedelta(days=1))
    counts = reminders.run_daily(TODAY)
    assert counts["licences_expired"] == 2 and counts["licences_past_term_not_expired"] == 0
    assert d.status == DealStatus.EXPIRED and unfiled.status == DealStatus.EXPIRED
    line = session.scalar(select(DealEvent).where(DealEvent.deal_id == d.id, DealEvent.kind == LedgerEvent.EXPIRED))
    assert (line.from_status, line.to_status, line.occurred_on) == ("FILED", "EXPIRED", TODAY - timedelta(days=1))
    assert session.scalar(select(PatentClaim.active).where(PatentClaim.deal_id == d.id)) is False
    assert len(notices(p.licensee, "licence_expired")) == 2  # one per licence
    assert reminders.run_daily(TODAY)["licences_expired"] == 0


def test_declaration_ending_within_30_days_is_announced_to_the_patentee(session):
    owner = f.organisation()
    patent = f.patent(owner)
    decl = OpenLicenceDeclaration(patent_id=patent.id, organisation_id=owner.id, status="ANNOUNCED",
                                  term_start=date(2024, 1, 1), term_end=TODAY + timedelta(days=25),
                                  fee_terms={"mode": "FREE"}, patentees=[owner.name])
    db.session.add(decl)
    db.session.flush()
    assert reminders.send_reminders(TODAY) == {"DECLARATION_END:soon": 1}
    (note,) = notices(owner)
    assert note.link == f"/open-licences/{decl.id}" and "开放许可声明" in note.title_zh


# ---- the daily job ------------------------------------------------------------------------

def test_the_daily_job_notifies_once_however_often_it_runs(session):
    _signed()
    p = rb.parties()
    _payment(rb.deal(p, fee_terms=LUMP), TODAY - timedelta(days=3))
    first = reminders.run_daily(TODAY)
    assert first["notices"] == 4 and first["notices.FILING:soon"] == 2 and first["notices.PAYMENT:overdue"] == 2
    assert reminders.run_daily(TODAY)["notices"] == 0
    assert session.scalar(select(func.count(Notification.id))) == 4


def test_flask_deals_daily_runs_the_job_for_a_given_day(app, runner, session):
    _signed()
    db.session.commit()
    result = runner.invoke(args=["deals", "daily", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "2025-03-10" in result.output and "notices 2" in result.output
    again = runner.invoke(args=["deals", "daily", "--today", TODAY.isoformat()])
    assert "notices 0" in again.output


def test_flask_deals_daily_refuses_a_malformed_date(runner):
    result = runner.invoke(args=["deals", "daily", "--today", "2025-13-01"])
    assert result.exit_code == 2


@pytest.mark.parametrize("stage_day, stage", [(TODAY - timedelta(days=1), "overdue"),
                                              (TODAY + timedelta(days=14), "soon"),
                                              (TODAY + timedelta(days=15), None)])
def test_deadline_stage_follows_the_reminder_window(stage_day, stage):
    d = reminders.Deadline(reminders.K.FILING, stage_day, "x", "", "", "", (1,), (1,))
    assert d.stage(TODAY) == stage
