"""The open-licence fee estimator (issue 14; domain.md §2.1, R-OL-14; sources OLG, OL24). No Flask.

From a typical licensee's expected yearly net sales or profit, the years of use, a royalty rate
(the patentee's own, else the median of comparable announced open licences) and optionally an
entry fee, it proposes fee terms in the statutory forms the declaration assistant takes:
- 提成支付 (ROYALTY): the rate on that base, yearly;
- 一次总算一次总付 (LUMP_SUM): the expected royalties of all the years as one sum (not discounted);
- 入门费+提成 (ENTRY_PLUS_ROYALTY), when an entry fee is given: the entry fee counts towards the
  same expected total, so the rate falls by entry fee ÷ (yearly base × years).
Each proposal is a FeeTerms dict, checked with FeeTerms.cap_warnings against OL24's caps (the
assistant's own check, so one place per rule), with its computation written out in words.
Amounts are integer fen rounded half up to whole 元; rates are percentages with two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from market.core.money import MAX_FEN, AmountError, parse_yuan, yuan_grouped
from market.core.numbers import NotANumber, parse_decimal
from market.deals.fees import DEFAULT_CAPS, FeeTerms
from market.deals.vocabulary import FeeMode, RoyaltyBase
from market.statistics import pricing
from market.statistics.royalty_references import CAP_OF_BASE, Declared

MAX_YEARS = 20  # an invention's whole term (PL 42); a licence cannot outlast the patent (R-OL-6)
RATE_PLACES = Decimal("0.01")
YUAN = Decimal(100)
TYPED, DECLARED = "typed", "declared"
GUIDE = "《专利开放许可使用费估算指引（试行）》"
BASE_WORDS = {RoyaltyBase.NET_SALES: ("年净销售额", "yearly net sales"), RoyaltyBase.PROFIT: ("年利润", "yearly profit")}


@dataclass(frozen=True)
class Inputs:
    base: RoyaltyBase  # NET_SALES (the typed figure is net sales) or PROFIT
    yearly_fen: int
    years: int
    entry_fee_fen: int | None = None
    rate: Decimal | None = None  # percent, the patentee's own; None: take the declared median


@dataclass(frozen=True)
class Proposal:
    mode: FeeMode
    terms: dict  # FeeTerms.to_dict(): amounts in fen, the rate as a decimal string
    rate: Decimal | None
    yearly_fen: int | None  # expected royalty a year
    total_fen: int  # expected total over the years, entry fee included
    words_zh: str
    words_en: str
    warnings: tuple[tuple[str, str], ...]  # OL24 caps exceeded: (zh, en)

    def words(self, lang: str) -> str:
        return self.words_en if lang == "en" else self.words_zh

    def describe(self, lang: str) -> str:
        return FeeTerms.from_dict(self.terms).describe(lang)


@dataclass
class Estimate:
    inputs: Inputs
    rate: Decimal | None
    rate_source: str | None  # TYPED, DECLARED or None (no rate: no proposal)
    declared: Declared
    caps: dict
    proposals: list[Proposal] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # why a form was not proposed

    @property
    def cap_pct(self) -> Decimal:
        return Decimal(self.caps[CAP_OF_BASE[self.inputs.base]])

    @property
    def ceiling_yearly_fen(self) -> int:
        return to_whole_yuan(Decimal(self.inputs.yearly_fen) * self.cap_pct / 100)


def to_whole_yuan(fen: Decimal) -> int:
    """Fen rounded half up (四舍五入) to whole 元."""
    return int((fen / YUAN).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * 100


def money(fen: int, lang: str) -> str:
    text = yuan_grouped(fen).removesuffix(".00")
    return f"¥{text}" if lang == "en" else f"{text}元"


# -- reading what was typed (元 on the page, fen on the API) ----------------------------------

_AMOUNT_REFUSALS = {
    "invalid": ("请输入金额，如 5000000 或 12.50", "Enter an amount, e.g. 5000000 or 12.50"),
    "negative": ("金额不能为负数", "The amount cannot be negative"),
    "decimals": ("金额最多精确到分（两位小数）", "At most two decimals (fen)"),
    "too_large": (f"数值过大，最大为 {MAX_FEN // 100:,} 元", f"Too large: the maximum is ¥{MAX_FEN // 100:,}"),
    "zero": ("金额须大于 0", "The amount must be above 0"),
    "whole_fen": ("金额须为以“分”为单位的整数", "The amount must be whole fen"),
}


def _amount(raw: str, unit: str) -> int | None:
    """An amount as fen, typed in 元 (unit "yuan") or sent as whole fen (unit "fen"); AmountError."""
    if unit == "yuan":
        fen = parse_yuan(raw)
    else:
        text = raw.strip()
        if not text:
            return None
        if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
            raise AmountError("negative")
        if not (text.isascii() and text.isdigit()) or len(text) > 20:
            raise AmountError("whole_fen")
        fen = int(text)
        if fen > MAX_FEN:
            raise AmountError("too_large")
    if fen == 0:
        raise AmountError("zero")
    return fen


def read_inputs(args: Mapping[str, str], lang: str, *, unit: str = "yuan",
                max_years: int = MAX_YEARS) -> tuple[Inputs | None, dict[str, list[str]]]:
    """The typed inputs, or every error beside its field (the names end in _yuan or _fen by unit)."""
    errors: dict[str, list[str]] = {}

    def refuse(name: str, zh: str, en: str) -> None:
        errors.setdefault(name, []).append(en if lang == "en" else zh)

    amounts: dict[str, int | None] = {}
    for key in ("sales", "profit", "entry"):
        name = f"{key}_{unit}"
        try:
            amounts[key] = _amount(str(args.get(name) or "")[:40], unit)
        except AmountError as err:
            amounts[key] = None
            refuse(name, *_AMOUNT_REFUSALS[err.reason])
    sales_name, profit_name = f"sales_{unit}", f"profit_{unit}"
    typed = [k for k in ("sales", "profit") if str(args.get(f"{k}_{unit}") or "").strip()]
    if len(typed) == 2:
        for name in (sales_name, profit_name):
            refuse(name, "请只填写年净销售额或年利润中的一项", "Give either yearly net sales or yearly profit, not both")
    elif not typed:
        refuse(sales_name, "请填写被许可人预计的年净销售额（或改填年利润）",
               "Enter the licensee's expected yearly net sales (or yearly profit instead)")
    raw_years = str(args.get("years") or "").strip()[:10]
    years = int(raw_years) if raw_years.isascii() and raw_years.isdigit() else None
    if not raw_years:
        refuse("years", "请填写实施年限", "Enter the years of use")
    elif years is None or not 1 <= years <= max_years:
        refuse("years", f"实施年限须为 1 到 {max_years} 的整数（不超过专利剩余保护期）",
               f"The years of use must be a whole number from 1 to {max_years} (within the patent's remaining term)")
    rate = None
    raw_rate = str(args.get("rate") or "").strip().removesuffix("%").strip()[:20]
    if raw_rate:
        try:
            rate = parse_decimal(raw_rate)
        except NotANumber:
            rate = None
            refuse("rate", "提成比例须为数字（百分比），如 3 或 2.5", "The rate must be a number (percent), e.g. 3 or 2.5")
        else:
            if not 0 < rate <= 100 or rate.as_tuple().exponent < -2:
                rate = None
                refuse("rate", "提成比例须大于 0、不超过 100，最多两位小数",
                       "The rate must be above 0 and at most 100, with at most two decimals")
    if errors:
        return None, errors
    base = RoyaltyBase.NET_SALES if typed == ["sales"] else RoyaltyBase.PROFIT
    return Inputs(base=base, yearly_fen=amounts[typed[0]], years=years, entry_fee_fen=amounts["entry"],
                  rate=rate), {}


# -- the proposals ----------------------------------------------------------------------------

def estimate(inputs: Inputs, declared: Declared, caps: dict | None = None) -> Estimate:
    """The proposals for the inputs, with the rate the patentee typed or else the declared median."""
    caps = {**DEFAULT_CAPS, **(caps or {})}
    if inputs.rate is not None:
        rate, source = inputs.rate, TYPED
    elif declared.has_range:
        rate, source = declared.median, DECLARED
    else:
        rate, source = None, None
    out = Estimate(inputs=inputs, rate=rate, rate_source=source, declared=declared, caps=caps)
    if rate is None:
        out.notes.append(("没有可用的提成比例：请填写您拟定的比例（可参考下方的上限和平台已公告的比例）。",
                          "No royalty rate to work with: enter the rate you have in mind (see the caps and the "
                          "platform's announced rates below)."))
        return out
    base, n = inputs.base, inputs.years
    zb, eb = BASE_WORDS[base]
    yearly = to_whole_yuan(Decimal(inputs.yearly_fen) * rate / 100)
    total = yearly * n
    head_zh = f"预计被许可人{zb} {money(inputs.yearly_fen, 'zh')} × 提成比例 {rate}% = 每年约 {money(yearly, 'zh')}"
    head_en = f"Expected {eb} of {money(inputs.yearly_fen, 'en')} × a rate of {rate}% = about {money(yearly, 'en')} a year"
    out.proposals.append(_proposal(
        {"mode": FeeMode.ROYALTY.value, "royalty_base": base.value, "royalty_rate": str(rate)}, caps, rate, yearly, total,
        f"{head_zh}；{n} 年合计约 {money(total, 'zh')}。",
        f"{head_en}; about {money(total, 'en')} over {n} year(s)."))
    if total > 0:
        out.proposals.append(_proposal(
            {"mode": FeeMode.LUMP_SUM.value, "lump_fen": total}, caps, None, None, total,
            f"{head_zh}，× {n} 年 = {money(total, 'zh')}，一次总算、一次总付（未折现）。",
            f"{head_en}, × {n} year(s) = {money(total, 'en')}, as one sum paid at once (not discounted)."))
    else:
        out.notes.append(("预计提成不足 1 元，不提出一次总付。", "The expected royalties are under ¥1: no lump sum."))
    entry = inputs.entry_fee_fen
    if entry:
        reduced = (rate - Decimal(entry) * 100 / (Decimal(inputs.yearly_fen) * n)).quantize(
            RATE_PLACES, rounding=ROUND_HALF_UP)
        if reduced <= 0:
            out.notes.append((f"入门费 {money(entry, 'zh')} 已不低于 {n} 年预计提成合计 {money(total, 'zh')}，"
                              "不再叠加提成；可考虑一次总付。",
                              f"The entry fee of {money(entry, 'en')} is not below the expected royalties of "
                              f"{n} year(s), {money(total, 'en')}: no royalty on top; consider a lump sum."))
        else:
            r_yearly = to_whole_yuan(Decimal(inputs.yearly_fen) * reduced / 100)
            combined = entry + r_yearly * n
            out.proposals.append(_proposal(
                {"mode": FeeMode.ENTRY_PLUS_ROYALTY.value, "entry_fee_fen": entry, "royalty_base": base.value,
                 "royalty_rate": str(reduced)}, caps, reduced, r_yearly, combined,
                f"入门费 {money(entry, 'zh')} 抵作部分提成：提成比例 = {rate}% − {money(entry, 'zh')} ÷ "
                f"（{money(inputs.yearly_fen, 'zh')} × {n} 年）= {reduced}%（四舍五入到 0.01 个百分点）；"
                f"每年提成约 {money(r_yearly, 'zh')}，{n} 年连同入门费合计约 {money(combined, 'zh')}。",
                f"The entry fee of {money(entry, 'en')} counts towards the royalties: rate = {rate}% − "
                f"{money(entry, 'en')} ÷ ({money(inputs.yearly_fen, 'en')} × {n} year(s)) = {reduced}% (rounded to "
                f"0.01 point); about {money(r_yearly, 'en')} a year, about {money(combined, 'en')} over {n} year(s) "
                "with the entry fee."))
    return out


def _proposal(terms: dict, caps: dict, rate, yearly, total, zh: str, en: str) -> Proposal:
    if terms.get("royalty_base"):
        terms = {**terms, "rate_schedule": "FIXED", "payment_period": "ANNUAL"}
    parsed = FeeTerms.from_dict(terms)  # the assistant's own validation: a proposal it would refuse is a bug
    return Proposal(mode=parsed.mode, terms=parsed.to_dict(), rate=rate, yearly_fen=yearly, total_fen=total,
                    words_zh=zh, words_en=en, warnings=tuple(parsed.cap_warnings(caps)))


def rate_source_words(est: Estimate, lang: str) -> str:
    """Where the rate came from, in words."""
    if est.rate_source == TYPED:
        return "The rate is the one you entered." if lang == "en" else "提成比例为您填写的比例。"
    if est.rate_source == DECLARED:
        d = est.declared
        return (f"The rate is the median of {len(d.rates)} royalty rates announced on this platform in open licences of "
                f"{pricing.TIER_WORDS[d.tier][1]} ({d.tier_key}), from {d.patentees} patentees." if lang == "en" else
                f"提成比例取本平台已公告的{pricing.TIER_WORDS[d.tier][0]}（{d.tier_key}）开放许可提成比例的中位数"
                f"（{len(d.rates)} 份声明，{d.patentees} 家专利权人）。")
    return ""


def basis_note(est: Estimate, proposal: Proposal) -> str:
    """The assistant's 许可使用费估算说明 for this proposal (in Chinese: it goes into the declaration)."""
    zb, _ = BASE_WORDS[est.inputs.base]
    cap = est.cap_pct
    return (f"参照{GUIDE}估算：以典型被许可人预计{zb} {money(est.inputs.yearly_fen, 'zh')}、实施 {est.inputs.years} 年计。"
            f"{rate_source_words(est, 'zh')}{proposal.words_zh}"
            f"提成一般不高于{'净销售额' if est.inputs.base == RoyaltyBase.NET_SALES else '利润额'}的 {cap}%"
            f"（国家知识产权局 2024 年 7 月通知）。")
