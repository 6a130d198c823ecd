"""Pricing guidance (issue 14): comparables from the statistics ledger, bands for others' private
amounts, a suggested range with how it was computed, and the panel on the lower floors' forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from market.core.errors import DomainError
from market.core.extensions import db
from market.core.time import today_local
from market.statistics import pricing
from tests import factories as f
from tests.statistics import ledger

TODAY = date(2025, 6, 30)


def _patent(owner, ipc="H01M 50/449", industries=None):
    p = f.patent(owner, ipc=[ipc])
    if industries is not None:
        p.industry_tags = industries
    db.session.flush()
    return p


@pytest.fixture
def market(session):
    sellers = [f.organisation(f"定价测试大学{i}", "UNIVERSITY") for i in range(3)]
    buyer = f.organisation("定价测试企业", "PRIVATE")
    other = f.organisation("定价测试他方企业", "PRIVATE")
    # Five transfers in H01M 50 from three sellers, newest last; the buyer is party to the newest.
    amounts = [100_000_00, 200_000_00, 300_000_00, 400_000_00, 520_000_00]
    deals = []
    for i, fen in enumerate(amounts):
        seller = sellers[i % 3]
        deals.append(ledger.deal("TRANSFER", _patent(seller), seller, buyer if i == 4 else other,
                                 on=date(2024, 1 + i, 10), price_fen=fen))
    # Not comparable: another kind, a void deal, one before the window, one in another field.
    ledger.deal("LICENSE_ORDINARY", _patent(sellers[0]), sellers[0], other, on=date(2024, 8, 1), price_fen=9_000_000_00)
    ledger.deal("TRANSFER", _patent(sellers[0]), sellers[0], other, on=date(2024, 9, 1), price_fen=9_000_000_00,
                void_on=date(2024, 9, 5))
    ledger.deal("TRANSFER", _patent(sellers[1]), sellers[1], other, on=date(2019, 1, 1), price_fen=9_000_000_00)
    ledger.deal("TRANSFER", _patent(sellers[1], "G06N 3/08"), sellers[1], other, on=date(2024, 10, 1),
                price_fen=9_000_000_00)
    db.session.commit()
    return {"sellers": sellers, "buyer": buyer, "other": other, "deals": deals}


def _guide(kind="TRANSFER", ipc="H01M 50/123", industries=(), viewer=None):
    return pricing.guidance(db.session, kind=kind, ipc_main=ipc, industries=list(industries),
                            viewer_org_id=viewer, today=TODAY)


def test_comparables_are_counted_deals_of_the_same_group_and_kind_most_recent_first(market):
    g = _guide(viewer=market["buyer"].id)
    assert (g.tier, g.tier_key, g.count, g.priced, g.sellers) == ("group", "H01M 50", 5, 5, 3)
    assert [c.deal_id for c in g.comparables] == [d.id for d in reversed(market["deals"])]
    assert g.evidence == {"SELF_DECLARED": 5}


def test_others_private_amounts_are_bands_and_ones_own_exact(market):
    g = _guide(viewer=market["buyer"].id)
    own, *others = g.comparables
    assert own.own and own.amount_fen == 520_000_00 and own.band is None
    assert all(c.amount_fen is None and c.band is not None for c in others)
    assert others[0].band == pricing.Band(10_000_000, 50_000_000)  # 400,000 元 in 10万–50万
    # A stranger sees no exact amount at all.
    assert all(c.amount_fen is None for c in _guide(viewer=None).comparables)


def test_the_suggested_range_is_the_middle_half_rounded_outward(market):
    g = _guide()
    # Quartiles of 10万, 20万, 30万, 40万, 52万 元 are 20万 and 40万.
    assert (g.low_fen, g.high_fen) == (200_000_00, 400_000_00)
    words = pricing.explanation(g, "zh")
    assert "同一 IPC 大组（H01M 50）" in words and "第 25 至第 75 百分位" in words and "5 笔" in words
    assert "middle half" in pricing.explanation(g, "en")


def test_no_range_rests_on_fewer_than_three_sellers(market):
    seller = market["sellers"][0]
    for n in range(5):
        ledger.deal("EQUITY", _patent(seller), seller, market["other"], on=date(2024, 2, 1 + n), price_fen=1_000_000_00)
    g = _guide(kind="EQUITY")
    assert g.count == 5 and g.sellers == 1 and not g.has_range
    assert "不提供建议区间" in pricing.explanation(g, "zh")


def test_a_thin_group_widens_to_the_subclass_then_the_industry(market):
    # H01M 10 has no transfer: the subclass H01M holds the five.
    g = _guide(ipc="H01M 10/0525")
    assert (g.tier, g.tier_key, g.count) == ("subclass", "H01M", 5)
    # Nothing in G06F, but the industry tag finds the G06N transfer (one: no range, still listed).
    for p in db.session.query(pricing.Patent).filter(pricing.Patent.ipc_main == "G06N 3/08"):
        p.industry_tags = ["1.5"]
    db.session.flush()
    g = _guide(ipc="G06F 16/33", industries=["1.5"])
    assert (g.tier, g.count, g.has_range) == ("industry", 1, False)
    assert _guide(ipc="E04B 1/00").tier is None


def test_the_statement_is_built_once_and_each_key_finds_its_own_patents(market):
    # One statement per kind and tier, whatever the key: building it cost a third of a question.
    assert pricing.comparables_statement("TRANSFER", "group", "H01M 50", "sqlite") is \
        pricing.comparables_statement("TRANSFER", "group", "G06N 3", "sqlite")
    # …and the key still decides which patents are compared, asked one after the other.
    assert [c.ipc_main for c in _guide(ipc="G06N 3/01").comparables] == ["G06N 3/08"]
    assert _guide(ipc="H01M 50/123").count == 5
    assert _guide(ipc="G06N 3/01").count == 1
    # An industry that is not given (NONE: untagged patents) keeps a statement of its own.
    assert pricing.comparables_statement("TRANSFER", "industry", "NONE") is not \
        pricing.comparables_statement("TRANSFER", "industry", "1.5")


def test_open_licence_fees_are_announced_so_shown_exactly(market):
    seller = market["sellers"][2]
    ledger.deal("OPEN_LICENSE", _patent(seller), seller, market["other"], on=date(2025, 1, 2),
                fee_terms={"mode": "LUMP_SUM", "lump_fen": 30_000_00})
    ledger.deal("OPEN_LICENSE", _patent(seller), seller, market["other"], on=date(2025, 1, 3),
                fee_terms={"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "3"})
    g = _guide(kind="OPEN_LICENSE")
    assert [(c.amount_fen, c.royalty_only) for c in g.comparables] == [(None, True), (30_000_00, False)]


def test_an_unknown_kind_is_refused():
    with pytest.raises(DomainError):
        pricing.guidance(db.session, kind="LOAN", ipc_main="H01M 50/449", industries=[], viewer_org_id=None,
                         today=TODAY)


@pytest.mark.parametrize(("fen", "up", "expected"), [(123_456_78, False, 120_000_00), (123_456_78, True, 130_000_00),
                                                     (120_000_00, True, 120_000_00), (5_50, True, 6_00),
                                                     (0, True, 0)])
def test_round_out_keeps_two_significant_figures(fen, up, expected):
    assert pricing.round_out(fen, up) == expected


def test_bands_cover_every_amount():
    assert pricing.band_of(1) == pricing.Band(0, 1_000_000)
    assert pricing.band_of(1_000_000) == pricing.Band(1_000_000, 5_000_000)
    assert pricing.band_of(10**13) == pricing.Band(5_000_000_000, None)


# ---- the page, the fragment, the JSON and the panels -------------------------------------------
@pytest.fixture
def recent(session):
    """Counted transfers dated within the window of the server's today, and a user of the buyer."""
    today = today_local()
    sellers = [f.organisation(f"定价页面大学{i}", "UNIVERSITY") for i in range(3)]
    buyer, other = f.organisation("定价页面企业", "PRIVATE"), f.organisation("定价页面他方", "PRIVATE")
    for i in range(5):
        seller = sellers[i % 3]
        ledger.deal("TRANSFER", _patent(seller), seller, buyer if i == 0 else other,
                    on=today - timedelta(days=30 * (i + 1)), price_fen=(i + 1) * 123_456_00)
    mine = _patent(buyer)
    user = f.user(buyer)
    db.session.commit()
    return {"user": user, "mine": mine, "buyer": buyer}


