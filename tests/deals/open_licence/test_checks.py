"""The declaration checks, R-OL-1…R-OL-6 and R-OL-14, as a pure function of the facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from market.deals.open_licence.checks import (
    DeclarationFacts,
    HeldRight,
    advertising_words,
    blocking,
    check_declaration,
    load_ad_words,
)

TODAY = date(2026, 11, 21)


def facts(**changes) -> DeclarationFacts:
    base = DeclarationFacts(
        patent_no="ZL202010123456.2", patent_type="INVENTION", legal_status="VALID", granted=True,
        last_protected_day=date(2040, 2, 29), flags=frozenset(), pledgee_consent=False, exclusive_rights=(),
        evaluation_report=None, register_patentees=("上海示范大学", "宝武研究院"),
        patentees=("上海示范大学", "宝武研究院"),
        consents={"上海示范大学": {"by": "app"}, "宝武研究院": {"by": "document", "document_ref": "同意书-1"}},
        fee_terms={"mode": "LUMP_SUM", "lump_fen": 5_000_000}, term_start=TODAY, term_end=date(2040, 2, 29),
        territory="中华人民共和国境内", other_terms="普通许可；不得再许可。", fee_basis_note="成本法估算。",
        contact="技术转移中心 021-66130000")
    return replace(base, **changes)


def codes(problems) -> list[tuple[str, str, bool]]:
    return [(p.rule, p.code, p.blocking) for p in problems]


def run(**changes):
    return check_declaration(facts(**changes), today=TODAY)


def test_a_complete_declaration_on_a_valid_patent_has_no_problem():
    assert run() == []


def test_r_ol_1_an_application_cannot_be_declared():
    assert codes(run(legal_status="PENDING", granted=False)) == [("R-OL-1", "not_granted", True)]


def test_r_ol_1_a_lapsed_patent_cannot_be_declared():
    assert codes(run(legal_status="LAPSED")) == [("R-OL-1", "lapsed", True)]


@pytest.mark.parametrize("name, code", [("territory", "territory_missing"), ("other_terms", "other_terms_missing"),
                                        ("fee_basis_note", "fee_basis_note_missing"), ("contact", "contact_missing")])
def test_r_ol_2_every_field_is_required(name, code):
    problems = run(**{name: "  "})
    assert codes(problems) == [("R-OL-2", code, True)]
    assert problems[0].field == name


def test_r_ol_2_the_term_and_the_patent_number_are_required():
    assert codes(run(term_start=None, term_end=None, patent_no="")) == [
        ("R-OL-2", "patent_no_missing", True), ("R-OL-2", "term_missing", True)]


def test_r_ol_2_the_fee_method_and_standard_are_required():
    problems = run(fee_terms={"mode": "ROYALTY", "royalty_rate": "3"})
    assert codes(problems) == [("R-OL-2", "fee_terms", True)]
    assert problems[0].field == "royalty_base" and "提成基数" in problems[0].zh


def test_r_ol_2_patentees_must_be_the_register_in_its_order():
    problems = run(patentees=("宝武研究院", "上海示范大学"))
    assert codes(problems) == [("R-OL-2", "patentees_differ", True)]


@pytest.mark.parametrize("text, word", [("技术国内领先，欢迎洽谈", "国内领先"), ("最优方案", "最"),
                                        ("顶级团队", "顶级"), ("成功率100%", "100%"), ("成功率100％", "100%"),
                                        ("国家级重点项目", "国家级"), ("唯一授权渠道", "唯一")])
def test_r_ol_2_advertising_wording_is_refused(text, word):
    problems = run(other_terms=text)
    assert [(p.rule, p.code, p.field) for p in problems] == [("R-OL-2", "advertising", "other_terms")]
    assert f"“{word}”" in problems[0].zh


@pytest.mark.parametrize("text", ["每年最低提成5万元", "第一期款项于生效后一个月内支付", "最迟于每年3月31日前报告",
                                  "提成总额最高不超过100万元"])
def test_r_ol_2_ordinary_phrases_with_a_banned_word_stay_allowed(text):
    assert run(other_terms=text) == []


def test_the_advertising_words_come_from_the_configured_list():
    banned, allowed = load_ad_words()
    assert {"最", "第一", "国家级", "顶级", "唯一", "首选", "绝对", "100%", "万能", "国际领先"} <= set(banned)
    assert "最低" in allowed and "第一期" in allowed
    assert advertising_words("万能钥匙", (("万能",), ())) == ["万能"]


@pytest.mark.parametrize("patent_type", ["UTILITY_MODEL", "DESIGN"])
def test_r_ol_3_a_utility_model_or_design_needs_an_evaluation_report(patent_type):
    assert codes(run(patent_type=patent_type)) == [("R-OL-3", "evaluation_report_missing", True)]
    assert run(patent_type=patent_type, evaluation_report=("PJ1", "NO_DEFECT")) == []


def test_r_ol_3_an_adverse_evaluation_report_is_only_a_warning():
    problems = run(patent_type="UTILITY_MODEL", evaluation_report=("PJ1", "DEFECT"))
    assert codes(problems) == [("R-OL-3", "evaluation_report_adverse", False)]
    assert blocking(problems) == []


def test_r_ol_3_an_invention_needs_no_report():
    assert run(patent_type="INVENTION", evaluation_report=None) == []


@pytest.mark.parametrize("right", [HeldRight("EXCLUSIVE_LICENSE"), HeldRight("SOLE_LICENSE"),
                                   HeldRight("LICENSE_EXCLUSIVE", date(2025, 1, 1), date(2027, 12, 31)),
                                   HeldRight("LICENSE_SOLE", date(2027, 1, 1), date(2028, 12, 31))])
def test_r_ol_4_no_declaration_while_an_exclusive_or_sole_licence_is_in_its_term(right):
    assert codes(run(exclusive_rights=(right,))) == [("R-OL-4", "exclusive_licence_in_term", True)]


def test_r_ol_4_an_exclusive_licence_that_has_ended_does_not_block():
    assert run(exclusive_rights=(HeldRight("LICENSE_EXCLUSIVE", date(2022, 1, 1), date(2025, 12, 31)),)) == []


@pytest.mark.parametrize("changes, code", [
    ({"flags": frozenset({"SUSPENDED"})}, "suspended"),
    ({"flags": frozenset({"PRESERVED"})}, "preserved"),
    ({"legal_status": "FEE_GRACE"}, "fee_grace"),
    ({"flags": frozenset({"PLEDGED"})}, "pledged_without_consent"),
])
def test_r_ol_4_suspended_preserved_fee_grace_or_pledged_without_consent_blocks(changes, code):
    assert codes(run(**changes)) == [("R-OL-4", code, True)]


def test_r_ol_4_a_pledged_patent_with_the_pledgees_consent_may_be_declared():
    assert run(flags=frozenset({"PLEDGED"}), pledgee_consent=True) == []


def test_r_ol_4_a_pending_invalidation_is_only_a_warning():
    assert codes(run(flags=frozenset({"INVALIDATION_PENDING"}))) == [("R-OL-4", "invalidation_pending", False)]


def test_r_ol_5_every_co_owner_must_consent():
    problems = run(consents={"上海示范大学": {"by": "app"}})
    assert codes(problems) == [("R-OL-5", "consent_missing", True)]
    assert "宝武研究院" in problems[0].zh


def test_r_ol_6_the_term_cannot_pass_the_last_protected_day():
    problems = run(term_end=date(2040, 3, 1))
    assert codes(problems) == [("R-OL-6", "term_beyond_patent", True)]
    assert "2040-02-29" in problems[0].zh


def test_r_ol_6_the_term_has_a_configurable_minimum():
    short = {"term_start": TODAY, "term_end": date(2027, 11, 19)}  # 364 days
    assert codes(run(**short)) == [("R-OL-6", "term_too_short", True)]
    assert run(term_start=TODAY, term_end=date(2027, 11, 20)) == []  # 365 days
    assert check_declaration(facts(**short), today=TODAY, min_term_days=180) == []


def test_r_ol_14_fees_above_the_usual_caps_are_warnings():
    problems = run(fee_terms={"mode": "LUMP_SUM", "lump_fen": 2_500_000_000})
    assert codes(problems) == [("R-OL-14", "fee_cap", False)]
    royalty = {"mode": "ROYALTY", "royalty_base": "PROFIT", "royalty_rate": "45"}
    assert codes(run(fee_terms=royalty)) == [("R-OL-14", "fee_cap", False)]
    assert check_declaration(facts(fee_terms=royalty), today=TODAY, caps={"profit_pct": 50}) == []


def test_blocking_problems_come_before_warnings():
    problems = run(flags=frozenset({"INVALIDATION_PENDING"}), territory="")
    assert [p.blocking for p in problems] == [True, False]
