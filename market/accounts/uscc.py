"""Unified social credit code 统一社会信用代码 (GB 32100-2015): normalisation and check character."""

from __future__ import annotations

import re
import unicodedata

from market.core.errors import DomainError

# GB 32100 drops I, O, Z, S and V so that they cannot be mistaken for 1, 0, 2, 5 and U.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^(i-1) mod 31
_LOOKALIKES = {"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"}
_FIELD = "uscc"


def _fail(code: str, zh: str, en: str) -> DomainError:
    return DomainError(code, zh, en, field=_FIELD)


def _check_chars(chars: str) -> None:
    for pos, ch in enumerate(chars, start=1):
        if ch not in _VALUE:
            hint_zh = hint_en = ""
            if ch in _LOOKALIKES:
                hint_zh = f"，可能应为“{_LOOKALIKES[ch]}”"
                hint_en = f"; did you mean '{_LOOKALIKES[ch]}'?"
            raise _fail(
                "uscc_char",
                f"统一社会信用代码第 {pos} 位“{ch}”不是有效字符（不使用 I、O、Z、S、V）{hint_zh}。",
                f"Character {pos} of the unified social credit code, '{ch}', is not allowed "
                f"(I, O, Z, S and V are never used){hint_en}.")


def uscc_check_character(first17: str) -> str:
    """The check character for the first 17: 31 − (Σ value·weight mod 31), with 31 → 0."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    _check_chars(first17)
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return re.sub(r"[\s\-]+", "", text)


def _check_shape(code: str) -> None:
    _check_chars(code)
    if not code[2:8].isdigit():
        raise _fail(
            "uscc_division",
            f"统一社会信用代码第 3 至 8 位应为行政区划代码（6 位数字），现为“{code[2:8]}”。",
            f"Characters 3 to 8 of the unified social credit code must be the 6-digit "
            f"administrative division code, not '{code[2:8]}'.")


def normalise_uscc(raw: str) -> str:
    """Return the code in canonical form (NFKC, upper, no spaces); raise DomainError if invalid."""
    code = _clean(raw)
    if not code:
        raise _fail("uscc_empty", "请填写统一社会信用代码。",
                    "Please enter the unified social credit code.")
    if len(code) != 18:
        raise _fail(
            "uscc_length",
            f"统一社会信用代码应为 18 位，现为 {len(code)} 位。",
            f"The unified social credit code must have 18 characters, not {len(code)}.")
    _check_shape(code[:17])
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise _fail(
            "uscc_check",
            f"统一社会信用代码校验位不正确：最后一位应为“{expected}”（{code[:17]}{expected}）。",
            f"Wrong check character in the unified social credit code: the last character "
            f"should be '{expected}' ({code[:17]}{expected}).")
    return code


def make_uscc(prefix17: str) -> str:
    """Append the check character to 17 characters (for demo data and tests)."""
    prefix = _clean(prefix17)
    if len(prefix) != 17:
        raise ValueError(f"expected 17 characters, got {len(prefix)}")
    _check_shape(prefix)
    return prefix + uscc_check_character(prefix)
