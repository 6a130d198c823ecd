"""Deal terms as offered and agreed, and whether the patent can carry the deal. Never commits.

R-LC-1 (kinds; an unspecified licence is ordinary), R-LC-2 (no sublicence unless agreed),
R-LC-3 (a licence lives within the patent's term and needs a patent in force), R-TR-2
(transfers of valid patents and pending applications only; none while suspended or preserved).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from listings.models import Patent
from listings.vocabulary import Encumbrance, LegalStatus
from market.core.errors import Conflict, DomainError
from market.core.numbers import NotANumber, parse_decimal
from market.core.time import today_local
from market.deals.fees import MAX_FEN, FeeTerms
from market.deals.vocabulary import LICENCE_KINDS, OWNERSHIP_KINDS, DealKind, FeeMode

DEFAULT_TERRITORY = "中华人民共和国境内"
# R-LC-1: a request that names no licence kind is for an ordinary licence (TCI 25).
UNSPECIFIED_LICENCE = {None, "", "LICENSE", "LICENCE"}


def deal_kind(value: str | None) -> DealKind:
    """The kind named by `value`; a licence whose kind is not said is an ordinary licence (R-LC-1)."""
    if value in UNSPECIFIED_LICENCE:
        return DealKind.LICENSE_ORDINARY
    try:
        kind = DealKind(str(value).upper())
    except ValueError:
        raise DomainError("deal.kind", "交易方式无效。", "Unknown deal kind.", field="kind") from None
    if kind == DealKind.OPEN_LICENSE:
        raise DomainError("deal.open_licence_not_negotiated",
                          "开放许可按公告的条件直接取得，不需洽谈；条件不同的属于普通许可（专利法第51条）。",
                          "An open licence is taken on its announced terms, not negotiated; different "
                          "terms make it an ordinary licence (Patent Law art. 51).", field="kind")
    return kind


@dataclass(frozen=True)
class Terms:
    """One side's proposed terms (an offer) or the agreed ones (copied to the deal)."""

    price_fen: int | None = None
    fee_terms: dict | None = None
    start_date: date | None = None
    end_date: date | None = None
    territory: str = DEFAULT_TERRITORY
    field_of_use: str = ""
    sublicense_allowed: bool = False  # R-LC-2: only when the parties say so
    share_pct: str | None = None

    def as_offer_fields(self) -> dict:
        out = asdict(self)
        out["fee_terms"] = self.fee_terms or {}
        return out

    @classmethod
    def of(cls, row) -> Terms:
        """The terms of an Offer (or a Deal) row."""
        return cls(price_fen=row.price_fen, fee_terms=row.fee_terms or None, start_date=row.start_date,
                   end_date=row.end_date, territory=row.territory or DEFAULT_TERRITORY,
                   field_of_use=row.field_of_use or "", sublicense_allowed=bool(row.sublicense_allowed),
                   share_pct=row.share_pct)


def _err(code: str, zh: str, en: str, field: str) -> DomainError:
    return DomainError(f"deal.{code}", zh, en, field=field)


