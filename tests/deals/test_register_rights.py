"""Rights recorded in the CNIPA register reach the one exclusivity engine (issue 12 §1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from listings.importing.readers import read_table
from listings.importing.status import import_status_updates
from listings.vocabulary import DealMode
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from market.core.notifications import Notification
from market.core.time import today_local
from market.deals import claims
from market.deals.documents.grounds import filing_blockers
from market.deals.models import PatentClaim
from market.deals.open_licence import declarations as ol
from market.deals.vocabulary import ClaimGroup, EvidenceLevel, LedgerEvent
from tests.deals import negotiation_world as nw
from tests.deals.open_licence import world as wb
from tests.deals.test_documents import _deal

HEAD = "申请号,事件,日期,许可类型,许可期限起,许可期限止,被许可人,许可人,备案号,新专利权人\n"


def _import(rows: list[str]):
    result = import_status_updates(read_table((HEAD + "\n".join(rows) + "\n").encode("utf-8"), "register.csv"))
    db.session.flush()
    return result


def _licence_row(patent, kind: str = "独占", licensee: str = "上海某某科技有限公司", record_no: str = "",
                 start: date | None = None, end: date | None = None, licensor: str = "") -> str:
    start = start or today_local() - timedelta(days=30)
    end = end or today_local() + timedelta(days=700)
    return (f"{patent.application_number},专利实施许可合同备案的生效,{start.isoformat()},{kind},{start.isoformat()},"
            f"{end.isoformat()},{licensee},{licensor},{record_no},")


def _open_licence_row(patent) -> str:
    return f"{patent.application_number},开放许可声明,{(today_local() - timedelta(days=10)).isoformat()},,,,,,,"


def test_R_OL_7_an_open_licence_declared_at_cnipa_blocks_agreeing_an_exclusive_licence(session):
    # Before: the register's open licence only set a flag; the exclusive licence was agreed over it.
    w = nw.world()
    _import([_open_licence_row(w.patent)])
    with pytest.raises(Conflict) as err:
        nw.agreed(w, "LICENSE_EXCLUSIVE")
    assert "开放许可" in err.value.zh and "R-OL-7" in err.value.zh and "登记簿" in err.value.zh


def test_R_LC_1_an_exclusive_licence_filed_at_cnipa_blocks_a_second_exclusive_licence(session):
    w = nw.world()
    result = _import([_licence_row(w.patent, "独占")])
    assert not result.rejected and not result.notes
    with pytest.raises(Conflict) as err:
        nw.agreed(w, "LICENSE_EXCLUSIVE")
    assert "登记簿" in err.value.zh and "R-LC-1" in err.value.zh


def test_R_LC_1_a_register_exclusive_licence_leaves_days_after_its_term_free(session):
    w = nw.world()
    end = today_local() + timedelta(days=100)
    _import([_licence_row(w.patent, "排他", end=end)])
    deal = nw.agreed(w, "LICENSE_EXCLUSIVE", terms=nw.licence_terms(w, start=end + timedelta(days=1)))
    assert deal.status == "AGREED"


def test_R_OL_7_a_register_exclusive_licence_blocks_announcing_a_platform_open_licence(session):
    w = wb.world()
    _import([_licence_row(w.patent, "独占")])
    with pytest.raises(DomainError) as err:
        wb.announced(w)
    assert "R-OL-4" in err.value.zh


def test_R_LC_6_filing_checks_see_an_open_licence_declared_only_at_cnipa(session):
    # Before: an exclusive licence signed over a register-only open licence could be filed.
    w = wb.world()
    deal = _deal(w, "LICENSE_EXCLUSIVE")
    _import([_open_licence_row(w.patent)])
    assert "open_licence_in_force" in {code for code, _zh, _en in filing_blockers(deal)}


def test_R_LC_6_filing_checks_see_a_register_exclusive_licence_of_unstated_name(session):
    # The event name says no kind; the kind column does: 独占.
    w = wb.world()
    deal = _deal(w, "LICENSE_EXCLUSIVE")
    _import([_licence_row(w.patent, "独占")])
    assert "conflicts_with_filed" in {code for code, _zh, _en in filing_blockers(deal)}


def test_a_register_licence_with_the_deals_record_number_verifies_it_and_claims_nothing_more(session):
    w = wb.world()
    deal = _deal(w, "LICENSE_EXCLUSIVE", status="FILED", filing_record_no="2024310000123")
    result = _import([_licence_row(w.patent, "独占", licensee="别的名字", record_no="2024310000123")])
    assert any("核实" in note for _row, note in result.notes)
    assert [e.kind for e in deal.events] == [LedgerEvent.FILING_VERIFIED]
    assert deal.evidence_level == EvidenceLevel.VERIFIED
    assert not db.session.scalars(select(PatentClaim).where(PatentClaim.patent_id == w.patent.id)).all()
    # Importing the same file again adds no second line and says the rows were already recorded.
    again = _import([_licence_row(w.patent, "独占", licensee="别的名字", record_no="2024310000123")])
    assert again.recorded == 0 and again.already_recorded == 1
    assert len(deal.events) == 1


def test_a_register_licence_matches_a_deal_by_parties_kind_and_term(session):
    w = wb.world()
    deal = _deal(w, "LICENSE_SOLE", status="FILED")
    _import([_licence_row(w.patent, "排他", licensee=w.buyer.name.replace("(", "（"), licensor=w.uni.name)])
    assert deal.evidence_level == EvidenceLevel.VERIFIED


def test_a_register_exclusive_licence_that_conflicts_with_a_live_deal_is_reported_to_import_and_point(session):
    w = nw.world()
    deal = nw.agreed(w, "LICENSE_EXCLUSIVE")
    result = _import([_licence_row(w.patent, "独占", licensee="另一家公司")])
    (row, note), = result.notes
    assert row == 2 and "冲突" in note and deal.reference in note
    notes = db.session.scalars(select(Notification).where(Notification.kind == "register_conflict")).all()
    assert [n.organisation_id for n in notes] == [w.point.operator_id]


def test_a_licence_cancelled_in_the_register_frees_the_days_after_it(session):
    w = nw.world()
    _import([_licence_row(w.patent, "独占", record_no="X1")])
    cancel = (f"{w.patent.application_number},专利实施许可合同备案的注销,{today_local().isoformat()},独占,,,,,X1,")
    _import([cancel])
    deal = nw.agreed(w, "LICENSE_EXCLUSIVE", terms=nw.licence_terms(w, start=today_local()))
    assert deal.status == "AGREED"


def test_a_transfer_recorded_at_cnipa_changes_the_owners_and_verifies_the_platform_transfer(session):
    w = nw.world()
    deal = nw.agreed(w, "TRANSFER")
    deal.status = "REGISTRATION_FILED"
    row = (f"{w.patent.application_number},专利申请权、专利权的转移,{today_local().isoformat()},,,,,,,"
           f"{w.buyer.organisation.name}")
    result = _import([row])
    assert w.patent.owner_names == [w.buyer.organisation.name] and w.patent.owners_source == "REGISTER"
    assert LedgerEvent.REGISTRATION_VERIFIED in [e.kind for e in deal.events]
    assert any("核实" in note for _row, note in result.notes)


def test_R_DI_3_a_register_licensee_written_with_full_width_brackets_verifies_the_deal(session):
    w = wb.world()
    w.buyer.name = "上海锂能科技(集团)有限公司"
    deal = _deal(w, "LICENSE_ORDINARY", status="FILED")
    _import([_licence_row(w.patent, "普通", licensee="上海锂能科技（集团）有限公司")])
    assert deal.evidence_level == EvidenceLevel.VERIFIED


def test_R_DI_3_filing_needs_the_patentees_confirmed_by_the_register(session):
    # Before: a patentee list only a user typed was enough for the licensor check.
    w = wb.world()
    deal = _deal(w, "LICENSE_ORDINARY")
    w.patent.owners_source = "USER"
    assert "owners_unconfirmed" in {code for code, _zh, _en in filing_blockers(deal)}
    w.patent.owners_source = "REGISTER"
    assert not filing_blockers(deal)


def test_R_DI_3_after_a_register_transfer_the_former_owner_is_no_licensor(session):
    w = wb.world()
    deal = _deal(w, "LICENSE_ORDINARY")
    _import([f"{w.patent.application_number},专利申请权、专利权的转移,{today_local()},,,,,,,上海新主人有限公司"])
    assert "licensor_not_patentee" in {code for code, _zh, _en in filing_blockers(deal)}


def test_a_platform_declaration_announced_after_the_register_import_takes_over_the_registers_claim(session):
    w = wb.world()
    decl = wb.draft(w)
    ol.confirm_eligible(w.uni_user, decl)
    ol.record_filing(w.uni_user, decl, today_local() - timedelta(days=30))
    _import([f"{w.patent.application_number},开放许可声明,{today_local().isoformat()},,,,,,,"])
    ol.record_announcement(w.uni_user, decl, today_local(), "第40卷第1号")
    held = db.session.scalars(select(PatentClaim).where(PatentClaim.patent_id == w.patent.id,
                                                        PatentClaim.active.is_(True))).all()
    assert [c.declaration_id for c in held] == [decl.id]


@pytest.mark.parametrize("claim_days, blocked", [((-30, 700), True), ((-400, -1), False)])
def test_R_LC_6_the_open_licence_claim_alone_blocks_the_filing_over_its_days(session, claim_days, blocked):
    """The claim query by itself, with no OPEN_LICENSE flag on the patent: an open licence held over the
    licence's term blocks its filing; one that ended the day before the term starts does not."""
    w = wb.world()
    deal = _deal(w, "LICENSE_EXCLUSIVE")
    start, end = (today_local() + timedelta(days=d) for d in claim_days)
    claims.take(w.patent.id, ClaimGroup.EXCLUSIVITY, DealMode.OPEN_LICENSE.value, starts_on=start, ends_on=end)
    assert "OPEN_LICENSE" not in w.patent.active_flags()
    codes = {code for code, _zh, _en in filing_blockers(deal)}
    assert ("open_licence_in_force" in codes) is blocked
