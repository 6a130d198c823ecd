"""State-asset rules by who sells (R-ST-2…4; SOA 47, 54, 55; SA8; SA12; SA78; CO 48). Never commits.

Which valuation an organisation may rely on, the price floor it sells or contributes at, the
exchange (进场) an SOE's large transfer must go through, and the token royalty an SOE's approver
must acknowledge. The checklist itself is `market.deals.approvals`; recording is `steps`.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, has_app_context

from market.core.errors import Conflict, DomainError
from market.core.money import yuan_grouped
from market.deals import approvals as rules
from market.deals.models import Deal
from market.deals.vocabulary import DealKind


def thresholds() -> rules.Thresholds:
    """SOE_EXCHANGE_THRESHOLD_FEN and TOKEN_ROYALTY_PCT from config, else the documented defaults."""
    if not has_app_context():
        return rules.Thresholds()
    config = current_app.config
    return rules.Thresholds(
        soe_exchange_fen=int(config.get("SOE_EXCHANGE_THRESHOLD_FEN", rules.DEFAULT_SOE_EXCHANGE_THRESHOLD_FEN)),
        token_royalty_pct=Decimal(str(config.get("TOKEN_ROYALTY_PCT", rules.DEFAULT_TOKEN_ROYALTY_PCT))))


def check_valuation_basis(deal: Deal, basis: str) -> None:
    """An evaluation for everyone; SA8's 估值 or “cannot be valued” for central SOEs; never for a contribution."""
    if basis == "NONE_ALLOWED" and deal.kind == DealKind.EQUITY:
        raise DomainError(
            "deal.valuation_required",
            "作价出资的非货币财产必须评估作价，不能选择“无法评估”（公司法第48条，R-ST-4）。请上传资产评估报告并登记评估值。",
            "A contribution in kind must be appraised; “cannot be valued” is not available (Company Law art. 48, "
            "R-ST-4). Upload the evaluation report and record the appraised value.", field="basis")
    if basis in rules.CENTRAL_SOE_BASES and not rules.is_central_soe(deal.seller):
        chosen = rules.VALUATION_BASES[basis]
        raise DomainError(
            "deal.valuation_required",
            f"“{chosen[0]}”仅适用于中央企业（国资发产权规〔2024〕8号，R-ST-3）；本单位须委托资产评估机构评估，"
            "并将评估结果核准或备案后方可定价。",
            f"“{chosen[1]}” is open to central SOEs only (SASAC [2024] 8, R-ST-3); this organisation has the asset "
            "evaluated by an appraiser and the result approved or filed before it is priced.", field="basis")


def refuse_exchange_listing(deal: Deal) -> None:
    """Nothing a party records completes 进场交易: only a lot on the platform's exchange can (market.deals.exchange)."""
    limit = thresholds().soe_exchange_fen
    raise Conflict(
        "deal.exchange_listing_required",
        f"国有企业转让金额超过{yuan_grouped(limit)}元的资产，须公开挂牌（进场交易）定价，首次挂牌价不低于"
        "经核准/备案的评估值；协商价格不能代替挂牌（企业国有资产法第54条、国资厅发产权〔2013〕78号，R-ST-3）。"
        "请在平台“挂牌交易”发布挂牌项目，由挂牌或竞价形成的交易自动满足此项；本交易不能签约。",
        f"An SOE's asset transfer above ¥{yuan_grouped(limit)} is priced by a public listing (进场交易), with a first "
        "listing price no lower than the approved value; a negotiated price does not replace it (SOE Assets Law art. "
        "54, SASAC notice [2013] 78, R-ST-3). Offer it as a lot on the platform's exchange: the deal a lot makes "
        "meets this step by itself; this deal cannot be signed.")


def exchange_listing_done(deal: Deal) -> bool:
    """Only a price the platform's lot set (listing or auction), first listed at no less than the approved value.

    The record is written by market.deals.exchange.award when a lot ends with this deal; no
    party can write it (`refuse_exchange_listing`).
    """
    record = (deal.approvals or {}).get(rules.EXCHANGE_LISTING.code) or {}
    value = (deal.valuation or {}).get("value_fen")
    first_price = record.get("first_listing_price_fen")
    return (deal.price_formed_by in (rules.LISTING, rules.AUCTION) and record.get("lot_id") is not None
            and first_price is not None and value is not None and first_price >= value)


def token_acknowledgement(deal: Deal, data: dict) -> dict:
    """The approver's explicit acknowledgement that an SOE's sole/exclusive licence is at a token royalty."""
    if str(data.get("acknowledge", "")).lower() not in ("1", "true", "yes", "on"):
        raise DomainError(
            "deal.token_royalty_ack",
            "许可费仅为象征性水平：请勾选确认并说明理由（企业国有资产法第55条，R-ST-3）。",
            "The royalty is only a token: tick the acknowledgement and say why (SOE Assets Law art. 55, R-ST-3).",
            field="acknowledge")
    reason = str(data.get("reason") or "").strip()[:500]
    if not reason:
        raise DomainError("deal.approval_field", "请说明接受象征性许可费的理由。",
                          "Say why the token royalty is accepted.", field="reason")
    terms = deal.fee_terms or {}
    return {"acknowledged": True, "reason": reason, "fee_mode": terms.get("mode"),
            "royalty_rate": terms.get("royalty_rate"), "token_floor_pct": str(thresholds().token_royalty_pct)}


def price_floor_problem(deal: Deal) -> tuple[str, str] | None:
    """R-ST-3 / R-ST-4: a state unit sells or contributes at no less than the appraisal; nobody over-values."""
    valuation = deal.valuation or {}
    value = valuation.get("value_fen")
    if value is None or deal.price_fen is None:
        return None
    no_floor = rules.is_central_soe(deal.seller) and valuation.get("basis") == "NONE_ALLOWED"
    if rules.is_soe(deal.seller) and not no_floor and deal.price_fen < value:
        return ("成交价低于经核准/备案的评估值，不能签约（企业国有资产法第55条，R-ST-3）。请按不低于评估值的价格重新洽谈。",
                "The price is below the approved value; the contract cannot be signed (SOE Assets Law art. 55, "
                "R-ST-3). Negotiate a price no lower than the value.")
    if deal.kind == DealKind.EQUITY and rules.is_state_unit(deal.seller) and deal.price_fen < value:
        return ("国有资产作价出资，作价金额不得低于评估值（公司法第48条、企业国有资产法第42条，R-ST-4）。",
                "State assets contributed in kind are not valued below the appraisal (Company Law art. 48, "
                "SOE Assets Law art. 42, R-ST-4).")
    if deal.kind == DealKind.EQUITY and deal.price_fen > value:
        return ("作价金额高于评估值，非货币出资不得高估作价（公司法第48条，R-ST-4）。",
                "The agreed value exceeds the appraisal; a contribution in kind may not be over-valued "
                "(Company Law art. 48, R-ST-4).")
    return None