def test_guidance_needs_a_login(client, recent):
    response = client.get("/pricing/guidance?ipc=H01M+50/449")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_json_never_carries_another_organisations_exact_amount(client, recent):
    f.login(client, recent["user"])
    data = client.get("/pricing/guidance?ipc=H01M+50/449&kind=TRANSFER&format=json").get_json()
    assert "errors" not in data, data
    assert data["tier"] == "group" and data["count"] == 5 and data["suggested"]
    exact = [c["amount_fen"] for c in data["comparables"] if c["amount_fen"] is not None]
    assert exact == [123_456_00]  # the buyer's own deal only
    assert all(c["band"] for c in data["comparables"] if not c["own"])
    others = {n * 123_456_00 for n in range(2, 6)}
    assert not others & set(_numbers(client.get("/pricing/guidance?ipc=H01M+50/449").get_data(as_text=True)))


def _numbers(html: str) -> list[int]:
    """Every amount the page shows, as fen (万元 figures and plain yuan)."""
    found = []
    for text in re.findall(r"[\d,]+(?:\.\d+)?", html):
        value = text.replace(",", "")
        if value and value.replace(".", "", 1).isdigit():
            found += [round(float(value) * 100), round(float(value) * 1_000_000)]
    return found


def test_page_in_chinese_and_english(client, recent):
    f.login(client, recent["user"])
    zh = client.get("/pricing/guidance?app_no=" + recent["mine"].application_number).get_data(as_text=True)
    assert "参考区间" in zh and "可比交易" in zh and "当事人自报" in zh
    en = client.get("/pricing/guidance?ipc=H01M+50/449&lang=en").get_data(as_text=True)
    assert "Suggested range" in en and "middle half" in en


