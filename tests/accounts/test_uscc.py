"""Unified social credit code (GB 32100-2015).

The algorithm is checked against the worked example printed in GB 32100-2015 itself
(91350100M000100Y4 → check character 3, so ...Y4Z is invalid) and against public codes of
well-known organisations as used in the test fixtures of the public repositories
ntnyq/uscc-utils (小米科技有限责任公司 91110108551385082Q, 山东步长制药股份有限公司
91370000728611939A, 中国红十字基金会 531000005000160090, 河南省嵩山少林寺文化院
52410000663412719U) and dromara/hutool (91310110666007217T).
"""

from __future__ import annotations

import pytest

from market.accounts.uscc import make_uscc, normalise_uscc, uscc_check_character
from market.core.errors import DomainError

REAL_CODES = [
    "91110108551385082Q",
    "91370000728611939A",
    "531000005000160090",
    "52410000663412719U",
    "91310110666007217T",
]


def test_standard_worked_example_gives_check_character_3():
    assert uscc_check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass_the_check(code):
    assert uscc_check_character(code[:17]) == code[17]
    assert normalise_uscc(code) == code


def test_sum_divisible_by_31_gives_check_character_0():
    # 31 - 0 = 31 is written as 0 (GB 32100: MOD(31, 31) = 0).
    assert uscc_check_character("531000005000160090"[:17]) == "0"


@pytest.mark.parametrize("raw", [
    " 91110108551385082q ",
    "9111 0108 5513 8508 2Q",
    "９１１１０１０８５５１３８５０８２Ｑ",
    "91110108-551385082-Q",
])
def test_input_is_normalised(raw):
    assert normalise_uscc(raw) == "91110108551385082Q"


def test_wrong_check_character_names_the_right_one():
    with pytest.raises(DomainError) as info:
        normalise_uscc("91110108551385082F")
    error = info.value
    assert error.code == "uscc_check" and error.field == "uscc"
    assert "“Q”" in error.zh and "'Q'" in error.en


def test_invalid_last_character_is_reported_as_the_wrong_check_character():
    with pytest.raises(DomainError) as info:
        normalise_uscc("91350100M000100Y4Z")  # GB 32100-2015's own counter-example
    assert info.value.code == "uscc_check"
    assert "91350100M000100Y43" in info.value.zh


@pytest.mark.parametrize("raw, code", [
    ("", "uscc_empty"),
    ("9111010855138508", "uscc_length"),
    ("91110108551385082QQ", "uscc_length"),
    ("9111010855138508IQ", "uscc_char"),
    ("91110108551385O82Q", "uscc_char"),
    ("911101S8551385082Q", "uscc_char"),
    ("91A10108551385082Q", "uscc_division"),
])
def test_malformed_codes_are_refused(raw, code):
    with pytest.raises(DomainError) as info:
        normalise_uscc(raw)
    assert info.value.code == code and info.value.field == "uscc"


@pytest.mark.parametrize("letter, digit", [("O", "0"), ("I", "1")])
def test_lookalike_letters_suggest_the_digit(letter, digit):
    with pytest.raises(DomainError) as info:
        normalise_uscc(f"911101085513850{letter}2Q")
    assert f"“{digit}”" in info.value.zh


def test_make_uscc_appends_a_valid_check_character():
    code = make_uscc("91310115MA1G4L1WX")
    assert len(code) == 18 and normalise_uscc(code) == code
    assert make_uscc("91110108551385082") == "91110108551385082Q"


def test_make_uscc_rejects_a_wrong_length():
    with pytest.raises(ValueError):
        make_uscc("9111")