def _price(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or (isinstance(value, float) and value != int(value)):
        raise _err("price_invalid", "金额须为以“分”为单位的整数。", "Amounts are whole fen.", "price_fen")
    try:
        fen = int(value)
    except (TypeError, ValueError):
        raise _err("price_invalid", "金额须为以“分”为单位的整数。", "Amounts are whole fen.", "price_fen") from None
    if not 0 <= fen <= MAX_FEN:
        raise _err("price_range", "金额须不小于0且在合理范围内。", "The amount must be 0 or more and realistic.",
                   "price_fen")
    return fen


def _share(value) -> str | None:
    if value in (None, ""):
        return None
    try:
        pct = parse_decimal(str(value).strip().rstrip("%"))
    except NotANumber:
        pct = Decimal("NaN")
    if not pct.is_finite() or not Decimal(0) < pct <= Decimal(100) or pct.as_tuple().exponent < -4:
        raise _err("share_invalid", "股权比例须大于0且不超过100（百分比，最多4位小数）。",
                   "The share must be above 0 and at most 100 percent, with at most 4 decimals.", "share_pct")
    return str(pct.normalize()) if pct == pct.to_integral() else str(pct)


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _err("date_invalid", "日期格式无效，请用 YYYY-MM-DD。", "Dates are YYYY-MM-DD.", field) from None


def _text(value, limit: int, field: str) -> str:
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    if len(text) > limit:
        raise _err("text_long", f"内容不能超过{limit}个字符。", f"At most {limit} characters.", field)
    return text


def clean_terms(kind: str, patent: Patent, raw: dict, *, complete: bool) -> Terms:
    """Validate proposed terms; with `complete`, also that they are enough to sign on."""
    kind = DealKind(kind)
    price = _price(raw.get("price_fen"))
    fee = raw.get("fee_terms") or None
    start, end = _date(raw.get("start_date"), "start_date"), _date(raw.get("end_date"), "end_date")
    share = _share(raw.get("share_pct"))
    if kind in LICENCE_KINDS:
        if fee is not None:
            if not isinstance(fee, dict):
                raise _err("fee_invalid", "许可使用费条款格式不正确。", "The fee terms are malformed.", "fee_terms")
            parsed = FeeTerms.from_dict(fee)
            fee = parsed.to_dict()
            fixed = parsed.fixed_total_fen
            if price is None:
                price = fixed if parsed.mode != FeeMode.ROYALTY else None
            elif parsed.mode != FeeMode.ROYALTY and price != fixed:
                raise _err("price_mismatch", "合同金额须等于许可使用费中的固定费用。",
                           "The contract amount must equal the fixed part of the fee.", "price_fen")
        elif price is not None:
            fee = ({"mode": FeeMode.LUMP_SUM.value, "lump_fen": price} if price > 0
                   else {"mode": FeeMode.FREE.value})
        if start and end and end < start:
            raise _err("term_order", "许可期限的结束日不能早于开始日。", "The term cannot end before it starts.",
                       "end_date")
        # R-LC-3 (CC 865; REC 12(4)): no licence beyond the patent's term.
        if end and patent.last_protected_day and end > patent.last_protected_day:
            raise _err("term_beyond_patent",
                       f"许可期限不能超过专利权保护期（最后一天为{patent.last_protected_day.isoformat()}）。",
                       f"The licence cannot run past the patent's last protected day "
                       f"({patent.last_protected_day.isoformat()}).", "end_date")
        if complete:
            if start is None or end is None:
                raise _err("term_required", "请填写许可期限的开始日和结束日。", "Give the licence term's start and end.",
                           "start_date" if start is None else "end_date")
            if fee is None:
                raise _err("fee_required", "请填写许可使用费（金额或支付方式）。", "Give the licence fee.", "price_fen")
        share = None
    else:
        if fee is not None:
            raise _err("fee_not_for_kind", "转让和作价投资按价款约定，不使用许可使用费条款。",
                       "Transfers and equity deals have a price, not licence-fee terms.", "fee_terms")
        start = end = None
        if kind == DealKind.TRANSFER:
            share = None
        if complete and price is None:
            raise _err("price_required", "请填写转让价款或作价金额。", "Give the price or the agreed value.", "price_fen")
        if complete and kind == DealKind.EQUITY and share is None:
            raise _err("share_required", "请填写作价投资取得的股权比例。", "Give the share the investment buys.",
                       "share_pct")
    return Terms(price_fen=price, fee_terms=fee, start_date=start, end_date=end,
                 territory=_text(raw.get("territory"), 200, "territory") or DEFAULT_TERRITORY,
                 field_of_use=_text(raw.get("field_of_use"), 500, "field_of_use"),
                 sublicense_allowed=bool(raw.get("sublicense_allowed")) and kind in LICENCE_KINDS,
                 share_pct=share)


def patent_blockers(kind: str, patent: Patent, today: date | None = None) -> list[tuple[str, str, str]]:
    """Why the patent cannot carry a deal of `kind` now: (code, zh, en); empty if it can."""
    kind = DealKind(kind)
    today = today or today_local()
    out = []
    lapsed = patent.legal_status == LegalStatus.LAPSED or (
        patent.last_protected_day is not None and patent.last_protected_day < today)
    if lapsed:
        out.append(("patent_lapsed", "专利权已终止或失效，不能再许可或转让（民法典第865条）。",
                    "The patent has lapsed; it can no longer be licensed or transferred (Civil Code art. 865)."))
    elif kind in LICENCE_KINDS and patent.legal_status == LegalStatus.PENDING:
        out.append(("patent_not_granted", "专利尚未授权，许可只能在专利权有效期内订立。",
                    "The patent is not granted; a licence runs only while a patent is in force."))
    elif kind in OWNERSHIP_KINDS and patent.legal_status not in (LegalStatus.VALID, LegalStatus.PENDING):
        # R-TR-2: valid patents and pending applications only.
        out.append(("patent_not_transferable", "只有有效专利和审中的专利申请可以转让或作价投资，请先缴清年费。",
                    "Only patents in force and pending applications can be transferred or contributed; "
                    "pay the overdue annual fee first."))
    flags = patent.active_flags(today)
    if Encumbrance.SUSPENDED in flags:
        out.append(("patent_suspended", "专利权因权属纠纷处于中止状态，有关手续暂停办理（实施细则第103条、105条）。",
                    "The patent is suspended over an ownership dispute; procedures are on hold (IR 103, 105)."))
    if Encumbrance.PRESERVED in flags:
        out.append(("patent_preserved", "专利权已被法院采取保全措施，不能处分（实施细则第104条）。",
                    "A court has preserved the patent; it cannot be disposed of (IR 104)."))
    return out


def require_patent_fit(kind: str, patent: Patent, today: date | None = None) -> None:
    blockers = patent_blockers(kind, patent, today)
    if blockers:
        code, zh, en = blockers[0]
        raise Conflict(f"deal.{code}", "；".join(b[1] for b in blockers), " ".join(b[2] for b in blockers))



