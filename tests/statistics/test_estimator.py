"""The open-licence fee estimator (issue 14; R-OL-14): the computation, OL24's caps, the reference table and
its sources, the rates of announced declarations, the page, the assistant's "use these terms", the API."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.time import today_local
from market.deals.open_licence import declarations as ol
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import FeeMode, RoyaltyBase
from market.statistics import estimator, royalty_references
from market.statistics.royalty_references import Declared, TableError, parse_table
from tests import factories as f
from tests.fuzz.runner import load_schema


def _inputs(**typed):
    inputs, errors = estimator.read_inputs({k: str(v) for k, v in typed.items()}, "zh")
    assert not errors, errors
    return inputs


NONE = Declared(base=RoyaltyBase.NET_SALES)


# ---- the computation ---------------------------------------------------------------------------
def test_royalty_lump_sum_and_entry_fee_proposals_are_computed_and_written_out():
    est = estimator.estimate(_inputs(sales_yuan="5,000,000", years=5, rate=3, entry_yuan=100000), NONE)
    by_mode = {p.mode: p for p in est.proposals}
    royalty, lump, entry = by_mode[FeeMode.ROYALTY], by_mode[FeeMode.LUMP_SUM], by_mode[FeeMode.ENTRY_PLUS_ROYALTY]
    assert (royalty.yearly_fen, royalty.total_fen) == (150_000_00, 750_000_00)
    assert royalty.terms["royalty_base"] == "NET_SALES" and royalty.terms["royalty_rate"] == "3"
    assert lump.terms["lump_fen"] == 750_000_00
    # The entry fee counts towards the same expected total: 3% − 100,000 ÷ (5,000,000 × 5) = 2.60%.
    assert entry.terms["royalty_rate"] == "2.60" and entry.terms["entry_fee_fen"] == 100_000_00
    assert entry.total_fen == 100_000_00 + 130_000_00 * 5
    assert "5,000,000元 × 提成比例 3% = 每年约 150,000元" in royalty.words_zh
    assert "not discounted" in lump.words("en") and "2.60%" in entry.words_zh
    assert est.rate_source == estimator.TYPED and not est.notes
    assert all(not p.warnings for p in est.proposals)


def test_profit_is_the_base_when_profit_is_given():
    est = estimator.estimate(_inputs(profit_yuan=1_000_000, years=2, rate="25"), NONE)
    royalty = est.proposals[0]
    assert royalty.terms["royalty_base"] == "PROFIT" and royalty.total_fen == 500_000_00
    assert est.cap_pct == Decimal("40") and est.ceiling_yearly_fen == 400_000_00


def test_each_proposal_is_checked_against_the_ol24_caps():
    over_sales = estimator.estimate(_inputs(sales_yuan=10_000_000, years=10, rate=25), NONE)
    warned = {p.mode: p.warnings for p in over_sales.proposals}
    assert "净销售额的20%" in warned[FeeMode.ROYALTY][0][0]
    assert "2000万元" in warned[FeeMode.LUMP_SUM][0][0]  # 10 years × 2,500,000 = 25,000,000 > 20 m
    over_profit = estimator.estimate(_inputs(profit_yuan=1_000_000, years=1, rate=41), NONE)
    assert "利润的40%" in over_profit.proposals[0].warnings[0][0]
    assert not estimator.estimate(_inputs(profit_yuan=1_000_000, years=1, rate=40), NONE).proposals[0].warnings
    # The caps come from the same configurable place the assistant's check reads.
    stricter = estimator.estimate(_inputs(sales_yuan=1_000_000, years=1, rate=6), NONE, {"net_sales_pct": Decimal("5")})
    assert stricter.proposals[0].warnings and stricter.ceiling_yearly_fen == 50_000_00


def test_an_entry_fee_above_the_expected_royalties_gets_no_royalty_on_top():
    est = estimator.estimate(_inputs(sales_yuan=100_000, years=2, rate=5, entry_yuan=20_000), NONE)
    assert FeeMode.ENTRY_PLUS_ROYALTY not in {p.mode for p in est.proposals}
    assert "不再叠加提成" in est.notes[0][0]


def test_without_a_rate_nothing_is_proposed_but_the_cap_is_shown():
    est = estimator.estimate(_inputs(sales_yuan=1_000_000, years=3), NONE)
    assert est.rate is None and not est.proposals and est.notes
    assert est.ceiling_yearly_fen == 200_000_00


def test_the_declared_median_is_the_rate_when_none_is_typed():
    declared = Declared(base=RoyaltyBase.NET_SALES, tier="group", tier_key="H01M 50", patentees=3,
                        low=Decimal("2"), median=Decimal("3.50"), high=Decimal("5"))
    est = estimator.estimate(_inputs(sales_yuan=1_000_000, years=1), declared)
    assert est.rate == Decimal("3.50") and est.rate_source == estimator.DECLARED
    assert est.proposals[0].total_fen == 35_000_00
    assert "中位数" in estimator.rate_source_words(est, "zh") and "H01M 50" in estimator.rate_source_words(est, "en")


@pytest.mark.parametrize(("typed", "field"), [
    ({"sales_yuan": "NaN", "years": "3"}, "sales_yuan"),
    ({"sales_yuan": "Infinity", "years": "3"}, "sales_yuan"),
    ({"sales_yuan": "-100", "years": "3"}, "sales_yuan"),
    ({"sales_yuan": "1" * 30, "years": "3"}, "sales_yuan"),
    ({"sales_yuan": "0", "years": "3"}, "sales_yuan"),
    ({"years": "3"}, "sales_yuan"),
    ({"sales_yuan": "100", "profit_yuan": "10", "years": "3"}, "profit_yuan"),
    ({"sales_yuan": "100", "years": ""}, "years"),
    ({"sales_yuan": "100", "years": "21"}, "years"),
    ({"sales_yuan": "100", "years": "2.5"}, "years"),
    ({"sales_yuan": "100", "years": "3", "rate": "nan"}, "rate"),
    ({"sales_yuan": "100", "years": "3", "rate": "0"}, "rate"),
    ({"sales_yuan": "100", "years": "3", "rate": "101"}, "rate"),
    ({"sales_yuan": "100", "years": "3", "rate": "1.234"}, "rate"),
    ({"sales_yuan": "100", "years": "3", "entry_yuan": "-1"}, "entry_yuan"),
])
def test_bad_input_is_refused_beside_its_field_in_both_languages(typed, field):
    inputs, errors = estimator.read_inputs(typed, "zh")
    assert inputs is None and field in errors
    _, en = estimator.read_inputs(typed, "en")
    assert errors[field] != en[field] and not re.search("[\u4e00-\u9fff]", en[field][0])


def test_the_api_takes_whole_fen():
    inputs, errors = estimator.read_inputs({"sales_fen": "500000", "years": "1", "rate": "2"}, "en", unit="fen")
    assert inputs.yearly_fen == 500_000 and not errors
    for bad in ("12.5", "1e5", "-3", "NaN", "9" * 25):
        errors = estimator.read_inputs({"sales_fen": bad, "years": "1"}, "en", unit="fen")[1]
        assert "sales_fen" in errors and "12.50" not in errors["sales_fen"][0]


# ---- the reference table -----------------------------------------------------------------------
def test_every_row_of_the_shipped_table_names_its_source():
    table = royalty_references.load_table()
    assert table.version == "royalty_references.v1" and table.rows
    for row in table.rows:
        assert row.source.title and row.source.issuer and row.source.date and row.source.is_link
    assert {r.cap for r in table.caps()} == {"fixed_fen", "net_sales_pct", "profit_pct"}


ROW = {"id": "x", "kind": "rate", "base": "NET_SALES", "industry": "NGIT", "low_pct": "1", "median_pct": "2",
       "high_pct": "3", "words_zh": "新一代信息技术", "words_en": "Next-generation IT",
       "source": {"title": "t", "issuer": "i", "date": "2021", "url": "platform ledger"}}


@pytest.mark.parametrize("change", [
    {"source": {"title": "t", "issuer": "i", "date": "2021"}},
    {"source": {"title": "t", "issuer": "", "date": "2021", "url": "platform ledger"}},
    {"source": {"title": "t", "issuer": "i", "date": "2021", "url": "somewhere"}},
    {"median_pct": "NaN"}, {"low_pct": "5"}, {"kind": "cap", "cap": "made_up"}, {"kind": "other"},
])
def test_a_row_without_its_source_or_with_a_bad_figure_is_refused(change):
    assert parse_table({"version": "v", "rows": [ROW]}).rows[0].median_pct == Decimal("2")
    with pytest.raises(TableError):
        parse_table({"version": "v", "rows": [{**ROW, **change}]})


# ---- the rates of announced open licences -----------------------------------------------------
def _declare(org, fee_terms, *, ipc="H01M 50/449", announce=True):
    """A declaration as announced (the rows the assistant's steps leave), or a draft through the assistant."""
    patent = f.patent(org, ipc=[ipc])
    if not announce:
        owner = f.user(org)
        decl = ol.start_declaration(owner, patent, {"fee_terms": fee_terms, "fee_basis_note": "参照估算指引。",
                                                    "contact": "技术转移中心 021-66130000"})
        db.session.flush()
        return decl
    today = today_local()
    decl = OpenLicenceDeclaration(patent=patent, organisation_id=org.id, patentees=[org.name], fee_terms=fee_terms,
                                  term_start=today, term_end=today + timedelta(days=800), status="ANNOUNCED",
                                  cnipa_filing_date=today, announce_date=today, gazette_issue="第42卷第1号")
    db.session.add(decl)
    db.session.flush()
    return decl


def _royalty(rate, base="NET_SALES", entry=None):
    terms = {"mode": "ENTRY_PLUS_ROYALTY" if entry else "ROYALTY", "royalty_base": base, "royalty_rate": rate}
    return {**terms, "entry_fee_fen": entry} if entry else terms


@pytest.fixture
def announced(session):
    orgs = [f.organisation(f"费率测试大学{i}", "UNIVERSITY") for i in range(3)]
    decls = [_declare(orgs[i % 3], _royalty(rate)) for i, rate in enumerate(["2", "3", "4", "5", "6"])]
    # Not comparable: a profit base, a lump sum, a draft, another field, our own patent's.
    _declare(orgs[0], _royalty("30", "PROFIT"))
    _declare(orgs[0], {"mode": "LUMP_SUM", "lump_fen": 1_000_000})
    _declare(orgs[1], _royalty("19"), announce=False)
    _declare(orgs[1], _royalty("19"), ipc="G06N 3/08")
    own = _declare(orgs[2], _royalty("19"))
    user = f.user(orgs[2])
    db.session.commit()
    return {"orgs": orgs, "decls": decls, "own": own, "user": user}


def _rates(**kw):
    args = {"base": RoyaltyBase.NET_SALES, "ipc_main": "H01M 50/123", "industries": [], "today": today_local()}
    return royalty_references.declared_rates(db.session, **{**args, **kw})


def test_announced_rates_of_the_same_group_give_a_range_and_a_median(announced):
    d = _rates(exclude_patent_id=announced["own"].patent_id)
    assert (d.tier, d.tier_key, d.patentees) == ("group", "H01M 50", 3)
    assert sorted(r.rate for r in d.rates) == [Decimal(x) for x in "23456"]
    assert (d.low, d.median, d.high) == (Decimal("3.00"), Decimal("4.00"), Decimal("5.00"))
    assert [r.declaration_id for r in d.rates][0] > [r.declaration_id for r in d.rates][-1]  # recent first
    profit = _rates(base=RoyaltyBase.PROFIT, exclude_patent_id=None)
    assert [r.rate for r in profit.rates] == [Decimal("30")] and not profit.has_range


def test_too_few_declarations_give_no_range(announced):
    announced["own"].status = "WITHDRAWAL_FILED"  # still public: counted
    d = _rates(exclude_patent_id=announced["decls"][0].patent_id, ipc_main="H01M 50/10")
    assert len(d.rates) == 5 and d.has_range
    thin = _rates(exclude_patent_id=None, ipc_main="G06N 3/08")
    assert (thin.tier, len(thin.rates), thin.has_range) == ("group", 1, False)  # the narrowest that has any


def test_declarations_announced_before_the_window_are_left_out(announced):
    later = _rates(exclude_patent_id=None, today=today_local() + timedelta(days=6 * 366))
    assert later.rates == []


# ---- the page, the assistant's panel and "use these terms" -------------------------------------
def test_the_estimator_needs_a_login(client, member):
    response = client.get("/pricing/estimate?sales_yuan=100&years=1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_shows_proposals_caps_and_linked_declarations_in_chinese_and_english(client, announced):
    f.login(client, announced["user"])
    app_no = announced["own"].patent.application_number
    zh = client.get(f"/pricing/estimate?app_no={app_no}&sales_yuan=2000000&years=3")
    html = zh.get_data(as_text=True)
    assert zh.status_code == 200, html[-2000:]
    assert "提成支付" in html and "一次总算一次总付" in html and "中位数" in html
    assert f"/open-licences/{announced['decls'][-1].id}" in html  # each declaration linked
    assert "一般不高于净销售额的" in html and "fengqipaper.com" in html  # the table row and its source
    en = client.get(f"/pricing/estimate?app_no={app_no}&sales_yuan=2000000&years=3&rate=25&lang=en")
    text = en.get_data(as_text=True)
    assert "Use these terms" in text and "usual open-licence limit" in text and "R-OL-14" in text


@pytest.fixture
def member(session):
    user = f.user(f.organisation("估算测试企业", "PRIVATE"))
    db.session.commit()
    return user


BAD_PAGE = [("sales_yuan=NaN&years=3", "sales_yuan", 'value="NaN"'),
            ("sales_yuan=1&profit_yuan=1&years=3", "profit_yuan", 'value="1"'),
            ("sales_yuan=-5&years=3", "sales_yuan", 'value="-5"'),
            ("sales_yuan=100&years=99", "years", 'value="100"'),
            ("sales_yuan=100&years=3&rate=abc", "rate", 'value="100"'),
            ("sales_yuan=&years=3", "sales_yuan", 'value="3"'),
            ("sales_yuan=100000000000000&years=3", "sales_yuan", 'value="3"'),
            ("ipc=H99&sales_yuan=100&years=3", "ipc", 'value="100"')]


def test_bad_input_keeps_what_was_typed_and_shows_the_error_beside_it(client, member):
    f.login(client, member)
    for query, field, kept in BAD_PAGE:
        response = client.get("/pricing/estimate?" + query)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (query, html[-2000:])
        assert (f'id="est-err-{field}"' if field != "ipc" else "IPC 分类号无效") in html, query
        assert kept in html, query
    en = client.get("/pricing/estimate?sales_yuan=NaN&years=3&lang=en").get_data(as_text=True)
    assert "Enter an amount" in en


def test_years_beyond_the_patents_remaining_term_are_refused(client, member):
    patent = f.patent(member.organisation)
    patent.last_protected_day = today_local() + timedelta(days=400)
    db.session.commit()
    f.login(client, member)
    response = client.get(f"/pricing/estimate?app_no={patent.application_number}&sales_yuan=100&years=3")
    assert response.status_code == 422 and 'id="est-err-years"' in response.get_data(as_text=True)


def test_the_assistant_offers_the_estimator_panel(client, member):
    user = member
    patent = f.patent(member.organisation)
    db.session.commit()
    f.login(client, user)
    page = client.get(f"/patents/{patent.application_number}/open-licence").get_data(as_text=True)
    assert "data-estimator-fragment" in page and 'id="fee-estimator"' in page
    fragment = client.get(f"/pricing/estimate?partial=1&app_no={patent.application_number}").get_data(as_text=True)
    assert "<html" not in fragment and 'form="fee-estimator"' in fragment


def test_use_these_terms_fills_the_assistant_and_saves_nothing(client, member):
    user = member
    patent = f.patent(member.organisation)
    db.session.commit()
    f.login(client, user)
    html = client.get(f"/pricing/estimate?app_no={patent.application_number}&sales_yuan=1000000&years=2&rate=4"
                      "&entry_yuan=10000").get_data(as_text=True)
    links = [a for a in html.split('href="')[1:] if a.startswith(f"/patents/{patent.application_number}/open-licence")]
    assert len(links) == 3  # one per proposal, for the patentee
    link = next(a for a in links if "ENTRY_PLUS_ROYALTY" in a).split('"')[0].replace("&amp;", "&")
    before = db.session.scalar(select(func.count(OpenLicenceDeclaration.id)))
    form = client.get(link)
    page = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'value="10000"' in page and 'value="3.50"' in page and "已按估算结果填入" in page
    assert '<option value="ENTRY_PLUS_ROYALTY" selected' in page and "参照《专利开放许可使用费估算指引" in page
    assert db.session.scalar(select(func.count(OpenLicenceDeclaration.id))) == before
    # The data-fill-fee values are the same fields, as JSON.
    fill = html.split('data-fill-fee="')[1].split('"')[0].replace("&#34;", '"').replace("&amp;", "&")
    assert json.loads(fill)["mode"] == "ROYALTY"


def test_use_these_terms_is_offered_to_the_patentee_only(client, announced):
    other = f.user(f.organisation("别的企业", "PRIVATE"))
    db.session.commit()
    f.login(client, other)
    app_no = announced["own"].patent.application_number
    html = client.get(f"/pricing/estimate?app_no={app_no}&sales_yuan=1000000&years=2&rate=4").get_data(as_text=True)
    assert "提成支付" in html and "使用此方案" not in html


def test_suggested_terms_go_to_the_draft_being_edited(client, member):
    user = member
    draft = _declare(member.organisation, {"mode": "LUMP_SUM", "lump_fen": 5_000_000}, announce=False)
    db.session.commit()
    f.login(client, user)
    response = client.get(f"/patents/{draft.patent.application_number}/open-licence?mode=ROYALTY"
                          "&royalty_base=PROFIT&royalty_rate=12")
    assert response.status_code == 302 and f"/open-licences/{draft.id}/edit" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="12"' in page and '<option value="PROFIT" selected' in page
    assert 'name="lump_yuan" type="text" value=""' in page or 'id="f-lump_yuan" name="lump_yuan" type="text">' in page
    db.session.refresh(draft)
    assert draft.fee_terms["mode"] == "LUMP_SUM"  # nothing saved by the GET


# ---- the JSON API ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def documented(app):
    """The operation as /api/v1/openapi.json describes it (built once: it takes seconds)."""
    return load_schema(app)["/pricing/estimate"]["GET"]


def test_the_api_answers_in_fen_and_decimal_strings_as_documented(client, announced, documented):
    headers = {"Authorization": "Bearer " + issue_api_token(announced["user"], "t")[1]}
    app_no = announced["own"].patent.application_number
    assert client.get("/api/v1/pricing/estimate?sales_fen=100&years=1").status_code == 401
    response = client.get(f"/api/v1/pricing/estimate?app_no={app_no}&sales_fen=200000000&years=3&entry_fen=1000000",
                          headers=headers)
    data = response.get_json()
    assert response.status_code == 200, data
    assert data["rate"] == "4.00" and data["rate_source"] == "declared"
    assert data["declared"]["median"] == "4.00" and len(data["declared"]["declarations"]) == 5
    royalty = data["proposals"][0]
    assert royalty["mode"] == "ROYALTY" and royalty["yearly_fen"] == 8_000_000 and royalty["terms"]["royalty_rate"] == "4.00"
    assert royalty["use_url"].startswith(f"/patents/{app_no}/open-licence?")
    assert data["references"][0]["source"]["issuer"] == "国家知识产权局"
    documented.validate_response(response)


BAD_API = [("sales_fen=NaN&years=1", "sales_fen"), ("sales_fen=1&profit_fen=1&years=1", "profit_fen"),
           ("sales_fen=-1&years=1", "sales_fen"), ("sales_fen=1.5&years=1", "sales_fen"), ("years=1", "sales_fen"),
           ("sales_fen=100&years=0", "years"), ("sales_fen=100000000000000000&years=1", "sales_fen"),
           ("sales_fen=100&years=1&rate=Infinity", "rate"), ("sales_fen=100&years=1&entry_fen=0", "entry_fen")]


def test_the_api_refuses_bad_input_with_a_422_naming_the_field(client, member, documented):
    headers = {"Authorization": "Bearer " + issue_api_token(member, "t")[1]}
    for query, field in BAD_API:
        response = client.get("/api/v1/pricing/estimate?" + query, headers=headers)
        assert response.status_code == 422, (query, response.get_json())
        assert field in response.get_json()["error"]["fields"], query
        documented.validate_response(response)


def test_the_estimator_page_opens_from_a_patent_without_figures(client, member):
    patent = f.patent(member.organisation)
    db.session.commit()
    f.login(client, member)
    response = client.get(f"/pricing/estimate?app_no={patent.application_number}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and patent.title in html and "est-err" not in html

