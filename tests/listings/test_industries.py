"""The IPC → strategic emerging industry mapping (listings/industries.py)."""

import json

import pytest

from listings.industries import (
    MAPPING_PATH,
    MAPPING_VERSION,
    all_industries,
    industries_for_ipc,
    industry_label,
    matching_rule,
    normalise_ipc,
)

CODES = ["NGIT", "HEM", "NMAT", "BIO", "NEV", "NEN", "EPEC", "DIGI", "SERV"]


def test_the_mapping_file_carries_its_version_and_a_rich_rule_table():
    data = json.loads(MAPPING_PATH.read_text(encoding="utf-8"))
    assert MAPPING_PATH.name == f"{MAPPING_VERSION}.json"
    assert data["version"] == MAPPING_VERSION == "sei-ipc-2021.v1"
    assert data["source"] and data["note"].startswith("approximation")
    assert len(data["rules"]) >= 100


def test_all_nine_industries_are_listed_in_official_order_each_with_both_labels():
    assert all_industries() == CODES
    assert industry_label("NGIT") == "新一代信息技术"
    assert industry_label("NGIT", "en") == "Next-generation information technology"
    assert all(industry_label(code) and industry_label(code, "en") for code in CODES)


def test_label_is_chinese_by_default_and_english_on_request():
    assert industry_label("BIO") == "生物"
    assert industry_label("NEV", lang="en") == "New-energy vehicles"
    assert industry_label("EPEC", "zh") == "节能环保"


def test_label_of_an_unknown_code_raises_key_error():
    with pytest.raises(KeyError, match="XYZ"):
        industry_label("XYZ")


@pytest.mark.parametrize("symbol, expected", [
    ("H01M 50/449", ["NEV", "NEN"]),
    ("C12N 15/82", ["BIO"]),
    ("A61K 39/395", ["BIO"]),
    ("G06F 16/35", ["NGIT"]),
    ("H04W 4/70", ["NGIT"]),
    ("B25J 9/16", ["HEM"]),
    ("C22C 38/02", ["NMAT"]),
    ("C08L 23/06", ["NMAT"]),
    ("C02F 3/30", ["EPEC"]),
    ("H02S 40/30", ["NEN"]),
    ("F03D 7/02", ["NEN"]),
    ("B60L 53/16", ["NEV"]),
    ("A63F 13/52", ["DIGI"]),
    ("A01H 6/46", ["BIO"]),
])
def test_typical_symbols_map_to_their_industry(symbol, expected):
    assert industries_for_ipc([symbol]) == expected


def test_longest_prefix_wins_over_the_subclass_rule():
    assert industries_for_ipc(["B60L 53/16"]) == ["NEV"]
    assert industries_for_ipc(["B60L 13/04"]) == ["HEM"]          # maglev: rail equipment
    assert industries_for_ipc(["G06T 19/00"]) == ["DIGI"]
    assert industries_for_ipc(["G06T 7/0004"]) == ["NGIT"]        # machine vision
    assert industries_for_ipc(["H01L 21/02"]) == ["NGIT"]
    assert industries_for_ipc(["H01L 31/0224"]) == ["NEN"]        # solar cells
    assert matching_rule("H01M 10/0525")["prefix"] == "H01M"
    assert matching_rule("H01M 10/54")["prefix"] == "H01M 10/54"


def test_group_rule_covers_subgroups_whose_number_extends_it():
    assert matching_rule("G01N 33/574")["prefix"] == "G01N 33/5"
    assert industries_for_ipc(["G01N 33/574"]) == ["BIO"]
    assert industries_for_ipc(["G01N 33/18"]) == ["EPEC"]


def test_main_group_rule_does_not_match_a_longer_main_group_number():
    # "A01K 67" must not cover "A01K 6…"; "C01B 3" must not cover "C01B 32" (graphene).
    assert industries_for_ipc(["A01K 67/0275"]) == ["BIO"]
    assert industries_for_ipc(["A01K 61/10"]) == []
    assert industries_for_ipc(["C01B 32/184"]) == ["NMAT"]
    assert industries_for_ipc(["C01B 3/04"]) == ["NEN"]


def test_an_exclusion_rule_removes_a_part_of_a_mapped_subclass():
    assert industries_for_ipc(["A61K 8/97"]) == []                # cosmetics
    assert industries_for_ipc(["A61K 36/8962"]) == ["BIO"]
    assert industries_for_ipc(["H01M 6/18"]) == []                # primary cells


def test_a_plain_farm_tool_subclass_maps_to_nothing():
    assert industries_for_ipc(["A01B"]) == []
    assert industries_for_ipc(["A01B 1/02"]) == []
    assert industries_for_ipc(["A01D 34/00"]) == []
    assert industries_for_ipc(["A01B 69/00"]) == ["HEM"]          # automatic guidance


def test_class_level_rule_covers_every_subclass_of_the_class():
    assert industries_for_ipc(["C08"]) == ["NMAT"]
    assert industries_for_ipc(["C08K 3/04"]) == ["NMAT"]
    assert industries_for_ipc(["H03K 17/687"]) == ["NGIT"]


def test_multiple_symbols_give_the_union_in_order_of_first_occurrence():
    symbols = ["H01M 50/449", "C01B 32/182", "H01M 4/62", "B01D 53/86"]
    assert industries_for_ipc(symbols) == ["NEV", "NEN", "NMAT", "EPEC"]
    assert industries_for_ipc(["C01B 32/182", "H01M 4/62"]) == ["NMAT", "NEV", "NEN"]


def test_symbols_in_cn_export_spellings_are_normalised_before_matching():
    assert normalise_ipc("H04L9/06(2006.01)I") == "H04L 9/06"
    assert normalise_ipc(" h01m  10/0525 ") == "H01M 10/0525"
    assert normalise_ipc("A01K") == "A01K"
    assert normalise_ipc("A01K0067/027") == "A01K 67/027"
    assert industries_for_ipc(["H04L9/06(2006.01)I"]) == ["NGIT"]


def test_non_ipc_and_unmapped_symbols_add_nothing():
    assert normalise_ipc("14-03") is None
    assert industries_for_ipc(["14-03", "not a symbol", ""]) == []
    assert industries_for_ipc([]) == []
    assert matching_rule("garbage") is None


def test_a_single_symbol_string_is_treated_as_one_symbol():
    assert industries_for_ipc("C12N 15/82") == ["BIO"]
