"""The demo catalogue (market/demo/catalogue.py): organisations, chain points, generated patents."""

import re
from collections import Counter
from datetime import date

import pytest

from listings.industries import industries_for_ipc, normalise_ipc
from listings.numbers import check_character
from market.demo.catalogue import DEMO_ORGS, DEMO_POINTS, SUPPLIER_TYPES, demo_patents
from market.demo.topics import TOPICS

ORGS = {org["key"]: org for org in DEMO_ORGS}
QUERIES = ["锂电池 隔膜", "石墨烯", "机器人", "抗体", "光伏", "芯片", "污水处理", "水稻"]


@pytest.fixture(scope="module")
def patents():
    return demo_patents()


def test_same_seed_gives_the_same_catalogue_and_another_seed_a_different_one(patents):
    assert demo_patents() == patents
    assert demo_patents(n=320, seed=7) == patents
    assert [p["title"] for p in demo_patents(seed=8)] != [p["title"] for p in patents]


def test_default_catalogue_has_320_distinct_titles(patents):
    assert len(patents) == 320
    assert len({p["title"] for p in patents}) == 320


def test_a_smaller_catalogue_can_be_asked_for_and_an_impossible_one_is_refused():
    small = demo_patents(n=40, seed=1)
    assert len({p["title"] for p in small}) == 40
    with pytest.raises(ValueError, match="distinct"):
        demo_patents(n=5000)


def test_templates_come_from_at_least_25_topic_families_of_3_to_6_templates():
    assert len(TOPICS) >= 25
    assert len({t.key for t in TOPICS}) == len(TOPICS)
    assert all(3 <= len(t.templates) <= 6 for t in TOPICS)


def test_patent_types_are_about_70_25_5_percent(patents):
    assert Counter(p["patent_type"] for p in patents) == {
        "INVENTION": 224, "UTILITY_MODEL": 80, "DESIGN": 16}


def test_designs_carry_a_locarno_class_and_the_others_one_to_three_ipc_symbols(patents):
    for p in patents:
        if p["patent_type"] == "DESIGN":
            assert p["ipc"] == [] and re.fullmatch(r"\d{2}-\d{2}", p["locarno"])
        else:
            assert 1 <= len(p["ipc"]) <= 3 and p["locarno"] is None
            assert all(normalise_ipc(symbol) == symbol for symbol in p["ipc"])


def test_almost_every_ipc_classified_patent_falls_in_a_strategic_industry(patents):
    classified = [p for p in patents if p["ipc"]]
    mapped = [p for p in classified if industries_for_ipc(p["ipc"])]
    assert len(mapped) >= 0.95 * len(classified)
    codes = Counter(code for p in classified for code in industries_for_ipc(p["ipc"]))
    assert len(codes) >= 7


def test_patents_spread_over_the_strategic_sectors(patents):
    sectors = Counter(p["sector"] for p in patents)
    for sector in ("生物医药", "新材料", "新一代信息技术", "新能源", "智能制造", "节能环保",
                   "新能源汽车", "集成电路", "人工智能"):
        assert sectors[sector] >= 5, sector


def test_every_owner_and_co_owner_is_a_known_supplier(patents):
    for p in patents:
        assert ORGS[p["owner_key"]]["org_type"] in SUPPLIER_TYPES
        for key in p["co_owner_keys"]:
            assert key != p["owner_key"] and ORGS[key]["org_type"] in SUPPLIER_TYPES


def test_ten_to_fifteen_percent_of_patents_are_co_owned(patents):
    share = sum(bool(p["co_owner_keys"]) for p in patents) / len(patents)
    assert 0.10 <= share <= 0.15


@pytest.mark.parametrize("query", QUERIES)
def test_each_demo_search_query_finds_at_least_three_patents(patents, query):
    terms = query.split()
    hits = [p for p in patents if all(t in p["title"] + p["abstract"] for t in terms)]
    assert len(hits) >= 3


def test_abstracts_are_two_to_four_sentences_of_80_to_200_characters(patents):
    for p in patents:
        assert 80 <= len(p["abstract"]) <= 200, p["abstract"]
        assert 2 <= p["abstract"].count("。") <= 4, p["abstract"]
        assert p["title"] in p["abstract"]
        assert "{" not in p["abstract"] + p["title"] + p["title_en"]


def test_every_patent_has_its_descriptive_fields_filled(patents):
    for p in patents:
        assert p["title_en"].isascii() and not p["title_en"][0].islower()
        assert 2 <= len(p["inventors"]) <= 5 and len(set(p["inventors"])) == len(p["inventors"])
        assert all(2 <= len(name) <= 3 for name in p["inventors"])
        for field in ("problem_solved", "advantages", "applications"):
            assert p[field].endswith("。")
        assert p["maturity"] in {"LAB", "PILOT", "PROTOTYPE", "SMALL_BATCH", "INDUSTRIAL"}


def test_filing_dates_are_2008_to_2024_with_utility_models_and_designs_recent(patents):
    earliest = {"INVENTION": 2008, "UTILITY_MODEL": 2016, "DESIGN": 2018}
    for p in patents:
        filed = date.fromisoformat(p["filing_date"])
        assert earliest[p["patent_type"]] <= filed.year <= 2024


def test_application_numbers_are_unique_well_formed_and_match_the_type(patents):
    numbers = [p["app_no"] for p in patents]
    assert len(set(numbers)) == len(numbers)
    type_digit = {"INVENTION": "1", "UTILITY_MODEL": "2", "DESIGN": "3"}
    for p in patents:
        digits, check = p["app_no"].split(".")
        assert check == check_character(digits)
        assert digits[:4] == p["filing_date"][:4] and digits[4] == type_digit[p["patent_type"]]


def test_organisations_cover_every_role_with_fictional_contacts():
    assert len(ORGS) == len(DEMO_ORGS)
    assert Counter(o["org_type"] for o in DEMO_ORGS) == {
        "UNIVERSITY": 5, "RESEARCH_INSTITUTE": 2, "SOE": 4, "PRIVATE": 6, "BUREAU": 1,
        "POINT_OPERATOR": 3}
    assert {o["soe_level"] for o in DEMO_ORGS if o["org_type"] == "SOE"} == {
        "CENTRAL", "MUNICIPAL", "DISTRICT"}
    assert all(o["soe_level"] is None for o in DEMO_ORGS if o["org_type"] != "SOE")
    for o in DEMO_ORGS:
        assert o["name"] and o["name_en"].isascii() and o["district"] and o["contact_name"]
        assert re.fullmatch(r"0\d{2,3}-5555 \d{4}", o["contact_phone"])
    assert len({o["name"] for o in DEMO_ORGS}) == len(DEMO_ORGS)
    assert {o["district"] for o in DEMO_ORGS if o["org_type"] == "PRIVATE"} > {"宝山区"}


def test_the_chain_has_eleven_points_each_run_by_an_existing_operator():
    assert len(DEMO_POINTS) == 11
    assert len({p["key"] for p in DEMO_POINTS}) == len({p["name"] for p in DEMO_POINTS}) == 11
    for point in DEMO_POINTS:
        assert point["name"].startswith("浦江之光专利超市·")
        assert point["district"] and point["address"]
        assert ORGS[point["operator_key"]]["org_type"] == "POINT_OPERATOR"
    assert {p["operator_key"] for p in DEMO_POINTS} == {
        o["key"] for o in DEMO_ORGS if o["org_type"] == "POINT_OPERATOR"}
