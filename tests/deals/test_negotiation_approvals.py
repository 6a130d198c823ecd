"""Approvals before signature: co-owners, pledgees, universities, SOEs, inventors, export (R-LC-4/7, R-TR-3/4/5, R-ST-*)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.time import today_local
from market.deals import approvals as rules
from market.deals import negotiation as n
from market.deals.models import DealEvent
from market.deals.vocabulary import DealStatus as S
from tests import factories as f
from tests.deals.negotiation_world import agreed, doc, licence_terms, pledge, world
from tests.factories import sign_both


def codes(deal) -> list[str]:
    return [s.step.code for s in n.checklist(deal)]


def org(**kw):
    return SimpleNamespace(**{"org_type": "PRIVATE", "is_state_funded_rnd": False,
                              "wholly_state_owned": False, "country": "CN", **kw})


def patent(owners=1, flags=()):
    return SimpleNamespace(owners=[object()] * owners, active_flags=lambda: set(flags))


# ---- the pure table -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, seller, buyer, pricing, pat, expected", [
    ("LICENSE_ORDINARY", org(), org(), "AGREEMENT", patent(), []),
    # R-LC-4: one co-owner may grant an ordinary licence alone; sole/exclusive/transfer need all.
    ("LICENSE_ORDINARY", org(), org(), "AGREEMENT", patent(2), []),
    ("LICENSE_SOLE", org(), org(), "AGREEMENT", patent(2), ["CO_OWNER_CONSENT"]),
    ("TRANSFER", org(), org(), "LISTING", patent(3), ["CO_OWNER_CONSENT"]),
    ("LICENSE_ORDINARY", org(), org(), "LISTING", patent(flags={"PLEDGED"}), ["PLEDGEE_CONSENT"]),
    # R-ST-1: a state-funded university decides itself (no administrative approval); publicity
    # only when priced by agreement. R-ST-2: it decides whether to evaluate.
    ("LICENSE_ORDINARY", org(org_type="UNIVERSITY", is_state_funded_rnd=True), org(), "AGREEMENT", patent(),
     ["DECISION", "PUBLICITY", "VALUATION_DECISION"]),
    ("LICENSE_ORDINARY", org(org_type="UNIVERSITY", is_state_funded_rnd=True), org(), "AUCTION", patent(),
     ["DECISION", "VALUATION_DECISION"]),
    # R-ST-2: to a wholly state-owned enterprise the evaluation may be skipped.
    ("TRANSFER", org(org_type="RESEARCH_INSTITUTE", is_state_funded_rnd=True),
     org(org_type="SOE", wholly_state_owned=True), "LISTING", patent(), ["DECISION"]),
    # R-ST-3: an SOE evaluates and has the evaluation approved or filed; R-TR-4 inventors.
    ("TRANSFER", org(org_type="SOE"), org(), "LISTING", patent(),
     ["DECISION", "VALUATION", "VALUATION_FILED", "INVENTOR_WAIVER"]),
    # R-ST-4: an equity contribution is appraised whoever makes it.
    ("EQUITY", org(), org(), "AGREEMENT", patent(), ["VALUATION"]),
    # R-TR-4: a university transfer; R-TR-5: a foreign buyer.
    ("TRANSFER", org(org_type="UNIVERSITY"), org(org_type="FOREIGN", country="DE"), "LISTING", patent(),
     ["INVENTOR_WAIVER", "EXPORT_LICENCE"]),
    ("LICENSE_EXCLUSIVE", org(), org(country="US"), "LISTING", patent(), ["EXPORT_LICENCE"]),
    ("OPEN_LICENSE", org(org_type="SOE"), org(), "AGREEMENT", patent(2), []),
])
def test_required_steps_follow_the_rules(kind, seller, buyer, pricing, pat, expected):
    assert [s.code for s in rules.required_steps(kind, seller, buyer, pricing, pat)] == expected


def test_R_ST_3_nothing_to_file_when_the_asset_cannot_be_valued():
    steps = rules.required_steps("TRANSFER", org(org_type="SOE", soe_level="CENTRAL"), org(), "LISTING", patent(),
                                 {"basis": "NONE_ALLOWED"})
    assert "VALUATION_FILED" not in [s.code for s in steps]


# ---- recording them --------------------------------------------------------------------------------

def test_R_LC_4_an_ordinary_licence_by_one_co_owner_needs_no_consent(session):
    w = world(co_owners=["某外地研究所"])
    deal = agreed(w, "LICENSE_ORDINARY")
    assert codes(deal) == []
    sign_both(deal, first=w.seller)
    assert deal.status == S.SIGNED


def test_R_LC_4_an_exclusive_licence_needs_every_co_owner(session):
    partner_org = f.organisation("沪西材料研究院", org_type="RESEARCH_INSTITUTE")
    partner = f.user(partner_org)
    w = world(co_owners=["沪西材料研究院", "不在平台上的合作方"])
    deal = agreed(w, "LICENSE_EXCLUSIVE")
    assert codes(deal) == ["CO_OWNER_CONSENT"]
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.approvals_missing" and "全体共有人同意" in err.value.zh
    # The co-owner on the platform consents itself; the seller brings the other's written consent.
    n.record_consent(partner, deal, "")
    with pytest.raises(DomainError) as err:
        n.record_consent(w.seller, deal, "不在平台上的合作方")
    assert err.value.field == "file"
    with pytest.raises(Forbidden):
        n.record_consent(w.buyer, deal, "不在平台上的合作方", doc(deal, w.buyer))
    n.record_consent(w.seller, deal, "不在平台上的合作方", doc(deal, w.seller))
    # The seller's upload alone does not count until the point operator confirms it.
    state = n.checklist(deal)[0]
    assert not state.done and state.pending == ["不在平台上的合作方"]
    n.confirm_consent(w.operator, deal, "不在平台上的合作方", "已电话核实该共有人并核对公章")
    state = n.checklist(deal)[0]
    assert state.done and state.owners == [("沪西材料研究院", True), ("不在平台上的合作方", True)]
    assert deal.status == S.APPROVALS
    sign_both(deal, first=w.buyer)
    assert deal.status == S.SIGNED


def test_R_TR_3_a_transfer_of_a_co_owned_patent_needs_all_co_owners(session):
    w = world(co_owners=["共有人甲"])
    deal = agreed(w, "TRANSFER")
    with pytest.raises(Conflict):
        sign_both(deal, first=w.seller)
    n.record_consent(w.seller, deal, "共有人甲", doc(deal, w.seller))
    with pytest.raises(Conflict) as err:  # once recorded, a consent is not recorded again
        n.record_consent(w.seller, deal, "共有人甲", doc(deal, w.seller))
    assert err.value.code == "deal.approval_recorded"
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert "待服务点确认" in err.value.zh
    n.confirm_consent(w.operator, deal, "共有人甲", "核对原件")
    sign_both(deal, first=w.seller)


def test_R_LC_7_a_pledged_patent_needs_the_pledgees_consent_document(session):
    w = world()
    pledge(w.patent)
    deal = agreed(w, "LICENSE_ORDINARY")
    assert codes(deal) == ["PLEDGEE_CONSENT"]
    with pytest.raises(DomainError) as err:
        n.record_step(w.seller, deal, "PLEDGEE_CONSENT", {})
    assert err.value.code == "deal.document_required"
    n.record_step(w.seller, deal, "PLEDGEE_CONSENT", {}, doc(deal, w.seller, "PLEDGEE_CONSENT"))
    assert deal.approvals["PLEDGEE_CONSENT"]["pledgee"] == "上海银行宝山支行"
    sign_both(deal, first=w.seller)
    assert deal.status == S.SIGNED


def test_R_TR_2_a_pledged_patent_is_not_transferred_without_consent(session):
    w = world()
    pledge(w.patent)
    deal = agreed(w, "TRANSFER")
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert "质权人同意" in err.value.zh


def test_R_ST_1_university_pricing_by_agreement_is_publicised_before_signing(session):
    w = world(seller_type="UNIVERSITY", rnd=True, pricing="AGREEMENT")
    deal = agreed(w, "TRANSFER")
    assert codes(deal) == ["DECISION", "PUBLICITY", "VALUATION_DECISION", "INVENTOR_WAIVER"]
    n.record_step(w.seller, deal, "DECISION", {"note": "校长办公会"}, doc(deal, w.seller, "DECISION"))
    n.record_step(w.seller, deal, "VALUATION_DECISION", {"evaluate": "", "reason": "价格经市场询价确定"})
    n.record_step(w.seller, deal, "INVENTOR_WAIVER", {"form": "WAIVER"}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    # A start date typed by the user is ignored: the platform opens the publicity today.
    n.record_step(w.seller, deal, "PUBLICITY", {"start_date": "2020-01-01", "days": "1", "place": "学校官网"})
    record = deal.approvals["PUBLICITY"]
    today = today_local()
    assert (record["start"], record["days"], record["title"], record["price_fen"]) == (
        today.isoformat(), 15, w.patent.title, 8_000_000)
    assert record["sign_from"] == (today + timedelta(days=15)).isoformat()
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.approvals_missing" and record["sign_from"] in err.value.zh
    with pytest.raises(Conflict):
        sign_both(deal, first=w.seller, on=today + timedelta(days=14))  # the last day of the period
    assert deal.status == S.APPROVALS and deal.signed_date is None
    line = db.session.scalar(select(DealEvent).where(DealEvent.deal_id == deal.id, DealEvent.kind == "PUBLICITY"))
    assert (line.occurred_on, line.amount_fen, line.evidence["rule"]) == (today, 8_000_000, "R-ST-1")
    sign_both(deal, first=w.seller, on=today + timedelta(days=15))
    assert deal.status == S.SIGNED


def test_R_ST_1_a_publicity_dated_2020_does_not_let_the_contract_be_signed(session):
    w = world(seller_type="RESEARCH_INSTITUTE", rnd=True, pricing="AGREEMENT", buyer_type="SOE",
              buyer_kw={"soe_level": "DISTRICT", "wholly_state_owned": True})
    deal = agreed(w, "LICENSE_ORDINARY")
    n.record_step(w.seller, deal, "DECISION", {}, doc(deal, w.seller, "DECISION"))
    n.record_step(w.seller, deal, "PUBLICITY", {"start_date": "2020-03-01"})
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.approvals_missing" and deal.status == S.APPROVALS


def test_R_ST_1_a_publicity_opened_before_the_price_was_agreed_or_for_another_price_does_not_count(session):
    w = world(seller_type="RESEARCH_INSTITUTE", rnd=True, pricing="AGREEMENT", buyer_type="SOE",
              buyer_kw={"soe_level": "DISTRICT", "wholly_state_owned": True})
    deal = agreed(w, "LICENSE_ORDINARY")
    n.record_step(w.seller, deal, "DECISION", {}, doc(deal, w.seller, "DECISION"))
    n.record_step(w.seller, deal, "PUBLICITY", {}, now=datetime.now(UTC) - timedelta(days=40))
    state = next(s for s in n.checklist(deal, today_local()) if s.step.code == "PUBLICITY")
    assert not state.done and "早于价格达成一致" in state.problem[0]
    # Opened again by the platform: it counts; then the price changes and it no longer does.
    n.record_step(w.seller, deal, "PUBLICITY", {})
    later = today_local() + timedelta(days=15)
    assert next(s for s in n.checklist(deal, later) if s.step.code == "PUBLICITY").done
    deal.price_fen += 100
    state = next(s for s in n.checklist(deal, later) if s.step.code == "PUBLICITY")
    assert not state.done and "价格不一致" in state.problem[0]
    with pytest.raises(Conflict):
        sign_both(deal, first=w.seller, on=later)


def test_R_ST_2_a_university_that_decides_to_evaluate_records_the_evaluation(session):
    w = world(seller_type="UNIVERSITY", rnd=True)
    deal = agreed(w, "LICENSE_ORDINARY")
    with pytest.raises(DomainError) as err:
        n.record_step(w.seller, deal, "VALUATION_DECISION", {"evaluate": "1", "reason": ""})
    assert err.value.field == "reason"
    n.record_step(w.seller, deal, "VALUATION_DECISION", {"evaluate": "1", "reason": "金额较大，由学校决定评估"})
    # The listing says LISTING, but the parties negotiated the price: publicity is needed (R-ST-1).
    assert codes(deal) == ["DECISION", "PUBLICITY", "VALUATION_DECISION", "VALUATION"]
    with pytest.raises(DomainError) as err:  # only an SOE may rely on "cannot be valued"
        n.record_step(w.seller, deal, "VALUATION", {"basis": "NONE_ALLOWED", "reason": "x"},
                      doc(deal, w.seller, "VALUATION_REPORT"))
    assert err.value.code == "deal.valuation_required"


def _soe_valuation(w, deal, value_fen, basis="EVALUATION"):
    n.record_step(w.seller, deal, "DECISION", {}, doc(deal, w.seller, "DECISION"))
    data = {"basis": basis, "appraiser": "上海东洲资产评估有限公司", "report_no": "东洲评报字[2025]第0101号",
            "value_fen": str(value_fen), "base_date": (today_local() - timedelta(days=30)).isoformat(),
            "reason": "三家机构均无法估值"}
    n.record_step(w.seller, deal, "VALUATION", data, doc(deal, w.seller, "VALUATION_REPORT"))


def test_R_ST_3_an_soe_files_its_evaluation_and_sells_at_no_less(session):
    w = world(seller_type="SOE")
    deal = agreed(w, "LICENSE_EXCLUSIVE", terms=licence_terms(w, price_fen=3_000_000))
    assert codes(deal) == ["DECISION", "VALUATION", "VALUATION_FILED"]
    with pytest.raises(Conflict) as err:  # filing before the evaluation itself
        n.record_step(w.seller, deal, "VALUATION_FILED", {"filing_type": "RECORD", "filing_no": "沪国资评备2025-1",
                                                          "filing_date": today_local().isoformat()},
                      doc(deal, w.seller, "VALUATION_FILING"))
    assert err.value.code == "deal.valuation_first"
    _soe_valuation(w, deal, 3_500_000)
    n.record_step(w.seller, deal, "VALUATION_FILED", {"filing_type": "RECORD", "filing_no": "沪国资评备2025-1",
                                                      "filing_date": today_local().isoformat()},
                  doc(deal, w.seller, "VALUATION_FILING"))
    assert deal.valuation["sasac_filing"]["filing_no"] == "沪国资评备2025-1"
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.price_below_valuation"
    assert deal.status == S.APPROVALS


def test_R_ST_3_an_soe_price_at_the_approved_value_signs(session):
    w = world(seller_type="SOE")
    deal = agreed(w, "TRANSFER")
    _soe_valuation(w, deal, 8_000_000)
    n.record_step(w.seller, deal, "VALUATION_FILED", {"filing_type": "APPROVAL", "filing_no": "国资产权[2025]5号",
                                                      "filing_date": today_local().isoformat()},
                  doc(deal, w.seller, "VALUATION_FILING"))
    n.record_step(w.seller, deal, "INVENTOR_WAIVER", {"form": "NOTICE"}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    sign_both(deal, first=w.seller)
    assert deal.status == S.SIGNED


def test_R_ST_3_when_no_institution_can_value_it_there_is_no_filing_or_floor(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "CENTRAL"})  # SA8: central SOEs only
    deal = agreed(w, "TRANSFER")
    _soe_valuation(w, deal, 0, basis="NONE_ALLOWED")
    assert codes(deal) == ["DECISION", "VALUATION", "INVENTOR_WAIVER"]
    n.record_step(w.seller, deal, "INVENTOR_WAIVER", {}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    sign_both(deal, first=w.seller)
    assert deal.status == S.SIGNED


def test_R_ST_4_an_equity_contribution_is_appraised_and_not_over_valued(session):
    w = world()
    deal = agreed(w, "EQUITY", terms={"price_fen": 10_000_000, "share_pct": "12.5"})
    assert deal.share_pct == "12.5" and codes(deal) == ["VALUATION"]
    with pytest.raises(Conflict):
        sign_both(deal, first=w.seller)
    n.record_step(w.seller, deal, "VALUATION", {"basis": "EVALUATION", "appraiser": "评估所", "report_no": "R-1",
                                                "value_fen": "9000000", "base_date": today_local().isoformat()},
                  doc(deal, w.seller, "VALUATION_REPORT"))
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert "高估" in err.value.zh


def test_R_TR_4_a_university_transfer_records_the_inventors_waiver(session):
    w = world(seller_type="UNIVERSITY")
    deal = agreed(w, "TRANSFER")
    assert codes(deal) == ["INVENTOR_WAIVER"]
    with pytest.raises(Forbidden):
        n.record_step(w.buyer, deal, "INVENTOR_WAIVER", {}, doc(deal, w.buyer, "INVENTOR_WAIVER"))
    with pytest.raises(DomainError):
        n.record_step(w.seller, deal, "INVENTOR_WAIVER", {"form": "MAYBE"}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    n.record_step(w.seller, deal, "INVENTOR_WAIVER", {"form": "WAIVER"}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    sign_both(deal, first=w.seller)


def test_R_TR_5_a_foreign_buyer_needs_the_export_licence_before_signing(session):
    w = world(buyer_type="FOREIGN", buyer_kw={"country": "DE"})
    deal = agreed(w, "TRANSFER")
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.buyer)
    assert "技术出口" in err.value.zh
    with pytest.raises(DomainError) as err:
        n.record_step(w.buyer, deal, "EXPORT_LICENCE", {}, doc(deal, w.buyer, "EXPORT_LICENCE"))
    assert err.value.field == "licence_no"
    n.record_step(w.buyer, deal, "EXPORT_LICENCE", {"licence_no": "2025310000001"}, doc(deal, w.buyer, "EXPORT_LICENCE"))
    sign_both(deal, first=w.buyer)
    assert deal.status == S.SIGNED


def test_a_step_the_deal_does_not_need_or_a_second_time_is_refused(session):
    w = world(seller_type="UNIVERSITY")
    deal = agreed(w, "TRANSFER")
    with pytest.raises(Conflict) as err:
        n.record_step(w.seller, deal, "PUBLICITY", {})
    assert err.value.code == "deal.approval_not_needed"
    n.record_step(w.seller, deal, "INVENTOR_WAIVER", {}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    with pytest.raises(Conflict) as err:
        n.record_step(w.seller, deal, "INVENTOR_WAIVER", {}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    assert err.value.code == "deal.approval_recorded"


def test_R_ST_6_the_decision_trail_is_ledger_lines_with_documents_that_cannot_be_rewritten(session):
    w = world(seller_type="SOE")
    deal = agreed(w, "LICENSE_ORDINARY")
    decision = doc(deal, w.seller, "DECISION")
    n.record_step(w.seller, deal, "DECISION", {"decided_on": today_local().isoformat()}, decision)
    db.session.flush()
    line = db.session.scalar(select(DealEvent).where(DealEvent.deal_id == deal.id, DealEvent.kind == "APPROVAL"))
    assert line.evidence["step"] == "DECISION" and line.evidence["document_id"] == decision.id
    assert (line.from_status, line.to_status, line.actor_user_id) == ("AGREED", "APPROVALS", w.seller.id)
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("UPDATE deal_events SET note = 'changed' WHERE id = :id"), {"id": line.id})


def test_R_ST_1_the_publicity_period_is_configurable(session, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLICITY_DAYS", 30)
    w = world(seller_type="UNIVERSITY", rnd=True, pricing="AGREEMENT")
    deal = agreed(w, "LICENSE_ORDINARY")
    start = today_local()
    n.record_step(w.seller, deal, "PUBLICITY", {"start_date": "2020-01-01", "days": "15"})
    assert deal.approvals["PUBLICITY"]["days"] == 30
    assert deal.approvals["PUBLICITY"]["sign_from"] == (start + timedelta(days=30)).isoformat()
