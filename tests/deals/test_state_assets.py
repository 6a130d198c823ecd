"""State-asset rules by who sells (issue 12 §3): R-ST-1…4, price formation, 进场, token royalties, evidence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.services import issue_api_token
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.models import DealEvent
from market.deals.negotiation import state_assets
from market.deals.vocabulary import DealStatus as S
from tests import factories as f
from tests.deals.negotiation_world import agreed, doc, licence_terms, world
from tests.factories import sign_both

YUAN = 100


def codes(deal) -> list[str]:
    return [s.step.code for s in n.checklist(deal)]


def _evaluation(w, deal, value_fen: int, basis: str = "EVALUATION") -> None:
    n.record_step(w.seller, deal, "VALUATION", {
        "basis": basis, "appraiser": "上海东洲资产评估有限公司", "report_no": "东洲评报字[2025]第0101号",
        "value_fen": str(value_fen), "base_date": (today_local() - timedelta(days=30)).isoformat(),
        "reason": "三家机构均无法估值"}, doc(deal, w.seller, "VALUATION_REPORT"))


def _filed(w, deal) -> None:
    n.record_step(w.seller, deal, "VALUATION_FILED", {"filing_type": "RECORD", "filing_no": "沪国资评备2025-9",
                                                      "filing_date": today_local().isoformat()},
                  doc(deal, w.seller, "VALUATION_FILING"))


def _decision(w, deal) -> None:
    n.record_step(w.seller, deal, "DECISION", {}, doc(deal, w.seller, "DECISION"))


def _soe_approvals(w, deal, value_fen: int) -> None:
    """An SOE seller's decision, evaluation at `value_fen`, its filing and the inventors' waiver."""
    _decision(w, deal)
    _evaluation(w, deal, value_fen)
    _filed(w, deal)
    n.record_step(w.seller, deal, "INVENTOR_WAIVER", {}, doc(deal, w.seller, "INVENTOR_WAIVER"))


# ---- NONE_ALLOWED: central SOEs only (SA8) ---------------------------------------------------------

def test_R_ST_3_a_district_soe_cannot_use_cannot_be_valued_and_sign_at_one_yuan(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "DISTRICT"})
    deal = agreed(w, "TRANSFER", terms={"price_fen": 1 * YUAN})
    _decision(w, deal)
    with pytest.raises(DomainError) as err:
        _evaluation(w, deal, 0, basis="NONE_ALLOWED")
    assert err.value.code == "deal.valuation_required" and "中央企业" in err.value.zh and "R-ST-3" in err.value.zh
    assert "VALUATION" not in (deal.approvals or {})
    assert "VALUATION_FILED" in codes(deal)
    n.record_step(w.seller, deal, "INVENTOR_WAIVER", {}, doc(deal, w.seller, "INVENTOR_WAIVER"))
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.approvals_missing" and "核准/备案" in err.value.zh
    assert deal.status == S.APPROVALS and deal.signed_date is None


def test_R_ST_3_only_a_central_soe_may_rely_on_a_valuation_instead_of_an_evaluation(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "MUNICIPAL"})
    deal = agreed(w, "TRANSFER")
    with pytest.raises(DomainError) as err:
        _evaluation(w, deal, 8_000_000, basis="VALUATION")
    assert err.value.field == "basis"
    central = world(seller_type="SOE", seller_kw={"soe_level": "CENTRAL"})
    other = agreed(central, "TRANSFER")
    _evaluation(central, other, 8_000_000, basis="VALUATION")
    assert other.valuation["basis"] == "VALUATION"


def test_R_ST_3_a_central_soe_that_no_institution_can_value_has_nothing_to_file(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "CENTRAL"})
    deal = agreed(w, "TRANSFER")
    _decision(w, deal)
    _evaluation(w, deal, 0, basis="NONE_ALLOWED")
    assert "VALUATION_FILED" not in codes(deal)


# ---- R-ST-4: contributions in kind are appraised, not below the appraisal ----------------------------

def test_R_ST_4_a_municipal_soe_contributes_equity_only_on_an_appraisal(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "MUNICIPAL"})
    deal = agreed(w, "EQUITY", terms={"price_fen": 5_000_000 * YUAN, "share_pct": "20"})
    _decision(w, deal)
    with pytest.raises(DomainError) as err:
        _evaluation(w, deal, 0, basis="NONE_ALLOWED")
    assert err.value.code == "deal.valuation_required" and "R-ST-4" in err.value.zh
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.approvals_missing" and deal.status != S.SIGNED


def test_R_ST_4_an_soe_contribution_is_not_agreed_below_its_appraisal(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "MUNICIPAL"})
    deal = agreed(w, "EQUITY", terms={"price_fen": 5_000_000 * YUAN, "share_pct": "20"})
    _soe_approvals(w, deal, 6_000_000 * YUAN)
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.price_below_valuation" and deal.status == S.APPROVALS


def test_R_ST_4_a_university_contribution_is_not_agreed_below_its_appraisal(session):
    w = world(seller_type="UNIVERSITY", rnd=True)
    deal = agreed(w, "EQUITY", terms={"price_fen": 5_000_000 * YUAN, "share_pct": "20"})
    _evaluation(w, deal, 6_000_000 * YUAN)
    problem = state_assets.price_floor_problem(deal)
    assert problem is not None and "不得低于评估值" in problem[0] and "R-ST-4" in problem[0]
    deal.price_fen = 6_000_000 * YUAN
    assert state_assets.price_floor_problem(deal) is None


# ---- price formation --------------------------------------------------------------------------------

def test_R_ST_1_a_negotiated_price_needs_publicity_whatever_the_listing_label(session):
    w = world(seller_type="UNIVERSITY", rnd=True, pricing="LISTING")
    deal = agreed(w, "LICENSE_ORDINARY")
    assert deal.pricing_method == "LISTING" and deal.price_formed_by == "AGREEMENT"
    assert "PUBLICITY" in codes(deal)
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert "公示" in err.value.zh


def test_nothing_a_party_types_sets_how_the_price_was_formed(client, session):
    w = world(seller_type="UNIVERSITY", rnd=True, pricing="AUCTION")
    deal = n.request_deal(w.buyer, w.listing, "TRANSFER",
                          terms={"price_fen": 8_000_000, "price_formed_by": "AUCTION"}, message="按拍卖价")
    assert deal.price_formed_by == "AGREEMENT"
    token = issue_api_token(w.buyer, "t")[1]
    body = client.get(f"/api/v1/deals/{deal.id}", headers={"Authorization": "Bearer " + token}).get_json()
    assert body["price_formed_by"] == "AGREEMENT" and body["pricing_method"] == "AUCTION"
    assert body["approvals"][0]["basis"].startswith("促进科技成果转化法第18条")


# ---- 进场交易 above the threshold ----------------------------------------------------------------------

def test_R_ST_3_an_soe_transfer_above_the_threshold_must_be_priced_by_listing(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "MUNICIPAL"})
    deal = agreed(w, "TRANSFER", terms={"price_fen": 2_000_000 * YUAN})
    assert "EXCHANGE_LISTING" in codes(deal)
    _soe_approvals(w, deal, 2_000_000 * YUAN)
    with pytest.raises(Conflict) as err:
        n.record_step(w.seller, deal, "EXCHANGE_LISTING", {"first_listing_price_fen": str(2_000_000 * YUAN)})
    assert err.value.code == "deal.exchange_listing_required"
    assert "挂牌" in err.value.zh and "R-ST-3" in err.value.zh and "listing" in err.value.en
    assert "EXCHANGE_LISTING" not in deal.approvals
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.approvals_missing" and "进场" in err.value.zh
    assert deal.status == S.APPROVALS


def test_R_ST_3_below_the_threshold_the_approved_value_is_still_the_floor(session, app, monkeypatch):
    w = world(seller_type="SOE", seller_kw={"soe_level": "DISTRICT"})
    deal = agreed(w, "TRANSFER", terms={"price_fen": 500_000 * YUAN})
    assert "EXCHANGE_LISTING" not in codes(deal)
    _soe_approvals(w, deal, 600_000 * YUAN)
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.price_below_valuation"
    monkeypatch.setitem(app.config, "SOE_EXCHANGE_THRESHOLD_FEN", 100_000 * YUAN)  # the threshold is configured
    assert "EXCHANGE_LISTING" in codes(deal)


# ---- SOE sole/exclusive licences: the valuation, and a token royalty acknowledged ------------------------

ROYALTY = {"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "0.1"}


def test_R_ST_3_an_soe_exclusive_licence_needs_the_valuation_on_record(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "MUNICIPAL"})
    deal = agreed(w, "LICENSE_EXCLUSIVE")
    assert {"DECISION", "VALUATION", "VALUATION_FILED"} <= set(codes(deal))
    _decision(w, deal)
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert "资产评估" in err.value.zh


def test_R_ST_3_a_token_royalty_on_an_soe_exclusive_licence_is_acknowledged_by_the_approver(session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "MUNICIPAL"})
    deal = agreed(w, "LICENSE_EXCLUSIVE", terms=licence_terms(w, price_fen=None, fee_terms=ROYALTY))
    assert "TOKEN_ROYALTY_ACK" in codes(deal)
    _decision(w, deal)
    _evaluation(w, deal, 1_000 * YUAN)
    _filed(w, deal)
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert "象征性许可费" in err.value.zh
    with pytest.raises(DomainError) as err:
        n.record_step(w.seller, deal, "TOKEN_ROYALTY_ACK", {"reason": "战略合作"})
    assert err.value.field == "acknowledge" and "TOKEN_ROYALTY_ACK" not in deal.approvals
    n.record_step(w.seller, deal, "TOKEN_ROYALTY_ACK", {"acknowledge": "1", "reason": "战略合作，首年试产"})
    line = db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id, DealEvent.kind == "APPROVAL")
                              .order_by(DealEvent.id.desc())).first()
    assert line.evidence["step"] == "TOKEN_ROYALTY_ACK" and line.evidence["acknowledged"] is True
    assert line.evidence["rests_on"] == "platform_confirmation" and line.evidence["confirmed_by_user"] == w.seller.id
    sign_both(deal, first=w.seller)
    assert deal.status == S.SIGNED


def test_an_adequate_royalty_or_a_private_seller_needs_no_acknowledgement(session, app, monkeypatch):
    w = world(seller_type="SOE", seller_kw={"soe_level": "MUNICIPAL"})
    deal = agreed(w, "LICENSE_EXCLUSIVE", terms=licence_terms(w, price_fen=None, fee_terms={**ROYALTY,
                                                                                             "royalty_rate": "3"}))
    assert "TOKEN_ROYALTY_ACK" not in codes(deal)
    monkeypatch.setitem(app.config, "TOKEN_ROYALTY_PCT", "5")
    assert "TOKEN_ROYALTY_ACK" in codes(deal)
    private = world()
    other = agreed(private, "LICENSE_EXCLUSIVE", terms=licence_terms(private, price_fen=None, fee_terms=ROYALTY))
    assert "TOKEN_ROYALTY_ACK" not in codes(other)


# ---- every approval names what it rests on; the page says which rule required it --------------------------

def test_R_ST_6_each_approval_line_names_its_document_by_id_and_hash(session):
    w = world(seller_type="SOE")
    deal = agreed(w, "LICENSE_ORDINARY")
    decision = doc(deal, w.seller, "DECISION")
    n.record_step(w.seller, deal, "DECISION", {}, decision)
    line = db.session.scalar(select(DealEvent).where(DealEvent.deal_id == deal.id, DealEvent.kind == "APPROVAL"))
    assert (line.evidence["document_id"], line.evidence["document_sha256"]) == (decision.id, decision.sha256)
    assert len(decision.sha256) == 64


def test_the_deal_page_says_which_rule_requires_each_approval_in_words(client, session):
    w = world(seller_type="SOE", seller_kw={"soe_level": "DISTRICT"})
    deal = agreed(w, "TRANSFER")
    db.session.commit()
    c = client
    f.login(c, w.seller)
    html = c.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "依据：企业国有资产法第47条" in html and '<small class="muted">R-ST-3 / R-ST-4</small>' in html
    assert "价格形成方式" in html and "协议定价（双方协商）" in html
    english = c.get(f"/deals/{deal.id}?lang=en").get_data(as_text=True)
    assert "Required by: SOE Assets Law art. 47" in english
