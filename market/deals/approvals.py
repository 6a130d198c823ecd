"""Which approvals a negotiated deal needs before it may be signed (domain.md §4.2–4.4). Pure: no Flask.

`required_steps` looks only at the deal's kind, the two organisations, the pricing method and
the patent (its owners and encumbrances), so the deal page can show the checklist before anyone
has recorded anything, and a test can ask "what does a university's transfer to a foreign buyer
need?" without a database. Each step, once done, is one ledger line with its document (R-ST-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from listings.vocabulary import Encumbrance, OrgType, SoeLevel
from market.deals.vocabulary import (
    EXCLUSIVE_KINDS,
    NEGOTIATED_KINDS,
    OWNERSHIP_KINDS,
    DealKind,
    DocumentKind,
    LedgerEvent,
)

SELLER, BUYER, CO_OWNER = "seller", "buyer", "co_owner"


@dataclass(frozen=True)
class Step:
    """One approval: what it is, the rule behind it, the ledger line and document it leaves."""

    code: str
    rule: str
    ledger_kind: str
    document_kind: str | None
    document_required: bool
    by: frozenset[str]
    zh: str
    en: str
    hint_zh: str = ""
    hint_en: str = ""

    def title(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def hint(self, lang: str = "zh") -> str:
        return self.hint_en if lang == "en" else self.hint_zh

    def basis(self, lang: str = "zh") -> str:
        """The rule that requires this approval, in words (the deal page prints the rule id after it)."""
        zh, en = BASIS.get(self.code, ("", ""))
        return en if lang == "en" else zh


CO_OWNER_CONSENT = Step(
    "CO_OWNER_CONSENT", "R-LC-4 / R-TR-3", LedgerEvent.APPROVAL, DocumentKind.OTHER, False,
    frozenset({SELLER, CO_OWNER}), "全体共有人同意", "Consent of every co-owner",
    "共有专利的排他/独占许可、转让和作价投资须经全体共有人同意（专利法第14条）。平台上的共有人可自行确认，"
    "其他共有人由卖方上传其书面同意。",
    "Sole or exclusive licences, transfers and equity deals of a co-owned patent need every co-owner "
    "(Patent Law art. 14). Co-owners on the platform confirm themselves; for others the seller "
    "uploads their written consent.")
PLEDGEE_CONSENT = Step(
    "PLEDGEE_CONSENT", "R-LC-7", LedgerEvent.APPROVAL, DocumentKind.PLEDGEE_CONSENT, True,
    frozenset({SELLER}), "质权人同意", "Pledgee's consent",
    "专利权已出质：许可或转让须经质权人同意（民法典第444条），所得价款用于提前清偿或提存。",
    "The patent is pledged: a licence or transfer needs the pledgee's consent (Civil Code art. 444); "
    "the proceeds go to early repayment or escrow.")
DECISION = Step(
    "DECISION", "R-ST-1 / R-ST-6", LedgerEvent.APPROVAL, DocumentKind.DECISION, True,
    frozenset({SELLER}), "单位集体决策", "The unit's collective decision",
    "高校、科研院所自主决定转化，无需主管部门审批或备案；国有企业按内部决策程序。请上传决策文件（会议纪要等），"
    "留存尽职免责的决策记录。",
    "Universities and institutes decide themselves, with no administrative approval; SOEs follow "
    "their decision procedure. Upload the decision record (minutes) for the audit trail.")
PUBLICITY = Step(
    "PUBLICITY", "R-ST-1", LedgerEvent.PUBLICITY, DocumentKind.PUBLICITY, False,
    frozenset({SELLER}), "单位内部公示", "Publicity within the unit",
    "协议定价的，须在本单位公示科技成果名称和拟交易价格，公示期满后方可签订合同（促进科技成果转化法第18条）。",
    "Priced by agreement: the achievement's name and the proposed price are publicised within the "
    "unit; the contract may be signed only after the period ends (STL art. 18).")
VALUATION_DECISION = Step(
    "VALUATION_DECISION", "R-ST-2", LedgerEvent.APPROVAL, DocumentKind.DECISION, False,
    frozenset({SELLER}), "是否进行资产评估的决定", "Decision on an asset evaluation",
    "高校、科研院所向非全资国有企业转让、许可的，由单位决定是否评估，并记录理由。",
    "A university or institute dealing with an enterprise that is not wholly state-owned decides "
    "whether to have the asset evaluated, and records why.")
VALUATION = Step(
    "VALUATION", "R-ST-3 / R-ST-4", LedgerEvent.VALUATION, DocumentKind.VALUATION_REPORT, True,
    frozenset({SELLER}), "资产评估/估值", "Asset evaluation or valuation",
    "记录评估依据（资产评估、估值，或经认定无法估值）、评估机构、报告编号、评估值和基准日。",
    "Record the basis (evaluation, valuation, or none possible), the appraiser, the report number, "
    "the value and its base date.")
VALUATION_FILED = Step(
    "VALUATION_FILED", "R-ST-3", LedgerEvent.VALUATION_FILED, DocumentKind.VALUATION_FILING, True,
    frozenset({SELLER}), "评估结果核准/备案", "Evaluation approved or filed",
    "国有企业的评估结果须经国资监管机构或出资企业核准或备案；成交价不得低于核准/备案的评估值。",
    "An SOE's evaluation is approved (核准) or filed (备案) with SASAC or the parent; the price may "
    "not be below the approved value.")
INVENTOR_WAIVER = Step(
    "INVENTOR_WAIVER", "R-TR-4", LedgerEvent.APPROVAL, DocumentKind.INVENTOR_WAIVER, True,
    frozenset({SELLER}), "发明人优先受让权", "Inventors' right of first refusal",
    "职务技术成果转让时，完成人享有同等条件下优先受让的权利（民法典第847条）：签约前记录发明人的放弃声明或已通知。",
    "Inventors of a service invention may buy it first on equal terms (Civil Code art. 847): record "
    "their waiver or the notice given before signing.")
EXPORT_LICENCE = Step(
    "EXPORT_LICENCE", "R-TR-5", LedgerEvent.APPROVAL, DocumentKind.EXPORT_LICENCE, True,
    frozenset({SELLER, BUYER}), "技术出口许可/登记", "Technology export licence or registration",
    "向境外转让或许可专利属于技术出口（技术进出口管理条例第2条），签约前须取得出口许可或登记证明。",
    "Transferring or licensing a patent abroad is a technology export (TIE art. 2): obtain the export "
    "licence or registration before signing.")

EXCHANGE_LISTING = Step(
    "EXCHANGE_LISTING", "R-ST-3", LedgerEvent.APPROVAL, None, False,
    frozenset({SELLER}), "进场交易：由平台挂牌程序定价", "Priced by listing on the exchange (进场交易)",
    "国有企业超过进场金额的资产转让须在产权交易机构公开挂牌，首次挂牌价不低于经核准/备案的评估值；协商价格不能代替挂牌。"
    "请在平台“挂牌交易”发布挂牌项目，由公告期和竞价形成价格；协商达成的交易不能签约。",
    "An SOE's asset transfer above the exchange threshold is listed publicly, with a first listing price no "
    "lower than the approved value; a negotiated price does not replace the listing. Offer it as a lot on the "
    "platform's exchange, where the disclosure period and bidding form the price; a negotiated deal cannot be signed.")
TOKEN_ROYALTY_ACK = Step(
    "TOKEN_ROYALTY_ACK", "R-ST-3", LedgerEvent.APPROVAL, None, False,
    frozenset({SELLER}), "确认象征性许可费", "Acknowledge a token royalty",
    "国有企业的排他/独占许可，许可费仅为象征性水平：审批人须明确确认并说明理由，以免国有资产低价流失。",
    "An SOE's sole or exclusive licence at a token royalty: the approver acknowledges it explicitly and says "
    "why, so that state assets are not given away.")

ALL_STEPS = (CO_OWNER_CONSENT, PLEDGEE_CONSENT, DECISION, PUBLICITY, VALUATION_DECISION, VALUATION,
             VALUATION_FILED, EXCHANGE_LISTING, TOKEN_ROYALTY_ACK, INVENTOR_WAIVER, EXPORT_LICENCE)
BY_CODE = {s.code: s for s in ALL_STEPS}
# Why each approval is required, in words: the law first; the page adds the rule id in small print.
BASIS = {
    "CO_OWNER_CONSENT": ("专利法第14条：共有专利权的转让及排他/独占许可须经全体共有人同意",
                         "Patent Law art. 14: every co-owner agrees to a transfer or a sole/exclusive licence"),
    "PLEDGEE_CONSENT": ("民法典第444条：出质的专利权经质权人同意方可转让或许可",
                        "Civil Code art. 444: a pledged patent is transferred or licensed with the pledgee's consent"),
    "DECISION": ("促进科技成果转化法第18条、企业国有资产法第30条：单位按内部程序集体决策",
                 "Law on Promoting the Transformation of S&T Achievements art. 18, SOE Assets Law art. 30: "
                 "the unit decides by its collective procedure"),
    "PUBLICITY": ("促进科技成果转化法第18条：协议定价的，须公示成果名称和拟交易价格",
                  "Law on Promoting the Transformation of S&T Achievements art. 18: an agreed price is publicised "
                  "with the achievement's name"),
    "VALUATION_DECISION": ("事业单位国有资产管理暂行办法第40条：由单位决定是否评估",
                           "Interim Measures on Public Institutions' State Assets art. 40: the unit decides "
                           "whether to evaluate"),
    "VALUATION": ("企业国有资产法第47条、公司法第48条：国有资产转让和非货币出资须评估作价",
                  "SOE Assets Law art. 47, Company Law art. 48: state assets transferred and contributions in "
                  "kind are appraised"),
    "VALUATION_FILED": ("企业国有资产评估管理暂行办法第4条：评估结果经核准或备案",
                        "Interim Measures on SOE Asset Evaluation art. 4: the evaluation is approved or filed"),
    "EXCHANGE_LISTING": ("企业国有资产法第54条、国资厅发产权〔2013〕78号：一定金额以上的资产转让进场公开交易",
                         "SOE Assets Law art. 54, SASAC notice [2013] 78: asset transfers above a threshold go "
                         "through a property-rights exchange"),
    "TOKEN_ROYALTY_ACK": ("企业国有资产法第55条：转让、许可国有资产不得低价，象征性许可费须经审批人确认",
                          "SOE Assets Law art. 55: state assets are not given away; a token royalty is "
                          "acknowledged by the approver"),
    "INVENTOR_WAIVER": ("民法典第847条：职务技术成果完成人享有优先受让权",
                        "Civil Code art. 847: the inventors of a service invention may buy it first"),
    "EXPORT_LICENCE": ("技术进出口管理条例第2条：向境外转让或许可专利属于技术出口",
                       "Regulations on Technology Import and Export art. 2: a transfer or licence abroad is an export"),
}

# Valuation bases an SOE may rely on (SA8): an evaluation, a valuation, or an established finding
# that no professional institution can value it (then price by listing, auction or agreement).
VALUATION_BASES = {
    "EVALUATION": ("资产评估", "Asset evaluation"),
    "VALUATION": ("估值（仅中央企业）", "Valuation (central SOEs only)"),
    "NONE_ALLOWED": ("无法评估（仅中央企业，按挂牌、拍卖或协议定价）",
                     "Cannot be valued (central SOEs only; priced by listing, auction or agreement)"),
}
# SA8 (国资发产权规〔2024〕8号) relaxes the evaluation for central SOEs (中央企业) only: a valuation
# (估值) may replace it, or, when no professional institution can value the asset, none at all.
CENTRAL_SOE_BASES = frozenset({"VALUATION", "NONE_ALLOWED"})
FILING_TYPES = {"APPROVAL": ("核准", "Approval (核准)"), "RECORD": ("备案", "Filing (备案)")}
# How a deal's price was formed. LISTING and AUCTION only when the platform's own listing or
# auction process set it (market.deals.exchange.award); a price two parties negotiated is AGREEMENT.
AGREEMENT, LISTING, AUCTION = "AGREEMENT", "LISTING", "AUCTION"
PRICE_FORMED_BY = {AGREEMENT: ("协议定价（双方协商）", "By agreement (negotiated)"),
                   LISTING: ("平台挂牌交易", "Listing on the platform's exchange"),
                   AUCTION: ("平台拍卖", "The platform's auction")}
# SA78 leaves the amount to the group (“一定金额以上”); local rules commonly put it at ¥1 million
# (e.g. municipal SASAC rules tiering asset transfers at 100万/1000万元). Config overrides it.
DEFAULT_SOE_EXCHANGE_THRESHOLD_FEN = 1_000_000 * 100
# [policy] A royalty below this percentage (or a free licence) is a token for an SOE's sole or
# exclusive licence; the approver acknowledges it explicitly. Config overrides it.
DEFAULT_TOKEN_ROYALTY_PCT = Decimal("1")


@dataclass(frozen=True)
class Thresholds:
    """The configurable amounts the state-asset rules compare with (config/settings.py)."""

    soe_exchange_fen: int = DEFAULT_SOE_EXCHANGE_THRESHOLD_FEN
    token_royalty_pct: Decimal = DEFAULT_TOKEN_ROYALTY_PCT


def state_funded_rnd(org: Any) -> bool:
    """国家设立的研究开发机构、高等院校 (STL 18): the organisation says so on its record."""
    return bool(getattr(org, "is_state_funded_rnd", False))


def is_soe(org: Any) -> bool:
    return getattr(org, "org_type", None) == OrgType.SOE


def is_central_soe(org: Any) -> bool:
    """中央企业: the only sellers SA8's relaxations (估值, or no valuation at all) apply to."""
    return is_soe(org) and getattr(org, "soe_level", None) == SoeLevel.CENTRAL


