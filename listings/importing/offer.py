"""Read listing terms from real spreadsheet cells: modes in Chinese words, prices in 元 or 万元."""

from __future__ import annotations

import re
from decimal import Decimal

from listings.vocabulary import DealMode, Maturity, PricingMethod
from market.core.errors import DomainError
from market.core.numbers import NotANumber, parse_decimal

MODE_WORDS = {
    "转让": DealMode.TRANSFER, "普通许可": DealMode.LICENSE_ORDINARY, "许可": DealMode.LICENSE_ORDINARY,
    "排他许可": DealMode.LICENSE_SOLE, "独占许可": DealMode.LICENSE_EXCLUSIVE,
    "开放许可": DealMode.OPEN_LICENSE, "作价投资": DealMode.EQUITY, "作价入股": DealMode.EQUITY,
    "入股": DealMode.EQUITY,
}
YES = {"是", "面议", "y", "yes", "true", "1", "可面议"}


def parse_modes(raw: str | None) -> list[str]:
    if not raw:
        return []
    modes = []
    for part in re.split(r"[;；,，、/\s]+", raw.strip()):
        if not part:
            continue
        mode = MODE_WORDS.get(part) or (DealMode[part.upper()] if part.upper() in DealMode.__members__ else None)
        if mode is None:
            raise DomainError("unknown_mode", f"未知的交易方式“{part}”", f"Unknown mode “{part}”", field="modes")
        if mode not in modes:
            modes.append(mode)
    return modes


def parse_price(raw: str | None, negotiable: str | None) -> tuple[int | None, bool]:
    """Return (price in fen, negotiable). Accepts 120000, 12万元, ¥1,200.50, 面议."""
    is_negotiable = (negotiable or "").strip().lower() in YES
    text = (raw or "").strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    if not text:
        return None, is_negotiable
    if text in YES:
        return None, True
    factor = Decimal(100)
    if text.endswith("万元") or text.endswith("万"):
        factor, text = Decimal(1_000_000), text.rstrip("元").rstrip("万")
    elif text.endswith("元"):
        text = text[:-1]
    try:
        amount = parse_decimal(text) * factor
    except NotANumber:
        raise DomainError("bad_price", f"价格“{raw}”无法识别", f"Cannot read the price “{raw}”",
                          field="asking_price") from None
    if amount < 0 or amount != amount.to_integral_value():
        raise DomainError("bad_price", f"价格“{raw}”须为不小于 0 的金额，最多精确到分",
                          f"The price “{raw}” must be non-negative and whole fen", field="asking_price")
    return int(amount), is_negotiable


def _by_label(raw: str | None, enum, field: str, what_zh: str, what_en: str) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    for member in enum:
        if text in (member.value, member.zh, member.en) or text.upper() == member.value:
            return member.value
    choices = "、".join(m.zh for m in enum)
    raise DomainError(f"unknown_{field}", f"未知的{what_zh}“{text}”，应为：{choices}",
                      f"Unknown {what_en} “{text}”", field=field)


def parse_pricing_method(raw: str | None) -> str | None:
    return _by_label(raw, PricingMethod, "pricing_method", "定价方式", "pricing method")


def parse_maturity(raw: str | None) -> str | None:
    return _by_label(raw, Maturity, "maturity", "技术成熟度", "maturity")