@pytest.mark.parametrize(("query", "field"), [("ipc=H99", "ipc"), ("", "ipc"), ("app_no=123", "app_no"),
                                              ("ipc=H01M+50/449&kind=LOAN", "kind")])
def test_bad_input_is_shown_beside_its_field(client, recent, query, field):
    f.login(client, recent["user"])
    response = client.get("/pricing/guidance?" + query)
    assert response.status_code == 422, response.get_data(as_text=True)[-3000:]
    assert f'id="err-{field}"' in response.get_data(as_text=True)


def test_the_listing_form_and_the_open_licence_assistant_offer_the_panel(client, recent):
    f.login(client, recent["user"])
    listing = f.listing(recent["buyer"], f.point(), modes=["LICENSE_ORDINARY"])
    db.session.commit()
    page = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert "data-pricing-fragment" in page and "kind=LICENSE_ORDINARY" in page
    page = client.get(f"/patents/{recent['mine'].application_number}/open-licence").get_data(as_text=True)
    assert "data-pricing-fragment" in page and "kind=OPEN_LICENSE" in page
    fragment = client.get("/pricing/guidance?partial=1&kind=OPEN_LICENSE&app_no="
                          + recent["mine"].application_number)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def _kind_select(html: str) -> tuple[str, list[str]]:
    """The kind select's first option and the values of the options marked selected."""
    select = re.search(r'<select id="f-kind".*?</select>', html, re.S).group(0)
    first = re.search(r'<option value="([^"]*)"', select).group(1)
    return first, re.findall(r'<option value="([^"]*)" selected', select)


@pytest.mark.parametrize("query", ["ipc=H01M+50/449&kind=LOAN", "ipc=H01M+50/449&kind="])
def test_a_kind_not_chosen_shows_choose_not_transfer(client, recent, query):
    """The page said no kind was chosen while its select showed 转让: now the empty option shows."""
    f.login(client, recent["user"])
    response = client.get("/pricing/guidance?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="err-kind"' in html
    assert _kind_select(html) == ("", [])  # nothing selected: the browser shows the first, 请选择
    assert ">请选择</option>" in html


@pytest.mark.parametrize(("query", "shown"), [("ipc=H01M+50/449", "TRANSFER"),
                                              ("ipc=H01M+50/449&kind=EQUITY", "EQUITY")])
def test_the_kind_select_shows_the_kind_the_guidance_is_for(client, recent, query, shown):
    f.login(client, recent["user"])
    response = client.get("/pricing/guidance?" + query)
    assert response.status_code == 200 and _kind_select(response.get_data(as_text=True)) == ("", [shown])
