"""Money: integer fen in the services and the database, 元 on every form; every display form is here.

Decimal only: a float cannot hold most amounts in 元 exactly, and its rounding of a half fen (or
of a half 万元) is not the 四舍五入 that Chinese accounts use. `parse_yuan` reads every amount a
person types in 元; each form words its refusal in its own terms from the reason it gives.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from market.core.numbers import NotANumber, parse_decimal

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 1 万元
_CENT = Decimal("0.01")


def to_yuan(fen: int) -> Decimal:
    """The exact amount in 元 (two decimal places)."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(_CENT)


# What a person types as an amount in 元: digits, at most one point; no exponent, no NaN.
_YUAN_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
MAX_FEN = 10**13  # 1,000 亿元: above any single deal, inside every integer column


class AmountError(ValueError):
    """Why a typed amount was refused: "invalid", "negative", "decimals" or "too_large"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_yuan(text: str | None, *, max_fen: int = MAX_FEN) -> int | None:
    """An amount typed in 元 ("12,345.67", "1，000元", full-width digits) as exact fen; None when blank."""
    raw = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").removesuffix("元").strip()
    if not raw:
        return None
    if not _YUAN_TEXT.fullmatch(raw):
        raise AmountError("invalid")
    try:
        value = parse_decimal(raw)
    except NotANumber:  # pragma: no cover - the pattern admits only numerals
        raise AmountError("invalid") from None
    if value < 0:
        raise AmountError("negative")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise AmountError("decimals")
    if fen > max_fen:
        raise AmountError("too_large")
    return int(fen)


def yuan_plain(fen: int) -> str:
    """1234.5 元 → "1234.50" (a form's value)."""
    return f"{to_yuan(fen):.2f}"


def yuan_grouped(fen: int) -> str:
    """1234.5 元 → "1,234.50" (exact, for contracts, notices and royalty figures)."""
    return f"{to_yuan(fen):,.2f}"


def yuan_text(fen: int | None, lang: str = "zh") -> str:
    """"1,234.50元" or "¥1,234.50"; an em dash for no amount."""
    if fen is None:
        return "—"
    return f"{yuan_grouped(fen)}元" if lang != "en" else f"¥{yuan_grouped(fen)}"


def yuan_short(fen: int) -> str:
    """Grouped, with the fen only when there are any: "8,000", "8,000.50"."""
    return f"{fen // FEN_PER_YUAN:,}" if fen % FEN_PER_YUAN == 0 else yuan_grouped(fen)


def wan_text(fen: int) -> str:
    """The amount in 万元, rounded half up to two decimals, trailing zeros dropped: "12.35", "10"."""
    wan = (Decimal(fen) / FEN_PER_WAN).quantize(_CENT, rounding=ROUND_HALF_UP)
    return f"{wan:,.2f}".rstrip("0").rstrip(".")


def wan_plain(fen: int) -> str:
    """The exact amount in 万元 as a form's value: "1.5", "10", "0.0125" (no grouping, no rounding)."""
    return format((Decimal(fen) / FEN_PER_WAN).normalize(), "f")


def whole_yuan(fen: int) -> str:
    """Rounded half up to whole 元, grouped: "10,001"."""
    return f"{(Decimal(fen) / FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def display(fen: int, lang: str = "zh") -> str:
    """The site's figure (R-DI-2): 元 to the fen below 1 万元, 万元 from there (Chinese), whole ¥ in English."""
    if abs(fen) >= FEN_PER_WAN:
        return f"{wan_text(fen)} 万元" if lang != "en" else f"¥{whole_yuan(fen)}"
    return f"{yuan_grouped(fen)} 元" if lang != "en" else f"¥{yuan_grouped(fen)}"


# -- 人民币大写 (amounts in words on contracts and cheques) ---------------------------------------
# Written here rather than taken from cn2an 0.5: that library drops the 零 between 亿 and an empty
# 万 group (6,300,004,612.12 元 → 陆拾叁亿肆仟… instead of 陆拾叁亿零肆仟…).

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿", "万亿")


def _upper_integer(n: int) -> str:
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(out)
            continue
        text, zero = ("零" if out and (group < 1000 or gap) else ""), False
        for pos in range(3, -1, -1):
            digit = group // 10**pos % 10
            if digit == 0:
                zero = zero or bool(text and not text.endswith("零"))
            else:
                text += ("零" if zero else "") + _DIGITS[digit] + _SMALL[pos]
                zero = False
        out += text + _BIG[index]
        gap = False
    return out


def rmb_upper(fen: int) -> str:
    """An amount as written on Chinese contracts and cheques: 50,000.00 → 人民币伍万元整."""
    if fen < 0:
        raise ValueError("amount cannot be negative")
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    text = _upper_integer(yuan) + "元" if yuan or not (jiao or cents) else ""
    if not jiao and not cents:
        return f"人民币{text}整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if cents:
        text += _DIGITS[cents] + "分"
    return f"人民币{text}"
