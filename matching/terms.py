"""The demand's wishes and how a listing's deal terms meet them: mode, budget, legal status, term,
industry and locality, each a feature with a reason a person can read.

Pure module: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from listings.industries import industry_label
from listings.term import remaining_term
from listings.vocabulary import DealMode, LegalStatus
from market.core.money import FEN_PER_WAN, wan_text, yuan_short

# Which listing modes satisfy a wished-for mode: 1.0 exactly, 0.5 as a near substitute.
# An open licence is an ordinary licence on published terms; an exclusive licence also keeps the
# patentee out, so it more than covers a sole licence.
MODE_FIT = {
    DealMode.TRANSFER: {DealMode.TRANSFER: 1.0, DealMode.EQUITY: 0.5},
    DealMode.LICENSE_ORDINARY: {DealMode.LICENSE_ORDINARY: 1.0, DealMode.OPEN_LICENSE: 1.0,
                                DealMode.LICENSE_SOLE: 0.5, DealMode.LICENSE_EXCLUSIVE: 0.5},
    DealMode.OPEN_LICENSE: {DealMode.OPEN_LICENSE: 1.0, DealMode.LICENSE_ORDINARY: 0.5},
    DealMode.LICENSE_SOLE: {DealMode.LICENSE_SOLE: 1.0, DealMode.LICENSE_EXCLUSIVE: 1.0},
    DealMode.LICENSE_EXCLUSIVE: {DealMode.LICENSE_EXCLUSIVE: 1.0, DealMode.LICENSE_SOLE: 0.5},
    DealMode.EQUITY: {DealMode.EQUITY: 1.0, DealMode.TRANSFER: 0.5},
}
LEGAL_STATUS_FIT = {LegalStatus.VALID: 0.0, LegalStatus.PENDING: -0.3, LegalStatus.FEE_GRACE: -1.0,
                    LegalStatus.LAPSED: -1.0, LegalStatus.UNKNOWN: -0.3}


@dataclass
class Reason:
    """One readable reason for (or against) a match."""

    code: str
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass
class DemandProfile:
    """What an enterprise is looking for; only `text` is required."""

    text: str
    modes: list[str] = field(default_factory=list)
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    industries: list[str] = field(default_factory=list)
    district: str | None = None
    point: str | None = None
    exclude_listing_ids: set[int] = field(default_factory=set)
    # Hard filters passed to the search backend, e.g. {"industry": ["NEV"]}.
    filters: dict[str, list[str]] = field(default_factory=dict)
    # The demand's own IPC symbols, when it has any; otherwise its field is inferred.
    ipc: list[str] = field(default_factory=list)


def industry_fit(wanted: list[str], doc: dict[str, Any], reasons: list[Reason]) -> float:
    common = [c for c in doc.get("industries") or [] if c in wanted]
    if not common:
        return 0.0
    try:
        zh = "、".join(industry_label(c) for c in common)
        en = ", ".join(industry_label(c, "en") for c in common)
    except KeyError:
        zh = en = ", ".join(common)
    reasons.append(Reason("industry", f"属于您关注的产业：{zh}", f"In an industry you follow: {en}"))
    return 1.0


def mode_fit(wanted: list[str], offered: list[str], reasons: list[Reason]) -> float:
    if not wanted:
        return 0.0
    best, best_pair = 0.0, None
    for wish in wanted:
        for mode in offered:
            fit = MODE_FIT.get(wish, {}).get(mode, 1.0 if wish == mode else 0.0)
            if fit > best:
                best, best_pair = fit, (wish, mode)
    if best_pair is None:
        reasons.append(Reason("mode_mismatch", "不提供您希望的交易方式",
                              "Not offered in the way you want to deal"))
        return -1.0
    mode = mode_label(best_pair[1])
    if best == 1.0:
        reasons.append(Reason("mode_fit", f"提供{mode[0]}，符合您希望的交易方式",
                              f"Offers {mode[1].lower()}, the way you want to deal"))
    else:
        wish = mode_label(best_pair[0])
        reasons.append(Reason("mode_near", f"提供{mode[0]}（您希望{wish[0]}）",
                              f"Offers {mode[1].lower()} (you asked for {wish[1].lower()})"))
    return best


def mode_label(mode: str) -> tuple[str, str]:
    try:
        member = DealMode(mode)
    except ValueError:
        return mode, mode
    return member.zh, member.en


def asking_price(profile: DemandProfile, doc: dict[str, Any]) -> tuple[int | None, bool]:
    """The price to hold against the budget, and whether it is an open-licence fee."""
    modes = doc.get("modes") or []
    wants_open = not profile.modes or DealMode.OPEN_LICENSE in profile.modes
    if DealMode.OPEN_LICENSE in modes and wants_open:
        fee = doc.get("open_licence_fee_fen")
        if fee is None and not doc.get("price_negotiable"):
            fee = doc.get("price_fen")
        if fee is not None:
            return int(fee), True
    if doc.get("price_negotiable") or doc.get("price_fen") is None:
        return None, False
    return int(doc["price_fen"]), False


def budget_fit(profile: DemandProfile, doc: dict[str, Any], reasons: list[Reason]) -> float:
    low, high = profile.budget_min_fen, profile.budget_max_fen
    if low is None and high is None:
        return 0.0
    price, open_fee = asking_price(profile, doc)
    if price is None:
        return 0.0  # negotiable: neither a fit nor a miss
    zh_what, en_what = ("开放许可费", "open licence at") if open_fee else ("报价", "asking price")
    if high is not None and price > high:
        reasons.append(Reason("over_budget", f"{zh_what} {yuan_zh(price)} 超出您的预算上限 {yuan_zh(high)}",
                              f"{en_what.replace(' at', ' fee')} {yuan_en(price)} is over your budget of "
                              f"{yuan_en(high)}"))
        # Twice the budget or more is as bad as it gets.
        return -min(1.0, (price - high) / high) if high > 0 else -1.0
    reasons.append(Reason("budget_fit", f"{zh_what} {yuan_zh(price)} 在您的预算内",
                          f"{en_what[0].upper() + en_what[1:]} {yuan_en(price)} fits your budget"))
    return 1.0


def yuan_zh(fen: int) -> str:
    """An amount for Chinese readers: 8,000元 below ten thousand yuan, else 3万元 / 12.5万元."""
    return f"{yuan_short(fen)}元" if fen < FEN_PER_WAN else f"{wan_text(fen)}万元"


def yuan_en(fen: int) -> str:
    return f"¥{yuan_short(fen)}"


def legal_fit(doc: dict[str, Any], reasons: list[Reason]) -> float:
    status = doc.get("legal_status")
    if status == LegalStatus.PENDING:
        reasons.append(Reason("pending", "尚在审查中，未授权", "Pending: not yet granted"))
    elif status == LegalStatus.FEE_GRACE:
        reasons.append(Reason("fee_grace", "年费滞纳期内，权利需补缴年费维持",
                              "In the annual-fee grace period: fees are overdue"))
    elif status == LegalStatus.LAPSED:
        reasons.append(Reason("lapsed", "专利权已失效", "The patent has lapsed"))
    elif status == LegalStatus.UNKNOWN:
        reasons.append(Reason("status_unknown", "法律状态未知，待核实", "Legal status unknown: to be checked"))
    return LEGAL_STATUS_FIT.get(status, 0.0)


def term_fit(doc: dict[str, Any], today: date, warning_years: int, reasons: list[Reason]) -> float:
    last = doc.get("last_protected_day")
    if not last:
        return 0.0
    years, days = remaining_term(date.fromisoformat(last), today)
    if (years, days) == (0, 0):
        reasons.append(Reason("expired", "保护期已届满", "The term has expired"))
        return -1.0
    left = years + days / 365.25
    if left >= warning_years:
        return 0.0
    if years:
        zh, en = f"还有 {years} 年到期", f"expires in {years} year{'s' if years != 1 else ''}"
    else:
        zh, en = f"还有 {days} 天到期", f"expires in {days} day{'s' if days != 1 else ''}"
    reasons.append(Reason("expiring", zh, en[0].upper() + en[1:]))
    return -(warning_years - left) / warning_years


def locality_fit(profile: DemandProfile, doc: dict[str, Any], reasons: list[Reason]) -> float:
    if profile.point and doc.get("point") == profile.point:
        reasons.append(Reason("same_point", f"在您所在的{profile.point}上架", f"Listed at your point, {profile.point}"))
        return 1.0
    if profile.district and doc.get("district") == profile.district:
        reasons.append(Reason("same_district", f"同在{profile.district}", f"Also in {profile.district}"))
        return 0.5
    return 0.0


def reasons_text(reasons: Iterable[Reason], lang: str = "zh") -> str:
    """Reasons joined for one line of display."""
    return ("；" if lang != "en" else "; ").join(r.text(lang) for r in reasons)
