"""Application and publication numbers (domain.md §1.2-1.3), checked on the shared real data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from listings.numbers import (
    ApplicationNumber,
    check_character,
    normalise_publication_number,
    parse_application_number,
    publication_kind,
)
from listings.vocabulary import PatentType
from market.core.errors import DomainError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TODAY = date(2025, 6, 1)


def _jsonl(relative: str) -> list[dict]:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (../shared/data is absent)")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- check character -------------------------------------------------------------------------

@pytest.mark.parametrize("digits, expected", [
    ("201310699744", "2"),   # domain.md worked example: sum 233, 233 mod 11 = 2
    ("202010123456", "2"),   # domain.md counter-example's correct check: sum 112
    ("200610108546", "4"),
    ("95115608", "X"),       # legacy worked example: sum 186, 186 mod 11 = 10
    ("97101765", "4"),
    ("90101673", "X"),
])
def test_check_character_matches_the_worked_examples(digits, expected):
    assert check_character(digits) == expected


@pytest.mark.parametrize("digits", ["", "1234567", "2020101234567", "20201012345a"])
def test_check_character_rejects_anything_but_8_or_12_digits(digits):
    with pytest.raises(ValueError):
        check_character(digits)


# --- accepted input forms --------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "202010123456.2",
    "2020 1 0123456.2",
    "20201 0123456.2",
    "2020 10123456.2",
    "CN202010123456.2",
    "CN2020101234562",
    "ZL202010123456.2",
    "zl 202010123456.2",
    "cn 202010123456.2",
    "  202010123456.2\t",
    "２０２０１０１２３４５６．２",
    "ＣＮ２０２０　１　０１２３４５６．２",
])
def test_every_real_input_form_normalises_to_the_same_number(raw):
    number = parse_application_number(raw, today=TODAY)
    assert number.normalised == "202010123456.2"
    assert (number.digits, number.check) == ("202010123456", "2")


@pytest.mark.parametrize("raw, normalised", [
    ("95115608.X", "95115608.X"),
    ("95115608.x", "95115608.X"),
    ("CN96121602.6", "96121602.6"),
    ("CN03100637.X", "03100637.X"),
    ("961216026", "96121602.6"),
    ("ZL97101765.4", "97101765.4"),
])
def test_legacy_numbers_normalise_with_upper_case_check(raw, normalised):
    assert parse_application_number(raw, today=TODAY).normalised == normalised


def test_derived_fields_of_a_current_number():
    number = parse_application_number("CN201310699744.2", today=TODAY)
    assert number.year == 2013
    assert number.type_code == "1"
    assert number.patent_type is PatentType.INVENTION
    assert not number.is_legacy and not number.is_pct
    assert number.patent_no == "ZL201310699744.2"
    assert number.warnings == ()
    assert str(number) == "201310699744.2"


@pytest.mark.parametrize("raw, year", [
    ("95115608.X", 1995), ("CN03100637.X", 2003), ("CN00100001.2", 2000), ("CN85107423.5", 1985),
])
def test_legacy_two_digit_years_expand_to_four(raw, year):
    number = parse_application_number(raw, today=TODAY)
    assert number.is_legacy
    assert number.year == year


@pytest.mark.parametrize("type_digit, patent_type, pct", [
    ("1", PatentType.INVENTION, False),
    ("2", PatentType.UTILITY_MODEL, False),
    ("3", PatentType.DESIGN, False),
    ("8", PatentType.INVENTION, True),
    ("9", PatentType.UTILITY_MODEL, True),
])
def test_type_digit_gives_patent_type(type_digit, patent_type, pct):
    digits = f"2020{type_digit}0123456"
    number = parse_application_number(f"{digits}.{check_character(digits)}", today=TODAY)
    assert number.patent_type is patent_type
    assert number.is_pct is pct


def test_legacy_numbers_use_their_third_digit_as_type():
    digits = "98301234"
    number = parse_application_number(f"{digits}.{check_character(digits)}", today=TODAY)
    assert number.type_code == "3"
    assert number.patent_type is PatentType.DESIGN


def test_reserved_type_digit_is_accepted_with_a_warning():
    digits = "202070123456"
    number = parse_application_number(f"{digits}.{check_character(digits)}", today=TODAY)
    assert number.patent_type is None
    assert len(number.warnings) == 1 and "7" in number.warnings[0]


def test_reserved_type_digit_takes_the_declared_type():
    digits = "202050123456"
    number = parse_application_number(f"{digits}.{check_character(digits)}",
                                      declared_type=PatentType.DESIGN, today=TODAY)
    assert number.patent_type is PatentType.DESIGN


@pytest.mark.parametrize("raw", ["CN85105156", "85105156", "CN85107119", "88201234"])
def test_numbers_from_1985_to_1988_may_lack_the_check_character(raw):
    number = parse_application_number(raw, today=TODAY)
    assert number.check is None
    assert number.normalised == raw.removeprefix("CN")
    assert number.patent_no == "ZL" + raw.removeprefix("CN")


def test_equality_ignores_how_the_number_was_typed():
    assert (parse_application_number("CN2020101234562", today=TODAY)
            == parse_application_number("2020 1 0123456.2", today=TODAY))
    assert ApplicationNumber("202010123456", "2") == parse_application_number(
        "202010123456.2", today=TODAY)


# --- refusals --------------------------------------------------------------------------------

def _refusal(raw: str, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        parse_application_number(raw, today=TODAY, **kwargs)
    assert info.value.field == "application_number"
    return info.value


@pytest.mark.parametrize("raw", ["", "   ", "CN", "ZL "])
def test_empty_input_is_refused(raw):
    assert _refusal(raw).code == "apn_empty"


def test_wrong_check_character_names_the_right_one():
    error = _refusal("2020 1 0123456.7")  # the domain.md counter-example
    assert error.code == "apn_check"
    assert "校验位应为 2" in error.zh
    assert "202010123456.2" in error.zh and "should be 2" in error.en


def test_wrong_legacy_check_character_names_the_right_one():
    error = _refusal("95115608.1")
    assert error.code == "apn_check" and "应为 X" in error.zh


@pytest.mark.parametrize("raw, fix", [
    ("202010123456", "202010123456.2"), ("90101673", "90101673.X")])
def test_missing_check_character_outside_1985_to_1988_is_refused_with_the_fix(raw, fix):
    error = _refusal(raw)
    assert error.code == "apn_check_missing"
    assert fix in error.zh and fix in error.en


@pytest.mark.parametrize("raw", [
    "20201012345.2",       # 11 digits
    "2020101234567.2",     # 13 digits plus check
    "2020-1-0123456.2",    # hyphens are not a documented separator
    "20201012 3456.2",     # space inside the serial
    "202010123456 .2",     # space before the dot
    "202010123456.22",
    "202010123456.A",
    "XX202010123456.2",
    "ZLCN202010123456.2",
    "二〇二〇10123456.2",
])
def test_malformed_numbers_are_refused(raw):
    assert _refusal(raw).code == "apn_shape"


@pytest.mark.parametrize("digits", [
    "203010123456",   # future year
    "200210123456",   # 12-digit form before 2003
    "198510123456",
])
def test_year_outside_range_is_refused(digits):
    error = _refusal(f"{digits}.{check_character(digits)}")
    assert error.code == "apn_year"


@pytest.mark.parametrize("digits", ["04101765", "84101765"])
def test_legacy_years_outside_1985_to_2003_are_refused(digits):
    assert _refusal(f"{digits}.{check_character(digits)}").code == "apn_year"


def test_the_current_year_is_accepted_and_the_next_is_not():
    ok = f"202510000001.{check_character('202510000001')}"
    assert parse_application_number(ok, today=TODAY).year == 2025
    with pytest.raises(DomainError):
        parse_application_number(ok, today=date(2024, 12, 31))


@pytest.mark.parametrize("digits", ["96721602", "96021602", "96521602"])
def test_unknown_legacy_type_digit_is_refused(digits):
    assert _refusal(f"{digits}.{check_character(digits)}").code == "apn_type_unknown"


@pytest.mark.parametrize("raw, declared", [
    ("202010123456.2", PatentType.UTILITY_MODEL),
    ("202010123456.2", PatentType.DESIGN),
    ("CN201430491695.9", PatentType.INVENTION),
])
def test_type_mismatch_with_declared_type_is_refused(raw, declared):
    error = _refusal(raw, declared_type=declared)
    assert error.code == "apn_type_mismatch"
    assert declared.zh in error.zh


def test_matching_declared_type_is_accepted():
    number = parse_application_number("CN201430491695.9", declared_type=PatentType.DESIGN,
                                      today=TODAY)
    assert number.patent_type is PatentType.DESIGN


# --- every number in the shared data -----------------------------------------------------------

A01_TYPES = {"发明": PatentType.INVENTION, "发明(PCT进入)": PatentType.INVENTION}
USTB_TYPES = {"发明申请": PatentType.INVENTION, "外观设计": PatentType.DESIGN,
              "实用新型": PatentType.UTILITY_MODEL}
TRS_TYPES = {"1": PatentType.INVENTION, "2": PatentType.UTILITY_MODEL, "3": PatentType.DESIGN}


def test_every_a01_number_parses_with_its_declared_type_and_year():
    rows = _jsonl("cn_patents_a01/patents.jsonl")
    for row in rows:
        declared = A01_TYPES[row["derived_patent_type"]]
        number = parse_application_number(row["application_number"], declared_type=declared)
        assert number.year == row["derived_application_year"], row["application_number"]
        assert number.is_pct is ("PCT" in row["derived_patent_type"]), row["application_number"]
    assert len(rows) == 10_017


def test_every_ustb_number_parses_with_its_declared_type():
    for row in _jsonl("cn_university_ustb/patents.jsonl"):
        declared = USTB_TYPES[row["patent_type"]]
        number = parse_application_number(row["application_number"], declared_type=declared)
        assert number.year == int(row["application_date"][:4]), row["application_number"]


def test_every_trs_export_number_parses_with_its_declared_type():
    for row in _jsonl("cn_export_samples/cnipa_trs_export.jsonl"):
        declared = TRS_TYPES[row["专利类型"]]
        number = parse_application_number(row["申请号"], declared_type=declared)
        assert number.year == int(row["申请日"][:4]), row["申请号"]


def test_the_only_check_less_numbers_in_the_data_are_from_1985():
    rows = _jsonl("cn_patents_a01/patents.jsonl")
    check_less = [parse_application_number(r["application_number"]) for r in rows]
    check_less = [n.normalised for n in check_less if n.check is None]
    assert check_less == ["85105156", "85107119"]


# --- publication numbers -----------------------------------------------------------------------

@pytest.mark.parametrize("raw, normalised", [
    ("CN102110728A", "CN102110728A"),
    ("cn102110728a", "CN102110728A"),
    ("CN 102110728 A", "CN102110728A"),
    ("ＣＮ１０２１１０７２８Ａ", "CN102110728A"),
    ("102110728A", "CN102110728A"),
    ("CN1968083A", "CN1968083A"),
    ("CN2069429U", "CN2069429U"),
    ("CN112345678B", "CN112345678B"),
    ("CN303456789S", "CN303456789S"),
    ("CN1234567C1", "CN1234567C1"),
])
def test_publication_numbers_normalise(raw, normalised):
    assert normalise_publication_number(raw) == normalised


@pytest.mark.parametrize("raw", ["", "CN123456A", "CN1234567890A", "CN102110728", "US102110728A",
                                 "CN102110728AB", "CN102110728A12"])
def test_malformed_publication_numbers_are_refused(raw):
    with pytest.raises(DomainError) as info:
        normalise_publication_number(raw)
    assert info.value.field == "publication_number"


@pytest.mark.parametrize("raw, kind", [("CN102110728A", "A"), ("CN105885823B", "B"),
                                       ("cn208104517u", "U"), ("CN1234567C1", "C1")])
def test_publication_kind_is_the_trailing_code(raw, kind):
    assert publication_kind(raw) == kind


def test_every_publication_number_in_the_exports_normalises():
    trs = _jsonl("cn_export_samples/cnipa_trs_export.jsonl")
    cnki = _jsonl("cn_export_samples/cnki_export.jsonl")
    numbers = [r["公开（公告）号"] for r in trs] + [r["publication_number"] for r in cnki]
    assert all(normalise_publication_number(n) == n for n in numbers)
