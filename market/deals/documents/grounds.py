"""The grounds on which CNIPA refuses a licence filing (REC 12; R-LC-6), checked in one place.

The filing package shows every ground with its outcome (`filing_grounds`); recording a filing
refuses while any ground is blocked (`filing_blockers`). Both read the same checks, so the page
can never promise what the action then refuses, or the other way round. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from listings.vocabulary import DealMode, Encumbrance, LegalStatus, Source
from market.core.extensions import db
from market.core.names import fold_name
from market.core.time import today_local
from market.deals import approvals as rules
from market.deals.documents.model import FILED_STATES, FILING_KINDS, _day, contract_number, filing_deadline
from market.deals.models import Deal, DealPatent, PatentClaim
from market.deals.vocabulary import EXCLUSIVE_KINDS

OK, WARN, BLOCKED = "ok", "warn", "blocked"


@dataclass(frozen=True)
class PreCheck:
    """One REC 12 refusal ground checked before filing (R-LC-6): ok, warn or blocked."""

    rule: str
    zh: str
    en: str
    status: str
    detail_zh: str = ""
    detail_en: str = ""
    code: str = ""

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def detail(self, lang: str) -> str:
        return self.detail_en if lang == "en" else self.detail_zh


def seller_is_patentee(deal: Deal) -> bool:
    """The seller is among the registered patentees, names compared folded (R-DI-3)."""
    return fold_name(deal.seller.name) in {fold_name(n) for n in deal.patent.owner_names}


def other_owners(deal: Deal) -> list[str]:
    """Co-owners other than the seller, whose consent a sole/exclusive licence or transfer needs."""
    seller = fold_name(deal.seller.name)
    return [o.name for o in deal.patent.owners if fold_name(o.name) != seller]


def filing_grounds(deal: Deal, today: date | None = None, record_no: str | None = None) -> list[PreCheck]:
    """Every REC 12 ground against our records (and the register's flags), in the rule's order.

    A package's one filing covers every patent: a ground fails if it fails for any of them, and says for which.
    """
    per = [_grounds(deal, p, today or today_local(), record_no) for p in deal.members]
    if len(per) == 1:
        return per[0]
    out = []
    for checks in zip(*per, strict=True):
        bad = [(p, c) for p, c in zip(deal.members, checks, strict=True) if c.status != OK]
        if not bad:
            out.append(checks[0])
            continue
        first = bad[0][1]
        status = BLOCKED if any(c.status == BLOCKED for _, c in bad) else WARN
        out.append(PreCheck(first.rule, first.zh, first.en, status,
                            "；".join(f"{p.application_number}：{c.detail_zh}" for p, c in bad),
                            "; ".join(f"{p.application_number}: {c.detail_en}" for p, c in bad), first.code))
    return out


def _grounds(deal: Deal, p, today: date, record_no: str | None) -> list[PreCheck]:
    flags = p.active_flags(today)
    seller_listed = fold_name(deal.seller.name) in {fold_name(n) for n in p.owner_names}
    checks: list[PreCheck] = []

    def add(rule, code, zh, en, bad, detail_zh="", detail_en="", warn=False):
        checks.append(PreCheck(rule, zh, en, (WARN if warn else BLOCKED) if bad else OK,
                               detail_zh if bad else "", detail_en if bad else "", code))

    lapsed = p.legal_status == LegalStatus.LAPSED or bool(p.last_protected_day and p.last_protected_day < today)
    add("REC 12(1)", "patent_lapsed", "专利权有效（未终止、未被宣告无效）", "The patent is in force", lapsed,
        "专利权已终止或被宣告无效（备案办法第12条第1项）。", "The patent has lapsed or been invalidated (REC 12(1)).")
    # Names compare folded (full-width, spaces, brackets): the register and a form write one name two ways.
    if seller_listed and p.owners_source != Source.REGISTER:
        # R-DI-3: the names on the contract must be the register's, not what a user typed.
        add("REC 12(2)", "owners_unconfirmed", "许可人是登记的专利权人", "The licensor is the registered patentee",
            True, f"专利权人（{'、'.join(p.owner_names)}）尚待国知局登记簿核实：请导入登记簿的法律状态（含专利权人）后再备案"
            "（备案办法第12条第2项，R-DI-3）。",
            f"The patentees ({', '.join(p.owner_names)}) await the CNIPA register: import the register's status "
            "(with the patentees) before filing (REC 12(2), R-DI-3).")
    else:
        add("REC 12(2)", "licensor_not_patentee", "许可人是登记的专利权人", "The licensor is the registered patentee",
            not seller_listed,
            f"许可人“{deal.seller.name}”不在登记的专利权人（{'、'.join(p.owner_names)}）之中（备案办法第12条第2项，R-DI-3）。",
            f"The licensor “{deal.seller.name}” is not among the registered patentees (REC 12(2), R-DI-3).")
    missing = _missing_contract_items(deal)
    add("REC 12(3)", "contract_incomplete", "合同具备备案办法第9条规定的内容", "The contract has the items REC 9 requires",
        bool(missing), "合同缺少备案所需内容：" + "、".join(m[0] for m in missing) + "（备案办法第9条）。",
        "The contract lacks what filing needs: " + ", ".join(m[1] for m in missing) + " (REC 9).")
    beyond = deal.end_date is not None and p.last_protected_day is not None and deal.end_date > p.last_protected_day
    add("REC 12(4)", "term_beyond_patent", "许可期限不超过专利权有效期", "The term stays within the patent's term", beyond,
        f"许可期限至{_day(deal.end_date)}，超过专利权期限届满日{_day(p.last_protected_day)}（备案办法第12条第4项）。",
        f"The term ends {_day(deal.end_date)}, after the last protected day {_day(p.last_protected_day)} (REC 12(4)).")
    add("REC 12(5)", "co_owner_breach", "共有人的约定得到遵守", "Co-owners' rights are respected",
        deal.kind in EXCLUSIVE_KINDS and _co_owner_missing(deal),
        "共有专利的排他或独占许可须经全体共有人同意（专利法第14条；备案办法第12条第5项）。",
        "A sole or exclusive licence of a co-owned patent needs every co-owner (Patent Law art. 14; REC 12(5)).")
    add("REC 12(6)", "fee_grace", "不在年费滞纳期内", "Not in the annual-fee grace period",
        p.legal_status == LegalStatus.FEE_GRACE,
        "专利处于年费滞纳期（备案办法第12条第6项），请先缴纳年费及滞纳金。",
        "The patent is in its annual-fee grace period (REC 12(6)); pay the fee and surcharge first.")
    frozen = Encumbrance.SUSPENDED in flags or Encumbrance.PRESERVED in flags
    add("REC 12(7)", "suspended_or_preserved", "未因权属纠纷中止、未被保全", "Not suspended or preserved", frozen,
        "专利权处于中止程序或被人民法院保全（备案办法第12条第7项）。",
        "The patent is suspended or preserved by a court (REC 12(7)).")
    add("REC 12(8)", "duplicate_filing", "未重复备案", "Not filed already", *_duplicate(deal, record_no))
    add("REC 12(9)", "pledged_without_consent", "质押专利已取得质权人同意", "A pledged patent has the pledgee's consent",
        Encumbrance.PLEDGED in flags and not pledgee_consented(deal, p),
        "专利权已质押，未取得质权人同意（民法典第444条；备案办法第12条第9项）。",
        "The patent is pledged and the pledgee has not consented (Civil Code art. 444; REC 12(9)).")
    conflict = _conflicting_licence(deal, p, flags)
    add("REC 12(10)", "conflicts_with_filed", "与已备案的许可合同不冲突", "No conflict with a filed licence",
        conflict is not None, f"与已备案的{conflict[0]}期限重叠，相互冲突（备案办法第12条第10项）。" if conflict else "",
        f"It conflicts with the filed {conflict[1]} over overlapping terms (REC 12(10))." if conflict else "")
    add("R-OL-7", "open_licence_in_force", "许可期间没有生效的开放许可声明", "No open licence in force over the term",
        deal.kind in EXCLUSIVE_KINDS and _open_licence_in_force(deal, p, flags),
        "该专利在许可期间有生效的开放许可声明（含国知局登记簿记载的），不得备案独占或排他许可；"
        "声明撤回公告后方可（专利法第51条第3款，R-OL-7）。",
        "An open-licence declaration (the platform's or one recorded in the CNIPA register) is in force over "
        "the term, so no exclusive or sole licence can be filed until its withdrawal is announced "
        "(Patent Law art. 51(3), R-OL-7).")
    deadline = filing_deadline(deal)
    if deadline is not None and deal.status not in FILED_STATES:
        add("IR 15(2)", "late", "在备案期限内", "Within the filing deadline", deadline < today,
            f"备案期限{_day(deadline)}已过；可补办备案，但需说明情况。",
            f"The deadline {_day(deadline)} has passed; a late filing needs an explanation.", warn=True)
    return checks


def filing_blockers(deal: Deal, record_no: str | None = None, today: date | None = None) -> list[tuple[str, str, str]]:
    """The grounds CNIPA would refuse the filing for, as (code, zh, en); empty when it can be filed."""
    return [(c.code, c.detail_zh, c.detail_en) for c in filing_grounds(deal, today, record_no) if c.status == BLOCKED]


@dataclass(frozen=True)
class ContractGap:
    """An item REC 9 requires of the contract that our records lack, and whose record it belongs in:
    the seller's or the buyer's organisation profile, the patent, or the deal's agreed terms."""

    zh: str
    en: str
    holder: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


SELLER_RECORD, BUYER_RECORD, PATENT_RECORD, TERMS_RECORD = "seller", "buyer", "patent", "terms"


def contract_gaps(deal: Deal) -> list[ContractGap]:
    """What REC 9 requires of the contract (parties, patent, kind and term; R-LC-5) that our records lack."""
    p = deal.patent
    items = [("许可人名称", "licensor's name", SELLER_RECORD, deal.seller.name),
             ("许可人住所", "licensor's address", SELLER_RECORD, deal.seller.address),
             ("被许可人名称", "licensee's name", BUYER_RECORD, deal.buyer.name),
             ("被许可人住所", "licensee's address", BUYER_RECORD, deal.buyer.address),
             ("专利名称", "patent title", PATENT_RECORD, p.title),
             # The patent number exists once the patent is granted (专利号 = ZL + application number).
             ("专利号", "patent number", PATENT_RECORD, p.grant_date),
             ("申请日", "filing date", PATENT_RECORD, p.filing_date),
             ("授权公告日", "grant date", PATENT_RECORD, p.grant_date),
             ("许可期限", "licence term", TERMS_RECORD, deal.start_date and deal.end_date)]
    return [ContractGap(zh, en, holder) for zh, en, holder, value in items if not value]


def _missing_contract_items(deal: Deal) -> list[tuple[str, str]]:
    return [(gap.zh, gap.en) for gap in contract_gaps(deal)]


def _co_owner_missing(deal: Deal) -> bool:
    """A co-owner other than the seller has not consented on record (each by name)."""
    consents = ((deal.approvals or {}).get(rules.CO_OWNER_CONSENT.code) or {}).get("owners", {})
    return any(name not in consents for name in other_owners(deal))


def pledgee_consented(deal: Deal, patent=None) -> bool:
    """The pledgee's consent is on record: as the deal's approval, or on the register flag (of `patent`,
    the deal's own by default)."""
    if (deal.approvals or {}).get(rules.PLEDGEE_CONSENT.code):
        return True
    patent = patent or deal.patent
    return any(f.pledgee_consent_doc for f in patent.flags if f.active and f.flag == Encumbrance.PLEDGED)


def _duplicate(deal: Deal, record_no: str | None) -> tuple[bool, str, str]:
    if deal.filing_record_no or deal.status in FILED_STATES:
        return (True, f"该合同已备案（备案号 {deal.filing_record_no or '—'}），不能重复备案（备案办法第12条第8项）。",
                f"This contract is already filed (no. {deal.filing_record_no or '—'}; REC 12(8)).")
    if record_no and db.session.scalar(select(Deal.id).where(Deal.filing_record_no == record_no, Deal.id != deal.id)):
        return (True, "该备案号已用于另一份合同（备案办法第12条第8项）。",
                "That record number belongs to another contract (REC 12(8)).")
    return False, "", ""


def _conflicting_licence(deal: Deal, patent, flags: set[str]) -> tuple[str, str] | None:
    """A filed licence overlapping this one where either is sole or exclusive: on the platform or the register."""
    exclusive = deal.kind in EXCLUSIVE_KINDS
    on_register = {Encumbrance.EXCLUSIVE_LICENSE, Encumbrance.SOLE_LICENSE} & flags
    kinds = list(FILING_KINDS) if exclusive else list(EXCLUSIVE_KINDS)
    on_patent = (Deal.patent_id == patent.id) | Deal.further_patents.any(DealPatent.patent_id == patent.id)
    query = select(Deal).where(on_patent, Deal.id != deal.id, Deal.kind.in_(kinds),
                               Deal.status.in_(FILED_STATES)).order_by(Deal.id)
    for other in db.session.scalars(query):
        if _overlaps(deal, other):
            mode = DealMode(other.kind)
            return f"{mode.zh}合同（{contract_number(other)}）", f"{mode.en.lower()} ({contract_number(other)})"
    if on_register:
        return "独占或排他许可（登记簿）", "sole or exclusive licence (register)"
    return None


def _open_licence_in_force(deal: Deal, patent, flags: set[str]) -> bool:
    """An open licence held on the patent over the deal's term: a claim (platform or register) or the flag."""
    lo, hi = deal.start_date or date.min, deal.end_date or date.max
    held = db.session.scalar(select(PatentClaim.id).where(
        PatentClaim.patent_id == patent.id, PatentClaim.kind == DealMode.OPEN_LICENSE,
        PatentClaim.active.is_(True), PatentClaim.starts_on <= hi, PatentClaim.ends_on >= lo))
    return held is not None or Encumbrance.OPEN_LICENSE in flags


def _overlaps(a: Deal, b: Deal) -> bool:
    lo, hi = date.min, date.max
    return (a.start_date or lo) <= (b.end_date or hi) and (b.start_date or lo) <= (a.end_date or hi)
