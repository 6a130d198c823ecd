"""Contributors' reward floor (R-ST-5; STL 45, SH 34): exact fen, half up, never below nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from market.accounts.services import issue_api_token
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.deals.models import Deal
from market.deals.rewards import contributors as cr
from market.deals.rewards import services as rewards
from tests.api.test_api_openapi import conforms
from tests.deals import dispute_builders as b

# ---- the pure rule -----------------------------------------------------------------------------------


def test_r_st_5_the_floor_is_70_percent_of_net_income_rounded_half_up():
    floor = rewards.income_floor(1_000_005, rewards.Costs(taxes_fen=100_000, maintenance_fen=50_000,
                                                          evaluation_fen=200_000))
    # 1,000,005 − 350,000 = 650,005 fen; × 70 % = 455,003.5 → 455,004; × 50 % = 325,002.5 → 325,003
    assert (floor.net_income_fen, floor.floor_fen, floor.national_floor_fen) == (650_005, 455_004, 325_003)
    assert (floor.min_pct, floor.national_pct, floor.basis) == (Decimal("70"), Decimal("50"), "INCOME")


@pytest.mark.parametrize("fen,pct,expected", [(5, "70", 4), (3, "50", 2), (1, "70", 1), (2, "70", 1),
                                              (7, "50", 4), (1_000_000_001, "70", 700_000_001),
                                              (333, "66.5", 221), (0, "70", 0), (-10, "70", 0)])
def test_r_st_5_shares_are_rounded_half_up_to_the_fen(fen, pct, expected):
    assert rewards.share_fen(fen, Decimal(pct)) == expected


def test_r_st_5_a_negative_net_income_gives_a_floor_of_zero():
    floor = rewards.income_floor(100_000, rewards.Costs(taxes_fen=20_000, maintenance_fen=80_000,
                                                        evaluation_fen=50_001))
    assert (floor.net_income_fen, floor.floor_fen, floor.national_floor_fen) == (-50_001, 0, 0)


@pytest.mark.parametrize("share,value,floor_share,floor_fen", [("10", 8_000_000, "7", 5_600_000),
                                                               ("12.5", 1_000_001, "8.75", 700_001),
                                                               ("0.0001", 5, "0.00007", 4)])
def test_r_st_5_the_equity_floor_is_a_share_of_the_shares_formed(share, value, floor_share, floor_fen):
    floor = rewards.equity_floor(share, value)
    assert (floor.basis, rewards.pct_text(floor.floor_share_pct), floor.floor_fen) == ("EQUITY", floor_share, floor_fen)


@pytest.mark.parametrize("configured,effective", [(None, "70"), ("", "70"), ("60", "60"), ("40", "50"),
                                                  (Decimal("50"), "50"), ("120", "100"), ("72.5", "72.5")])
def test_r_st_5_the_minimum_share_is_a_setting_never_below_the_national_50(configured, effective):
    assert rewards.effective_pct(configured) == Decimal(effective)


@pytest.mark.parametrize("text,fen", [("", 0), ("0", 0), ("1,234.56", 123_456), ("12.5", 1_250), ("88元", 8_800),
                                      (" 7 ", 700), ("１２", 1_200)])  # full-width digits, as a Chinese IME types them
def test_r_st_5_costs_are_typed_in_yuan_and_kept_in_fen(text, fen):
    assert rewards.parse_yuan(text, "taxes_fen") == fen


@pytest.mark.parametrize("text", ["-1", "0.005", "1e3", "abc", "NaN", "99999999999999999"])
def test_r_st_5_a_bad_cost_is_refused(text):
    with pytest.raises(DomainError) as err:
        rewards.parse_yuan(text, "taxes_fen")
    assert err.value.field == "taxes_fen"


def test_r_st_5_the_explanation_names_both_floors():
    floor = rewards.income_floor(100, rewards.Costs(), Decimal("70"))
    zh, en = rewards.explanation(floor), rewards.explanation(floor, "en")
    assert "不低于50%" in zh[0] and "不低于70%" in zh[0] and "维护费用" in zh[1]
    assert "at least 50%" in en[0] and "at least 70%" in en[0]


# ---- a deal's figures ---------------------------------------------------------------------------------

def test_r_st_5_income_is_the_money_received_net_of_refunds(session):
    c = b.cast("UNIVERSITY", is_state_funded_rnd=True)
    deal = b.deal(c, kind="LICENSE_ORDINARY", status="ACTIVE")
    b.payment(deal, 1_000_000, "PAID")
    b.payment(deal, 300_001, "PAID", refunded_fen=1)
    b.payment(deal, 200_000, "REFUNDED", refunded_fen=200_000)
    b.payment(deal, 500_000, "DUE")
    b.payment(deal, 400_000, "CANCELLED")
    cr.record_costs(c.seller_user, deal, rewards.Costs(taxes_fen=78_000, maintenance_fen=12_345, evaluation_fen=0))
    db.session.flush()
    view = cr.reward_view(deal)
    # 1,300,000 received − 90,345 = 1,209,655; × 70 % = 846,758.5 → 846,759
    assert (view.floor.income_fen, view.floor.net_income_fen, view.floor.floor_fen) == (1_300_000, 1_209_655, 846_759)
    assert (view.statutory, view.state_funded, view.has_scheme, view.floor_binding) == (True, True, False, True)
    assert deal.approvals["REWARD"]["taxes_fen"] == 78_000


def test_r_st_5_the_minimum_share_comes_from_the_settings(app, session, monkeypatch):
    c = b.cast("RESEARCH_INSTITUTE")
    deal = b.deal(c, kind="TRANSFER", status="COMPLETED")
    b.payment(deal, 1_000_001, "PAID", kind="TRANSFER_PRICE")
    monkeypatch.setitem(app.config, "REWARD_MIN_PCT", Decimal("60"))
    assert cr.reward_view(deal).floor.floor_fen == 600_001  # 600,000.6 → 600,001
    monkeypatch.setitem(app.config, "REWARD_MIN_PCT", Decimal("30"))
    assert cr.reward_view(deal).floor.floor_fen == 500_001  # never below the national 50 %: 500,000.5 → 500,001


def test_r_st_5_an_soe_sees_the_floor_for_reference_and_a_private_seller_none(session):
    soe = b.cast("SOE")
    deal = b.deal(soe, kind="EQUITY", status="REGISTERED", price_fen=10_000_000, share_pct="20")
    view = cr.reward_view(deal)
    assert (view.statutory, view.floor_binding, view.floor.floor_share_pct, view.floor.floor_fen) == (
        False, False, Decimal("14"), 7_000_000)
    private = b.cast("PRIVATE")
    other = b.deal(private, kind="TRANSFER", status="COMPLETED")
    assert cr.reward_view(other) is None
    with pytest.raises(Conflict) as err:
        cr.record_costs(private.seller_user, other, rewards.Costs())
    assert err.value.code == "reward.not_applicable"


def test_r_st_5_a_unit_with_its_own_scheme_is_bound_only_if_state_established(session):
    funded = b.cast("UNIVERSITY", is_state_funded_rnd=True)
    plain = b.cast("UNIVERSITY")
    for c, binding in ((funded, True), (plain, False)):
        deal = b.deal(c, status="ACTIVE")
        assert cr.record_costs(c.seller_user, deal, rewards.Costs(), has_scheme=True).floor_binding is binding


@pytest.mark.parametrize("who", ["buyer_user", "operator_user", "bureau_user"])
def test_r_st_5_only_the_seller_records_its_costs_and_reads_the_floor(session, who):
    c = b.cast()
    deal = b.deal(c, status="ACTIVE")
    with pytest.raises(Forbidden):
        cr.record_costs(getattr(c, who), deal, rewards.Costs(taxes_fen=1))
    with pytest.raises(Forbidden):
        cr.view_for(getattr(c, who), deal)
    assert "REWARD" not in (deal.approvals or {})


# ---- the deal page and the API ---------------------------------------------------------------------------

@pytest.fixture
def committed(session):
    c = b.cast()
    deal = b.deal(c, kind="LICENSE_ORDINARY", status="ACTIVE")
    b.payment(deal, 2_000_005, "PAID")
    tokens = {who: {"Authorization": "Bearer " + issue_api_token(getattr(c, who), "t")[1]}
              for who in ("seller_user", "buyer_user", "stranger_user")}
    db.session.commit()
    return c, deal.id, tokens


def test_r_st_5_the_seller_enters_costs_on_the_deal_page_and_sees_the_floor(app, committed):
    c, deal_id, _ = committed
    seller, buyer = b.as_user(app, c.seller_user), b.as_user(app, c.buyer_user)
    page = seller.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'id="reward"' in page and "20,000.05 元" in page and "14,000.04 元" in page  # 1,400,003.5 → 1,400,004
    assert 'id="reward"' not in buyer.get(f"/deals/{deal_id}").get_data(as_text=True)
    saved = b.post(seller, f"/deals/{deal_id}/reward", {"taxes_yuan": "1,000.05", "maintenance_yuan": "",
                                                        "evaluation_yuan": "2000", "has_scheme": "1"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#reward")
    page = seller.get(saved.headers["Location"]).get_data(as_text=True)
    # 2,000,005 − 100,005 − 200,000 = 1,700,000; × 70 % = 1,190,000
    assert "已更新" in page and "17,000.00 元" in page and "11,900.00 元" in page
    assert 'name="has_scheme" value="1" checked' in page
    refused = b.post(seller, f"/deals/{deal_id}/reward", {"taxes_yuan": "-5"})
    assert "不小于 0" in seller.get(refused.headers["Location"]).get_data(as_text=True)
    assert b.post(buyer, f"/deals/{deal_id}/reward", {"taxes_yuan": "1"}).status_code == 403
    assert b.post(b.as_user(app, c.stranger_user), f"/deals/{deal_id}/reward", {"taxes_yuan": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Deal, deal_id).approvals["REWARD"]["taxes_fen"] == 100_005


def test_r_st_5_the_reward_api_matches_its_documented_schema(client, committed):
    c, deal_id, tokens = committed
    doc = json.loads(client.get("/api/v1/openapi.json").get_data(as_text=True))
    response = client.get(f"/api/v1/deals/{deal_id}/reward", headers=tokens["seller_user"])
    assert response.status_code == 200
    body = response.get_json()
    schema = doc["paths"]["/deals/{deal_id}/reward"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert conforms(body, schema, doc) == []
    assert {k: body[k] for k in ("basis", "min_pct", "national_pct", "income_fen", "net_income_fen", "floor_fen",
                                 "national_floor_fen", "share_pct")} == {
        "basis": "INCOME", "min_pct": "70", "national_pct": "50", "income_fen": 2_000_005,
        "net_income_fen": 2_000_005, "floor_fen": 1_400_004, "national_floor_fen": 1_000_003, "share_pct": None}
    assert client.get(f"/api/v1/deals/{deal_id}/reward", headers=tokens["buyer_user"]).status_code == 403
    assert client.get(f"/api/v1/deals/{deal_id}/reward", headers=tokens["stranger_user"]).status_code == 404
