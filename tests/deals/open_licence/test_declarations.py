"""The declaration assistant and CNIPA's steps (domain.md §3.2), against the database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from listings.vocabulary import DealMode
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.time import today_local
from market.deals import claims
from market.deals.models import PatentClaim
from market.deals.open_licence import declarations as ol
from market.deals.vocabulary import ClaimGroup
from tests import factories as f
from tests.deals.open_licence import world as wb


def _claims(patent_id: int) -> list[tuple[str, date, date, bool]]:
    return [(c.kind, c.starts_on, c.ends_on, c.active) for c in db.session.scalars(
        select(PatentClaim).where(PatentClaim.patent_id == patent_id).order_by(PatentClaim.id))]


def test_the_assistant_fills_the_declaration_from_the_patent(session):
    w = wb.world(co_owners=("宝武研究院",))
    decl = wb.draft(w)
    assert decl.status == "DRAFT"
    assert decl.patentees == [w.uni.name, "宝武研究院"]
    assert (decl.term_start, decl.term_end) == (today_local(), w.patent.last_protected_day)
    assert decl.term_end == date(2040, 2, 29)
    assert decl.territory == "中华人民共和国境内"
    assert decl.listing_id == w.listing.id
    assert set(decl.consents) == {w.uni.name}
    assert [(e.from_status, e.to_status) for e in decl.events] == [(None, "DRAFT")]


def test_only_a_patentee_can_declare(session):
    w = wb.world()
    with pytest.raises(Forbidden):
        ol.start_declaration(w.buyer_user, w.patent, {})


def test_one_live_declaration_per_patent(session):
    w = wb.world()
    wb.draft(w)
    with pytest.raises(Conflict) as err:
        wb.draft(w)
    assert err.value.code == "open_licence.exists"


def test_r_ol_1_declaring_on_a_lapsed_patent_is_refused_and_nothing_changes(session):
    w = wb.world()
    decl = wb.draft(w)
    w.patent.legal_status = "LAPSED"
    with pytest.raises(DomainError) as err:
        ol.confirm_eligible(w.uni_user, decl)
    assert err.value.code == "open_licence.not_eligible" and "R-OL-1" in err.value.zh
    assert decl.status == "DRAFT" and len(decl.events) == 1


def test_r_ol_4_declaring_on_a_pledged_patent_needs_the_pledgees_consent(session):
    w = wb.world()
    wb.flag(w.patent, "PLEDGED", pledgee="上海银行")
    decl = wb.draft(w)
    with pytest.raises(DomainError) as err:
        ol.confirm_eligible(w.uni_user, decl)
    assert "质权人" in err.value.zh and decl.status == "DRAFT"
    ol.update_declaration(w.uni_user, decl, {"pledgee_consent_doc": "质权人同意函（2026）第3号"})
    ol.confirm_eligible(w.uni_user, decl)
    assert decl.status == "ELIGIBLE"


def test_r_ol_4_declaring_on_an_exclusively_licensed_patent_is_refused(session):
    w = wb.world()
    wb.flag(w.patent, "EXCLUSIVE_LICENSE")
    decl = wb.draft(w)
    with pytest.raises(DomainError) as err:
        ol.confirm_eligible(w.uni_user, decl)
    assert "独占许可" in err.value.zh and "R-OL-4" in err.value.zh


def test_r_ol_4_a_sole_licence_held_on_the_platform_blocks_too(session):
    w = wb.world()
    today = today_local()
    claims.take(w.patent.id, ClaimGroup.EXCLUSIVITY, DealMode.LICENSE_SOLE, starts_on=today,
                ends_on=today + timedelta(days=700))
    decl = wb.draft(w)
    problems = ol.check(decl)
    assert [(p.rule, p.code) for p in problems] == [("R-OL-4", "exclusive_licence_in_term")]


def test_r_ol_6_a_term_past_the_last_protected_day_is_refused(session):
    w = wb.world()
    decl = wb.draft(w, term_end=date(2040, 3, 1))
    with pytest.raises(DomainError) as err:
        ol.confirm_eligible(w.uni_user, decl)
    assert "2040-02-29" in err.value.zh and err.value.field == "term_end"


def test_r_ol_6_the_minimum_term_is_configured(app, session):
    w = wb.world()
    decl = wb.draft(w, term_end=today_local() + timedelta(days=199))
    assert [p.code for p in ol.check(decl)] == ["term_too_short"]
    app.config["OPEN_LICENCE_MIN_TERM_DAYS"] = 200
    try:
        assert ol.check(decl) == []
    finally:
        del app.config["OPEN_LICENCE_MIN_TERM_DAYS"]


def test_r_ol_3_a_utility_model_needs_its_evaluation_report(session):
    w = wb.world(type_code="2")
    decl = wb.draft(w)
    assert [p.code for p in ol.check(decl)] == ["evaluation_report_missing"]
    report = wb.report(w.patent, "DEFECT")
    ol.update_declaration(w.uni_user, decl, {"evaluation_report_id": report.id})
    assert [(p.code, p.blocking) for p in ol.check(decl)] == [("evaluation_report_adverse", False)]


def test_r_ol_5_a_co_owner_on_the_platform_consents_in_the_app(session):
    w = wb.world(co_owners=("宝武研究院",))
    baowu = f.organisation("宝武研究院", org_type="SOE")
    w.patent.owners[1].organisation_id = baowu.id
    baowu_user = f.user(baowu)
    decl = wb.draft(w)
    assert [p.code for p in ol.check(decl)] == ["consent_missing"]
    with pytest.raises(Conflict):  # the declarant cannot consent for it with a document
        ol.record_consent(w.uni_user, decl, owner_name="宝武研究院", document_ref="同意书")
    ol.record_consent(baowu_user, decl)
    assert decl.consents["宝武研究院"]["by"] == "app" and decl.consents["宝武研究院"]["user_id"] == baowu_user.id
    assert ol.check(decl) == []


def test_r_ol_5_a_co_owner_off_the_platform_consents_by_a_recorded_document(session):
    w = wb.world(co_owners=("张某某",))
    decl = wb.draft(w)
    with pytest.raises(DomainError):
        ol.record_consent(w.uni_user, decl, owner_name="张某某", document_ref=" ")
    with pytest.raises(Forbidden):
        ol.record_consent(w.buyer_user, decl, owner_name="张某某", document_ref="同意书")
    ol.record_consent(w.uni_user, decl, owner_name="张某某", document_ref="共有人同意书 2026-01")
    assert ol.check(decl) == []


def test_r_ol_5_changing_the_terms_asks_the_co_owners_again(session):
    w = wb.world(co_owners=("张某某",))
    decl = wb.draft(w)
    ol.record_consent(w.uni_user, decl, owner_name="张某某", document_ref="同意书")
    ol.confirm_eligible(w.uni_user, decl)
    ol.update_declaration(w.uni_user, decl, {"fee_terms": {"mode": "LUMP_SUM", "lump_fen": 6_000_000}})
    assert decl.status == "DRAFT"
    assert set(decl.consents) == {w.uni.name}


def test_the_lifecycle_is_recorded_and_the_announcement_offers_the_open_licence(session):
    w = wb.world()
    decl = wb.announced(w)
    today = today_local()
    assert decl.status == "ANNOUNCED"
    assert (decl.cnipa_filing_date, decl.announce_date, decl.gazette_issue) == (
        today - timedelta(days=20), today, wb.GAZETTE)
    assert [(e.from_status, e.to_status, e.occurred_on) for e in decl.events] == [
        (None, "DRAFT", today), ("DRAFT", "ELIGIBLE", today),
        ("ELIGIBLE", "FILED_WITH_CNIPA", today - timedelta(days=20)), ("FILED_WITH_CNIPA", "ANNOUNCED", today)]
    assert _claims(w.patent.id) == [("OPEN_LICENSE", today, date(2040, 2, 29), True)]
    assert w.listing.modes == ["TRANSFER", "LICENSE_ORDINARY", "OPEN_LICENSE"]
    assert w.listing.status == "PUBLISHED"


def test_terms_are_frozen_once_filed(session):
    w = wb.world()
    decl = wb.announced(w)
    with pytest.raises(Conflict):
        ol.update_declaration(w.uni_user, decl, {"territory": "上海市"})


def test_r_ol_7_no_exclusive_or_sole_licence_while_announced(session):
    w = wb.world()
    wb.announced(w)
    today = today_local()
    for kind in (DealMode.LICENSE_EXCLUSIVE, DealMode.LICENSE_SOLE):
        with pytest.raises(Conflict) as err:
            claims.take(w.patent.id, ClaimGroup.EXCLUSIVITY, kind, starts_on=today + timedelta(days=30),
                        ends_on=today + timedelta(days=400))
        assert err.value.code == "deal.open_licence_active"


def test_r_ol_7_and_the_reverse_an_exclusive_licence_concluded_after_filing_stops_the_announcement(session):
    w = wb.world()
    decl = wb.draft(w)
    ol.confirm_eligible(w.uni_user, decl)
    today = today_local()
    ol.record_filing(w.uni_user, decl, today - timedelta(days=5))
    claims.take(w.patent.id, ClaimGroup.EXCLUSIVITY, DealMode.LICENSE_EXCLUSIVE, starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=400))
    with pytest.raises(Conflict) as err:
        ol.record_announcement(w.uni_user, decl, today, wb.GAZETTE)
    assert err.value.code == "deal.exclusive_taken"
    assert decl.status == "FILED_WITH_CNIPA"


def test_cnipa_dates_cannot_be_in_the_future_or_out_of_order(session):
    w = wb.world()
    decl = wb.draft(w)
    ol.confirm_eligible(w.uni_user, decl)
    today = today_local()
    with pytest.raises(DomainError) as err:
        ol.record_filing(w.uni_user, decl, today + timedelta(days=1))
    assert err.value.code == "open_licence.date_future"
    ol.record_filing(w.uni_user, decl, today - timedelta(days=3))
    with pytest.raises(DomainError) as err:
        ol.record_announcement(w.uni_user, decl, today - timedelta(days=4), wb.GAZETTE)
    assert err.value.code == "open_licence.date_order"
    with pytest.raises(DomainError):
        ol.record_announcement(w.uni_user, decl, today, "  ")


def test_a_step_out_of_order_is_refused(session):
    w = wb.world()
    decl = wb.draft(w)
    with pytest.raises(Conflict) as err:
        ol.record_announcement(w.uni_user, decl, today_local(), wb.GAZETTE)
    assert err.value.code == "open_licence.illegal_transition"
    assert decl.status == "DRAFT" and decl.announce_date is None


def test_cnipa_may_refuse_to_announce(session):
    w = wb.world()
    decl = wb.draft(w)
    ol.confirm_eligible(w.uni_user, decl)
    today = today_local()
    ol.record_filing(w.uni_user, decl, today - timedelta(days=10))
    ol.record_not_announced(w.uni_user, decl, "声明文本不符合要求", today)
    assert decl.status == "NOT_ANNOUNCED" and decl.not_announced_reason == "声明文本不符合要求"
    assert ol.live_declaration(w.patent.id) is None
    assert _claims(w.patent.id) == []


def test_the_point_operator_may_record_cnipa_dates_others_may_not(session):
    w = wb.world()
    decl = wb.draft(w)
    ol.confirm_eligible(w.uni_user, decl)
    with pytest.raises(Forbidden):
        ol.record_filing(w.buyer_user, decl, today_local())
    ol.record_filing(w.operator_user, decl, today_local())
    assert decl.status == "FILED_WITH_CNIPA" and decl.events[-1].actor_id == w.operator_user.id


def test_r_ol_10_withdrawal_takes_effect_on_its_announcement(session):
    w = wb.world()
    decl = wb.announced(w, on=today_local() - timedelta(days=30))
    today = today_local()
    ol.record_withdrawal_request(w.uni_user, decl, today - timedelta(days=10))
    assert decl.status == "WITHDRAWAL_FILED" and ol.is_takeable(decl, today)
    assert "OPEN_LICENSE" in w.listing.modes
    ol.record_withdrawal(w.uni_user, decl, today)
    assert decl.status == "WITHDRAWN" and decl.withdraw_announce_date == today
    assert not ol.is_takeable(decl, today)
    # The claim ends the day before: an exclusive licence may start on the withdrawal day.
    assert _claims(w.patent.id) == [("OPEN_LICENSE", today - timedelta(days=30), today - timedelta(days=1), True)]
    claims.take(w.patent.id, ClaimGroup.EXCLUSIVITY, DealMode.LICENSE_EXCLUSIVE, starts_on=today,
                ends_on=today + timedelta(days=400))
    assert w.listing.modes == ["TRANSFER", "LICENSE_ORDINARY"]


def test_a_listing_left_with_no_mode_is_suspended_when_the_declaration_ends(session):
    w = wb.world(modes=[])  # the patentee offers nothing but the open licence it declares
    decl = wb.announced(w, on=today_local() - timedelta(days=3))
    ol.record_withdrawal_request(w.uni_user, decl, today_local() - timedelta(days=2))
    ol.record_withdrawal(w.uni_user, decl, today_local())
    assert w.listing.modes == [] and w.listing.status == "SUSPENDED"


def test_the_daily_job_ends_declarations_whose_term_is_over(session):
    w = wb.world()
    start = today_local() - timedelta(days=400)
    decl = wb.draft(w, term_start=start, term_end=today_local() - timedelta(days=1))
    decl.status = "FILED_WITH_CNIPA"  # filed and announced long ago
    ol.record_announcement(w.uni_user, decl, start, wb.GAZETTE)
    ended = ol.end_declarations(today_local())
    assert ended == [decl] and decl.status == "ENDED" and decl.ended_on == today_local()
    assert decl.end_reason == "许可期限届满"
    assert ol.end_declarations(today_local()) == []


def test_a_lapsed_patent_ends_its_declaration(session):
    w = wb.world()
    decl = wb.announced(w, on=today_local() - timedelta(days=60))
    w.patent.legal_status, w.patent.lapse_reason = "LAPSED", "FEE_UNPAID"
    w.patent.legal_status_date = today_local() - timedelta(days=5)
    assert ol.patent_status_changed(w.patent) is decl
    assert decl.status == "ENDED" and decl.ended_on == today_local() - timedelta(days=5)
    assert _claims(w.patent.id)[0][2] == today_local() - timedelta(days=6)


def test_the_daily_job_runs_from_the_command_line(runner, app):
    with app.test_request_context():
        w = wb.world()
        start = today_local() - timedelta(days=400)
        decl = wb.draft(w, term_start=start, term_end=today_local() - timedelta(days=1))
        decl.status = "FILED_WITH_CNIPA"
        ol.record_announcement(w.uni_user, decl, start, wb.GAZETTE)
        db.session.commit()
        decl_id = decl.id
    result = runner.invoke(args=["open-licences", "end"])
    assert result.exit_code == 0, result.output
    assert f"OL-{decl_id:06d}" in result.output and "1 declaration(s) ended" in result.output
    with app.test_request_context():
        assert ol.get_declaration(decl_id).status == "ENDED"


def test_r_ol_12_the_days_in_effect_per_fee_year_and_a_reduction_that_is_not_cumulative(session):
    from decimal import Decimal

    w = wb.world()
    announced_on = today_local() - timedelta(days=100)
    decl = wb.announced(w, on=announced_on)
    ol.record_withdrawal_request(w.uni_user, decl, today_local() - timedelta(days=20))
    ol.record_withdrawal(w.uni_user, decl, today_local() - timedelta(days=10))
    assert ol.in_effect_period(decl) == (announced_on, today_local() - timedelta(days=11))
    assert ol.in_effect_days(decl, announced_on - timedelta(days=5), today_local()) == 90
    assert ol.in_effect_days(decl, today_local() - timedelta(days=50), today_local()) == 40
    assert ol.in_effect_days(decl, today_local() - timedelta(days=5), today_local()) == 0
    assert ol.annual_fee_reduction_pct(True) == Decimal("15")
    assert ol.annual_fee_reduction_pct(True, Decimal("85")) == Decimal("85")  # e.g. a hardship reduction
    assert ol.annual_fee_reduction_pct(False, Decimal("0")) == Decimal("0")