def is_state_unit(org: Any) -> bool:
    """An SOE or a state-funded university or institute: its contribution in kind is state assets."""
    return is_soe(org) or state_funded_rnd(org)


def token_royalty(fee_terms: dict | None, floor_pct: Decimal) -> bool:
    """A free licence, or a royalty rate below the floor: a token, whatever the entry fee."""
    terms = fee_terms or {}
    if str(terms.get("mode", "")).upper() == "FREE":
        return True
    rate = terms.get("royalty_rate")
    if rate in (None, ""):
        return False
    try:
        return Decimal(str(rate)) < floor_pct
    except ArithmeticError:
        return False


def needs_exchange_listing(kind: str, seller: Any, price_fen: int | None, thresholds: Thresholds) -> bool:
    """R-ST-3 (SOA 54; SA78): an SOE transfer above the threshold is priced by listing (进场)."""
    return (is_soe(seller) and kind == DealKind.TRANSFER and price_fen is not None
            and price_fen > thresholds.soe_exchange_fen)


def is_foreign(org: Any) -> bool:
    return getattr(org, "org_type", None) == OrgType.FOREIGN or (getattr(org, "country", "CN") or "CN") != "CN"


def is_co_owned(patent: Any) -> bool:
    return len(getattr(patent, "owners", ()) or ()) > 1


def pledged(patent: Any) -> bool:
    flags = patent.active_flags() if hasattr(patent, "active_flags") else set()
    return Encumbrance.PLEDGED in flags


def required_steps(kind: str, seller: Any, buyer: Any, price_formed_by: str | None, patent: Any,
                   valuation: dict | None = None, *, price_fen: int | None = None, fee_terms: dict | None = None,
                   thresholds: Thresholds | None = None) -> list[Step]:
    """The approvals a deal needs before signing, in the order they are usually done.

    `price_formed_by` is how the platform formed the price (never the listing's label): anything
    but the platform's own listing or auction is an agreement price. `valuation` is what has been
    recorded so far (the deal's `valuation`): a university that decided to have the asset
    evaluated then needs the evaluation, and a central SOE whose asset cannot be valued has
    nothing to file.
    """
    kind = DealKind(kind)
    if kind not in NEGOTIATED_KINDS:
        return []
    valuation = valuation or {}
    thresholds = thresholds or Thresholds()
    pricing_method = price_formed_by if price_formed_by in (LISTING, AUCTION) else AGREEMENT
    steps: list[Step] = []
    if is_co_owned(patent) and (kind in EXCLUSIVE_KINDS or kind in OWNERSHIP_KINDS):
        steps.append(CO_OWNER_CONSENT)
    if pledged(patent):
        steps.append(PLEDGEE_CONSENT)
    rnd, soe = state_funded_rnd(seller), is_soe(seller)
    if rnd or soe:
        steps.append(DECISION)
    if rnd and pricing_method == AGREEMENT:
        steps.append(PUBLICITY)
    needs_valuation = soe or kind == DealKind.EQUITY
    if rnd and not needs_valuation:
        wholly_state_owned_buyer = is_soe(buyer) and bool(getattr(buyer, "wholly_state_owned", False))
        decided = valuation.get("decision")
        if not wholly_state_owned_buyer or decided is not None:
            steps.append(VALUATION_DECISION)
        needs_valuation = bool(decided and decided.get("evaluate"))
    if needs_valuation:
        steps.append(VALUATION)
    # Only a central SOE's finding that the asset cannot be valued leaves nothing to approve or file.
    if soe and not (is_central_soe(seller) and valuation.get("basis") == "NONE_ALLOWED"):
        steps.append(VALUATION_FILED)
    if needs_exchange_listing(kind, seller, price_fen, thresholds):
        steps.append(EXCHANGE_LISTING)
    if soe and kind in EXCLUSIVE_KINDS and token_royalty(fee_terms, thresholds.token_royalty_pct):
        steps.append(TOKEN_ROYALTY_ACK)
    if kind in OWNERSHIP_KINDS and getattr(seller, "org_type", None) in (OrgType.UNIVERSITY, OrgType.SOE):
        steps.append(INVENTOR_WAIVER)
    if is_foreign(buyer):
        steps.append(EXPORT_LICENCE)
    return steps
