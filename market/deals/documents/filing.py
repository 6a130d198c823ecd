"""The filing package of a licence (备案) and the REC 12 refusal grounds run as pre-checks (R-LC-6)."""

from __future__ import annotations

from datetime import date

from listings.vocabulary import DealMode, Encumbrance, LegalStatus, PatentType
from market.core.money import yuan_text
from market.core.names import fold_name
from market.core.time import today_local
from market.deals.documents.contract import contract
from market.deals.documents.grounds import (
    BLOCKED,
    OK,
    TERMS_RECORD,
    WARN,
    ContractGap,
    PreCheck,
    contract_gaps,
    filing_grounds,
    pledgee_consented,
)
from market.deals.documents.model import (
    FILED_STATES,
    FILING_KINDS,
    Document,
    Section,
    _day,
    _declaration,
    _terms,
    _tr,
    contract_number,
    filing_deadline,
)
from market.deals.models import Deal
from market.deals.vocabulary import CLOSED_STATES, DealKind
from market.deals.vocabulary import DealStatus as S

# After these the licence has run its course: nothing is left to file.
_PAST_FILING = frozenset({*FILED_STATES, *CLOSED_STATES, S.COMPLETED})


# -- the filing package ----------------------------------------------------------------------

def filing_prechecks(deal: Deal, today: date | None = None) -> list[PreCheck]:
    """The REC 12 grounds as the filing package shows them (the one checker: grounds.py)."""
    return filing_grounds(deal, today)


def filing_readiness(deal: Deal) -> list[ContractGap]:
    """What a licence's filing still lacks that the parties can supply, asked for before the filing
    step: the items REC 9 requires of the contract (the REC 12(3) ground reads the same list)."""
    if deal.kind not in FILING_KINDS or deal.status in _PAST_FILING:
        return []
    gaps = contract_gaps(deal)
    if deal.status == S.NEGOTIATING:
        # The term is what the offers are agreeing; it is only missing once they agreed without one.
        gaps = [g for g in gaps if g.holder != TERMS_RECORD]
    return gaps


def checklist(deal: Deal, lang: str = "zh") -> list[list[str]]:
    """REC 8's documents (licences) or the registration papers (transfers, equity)."""
    t = _tr(lang)
    head = [t("材料", "Document"), t("说明", "Notes")]
    if deal.kind in FILING_KINDS:
        rows = [[t("专利实施许可合同备案申请表", "Licence filing application form"),
                 t("由许可人或其委托的专利代理机构签章（备案办法第8条）", "Signed by the licensor or its agent (REC 8)")],
                [t("专利实施许可合同", "The licence contract"), t("本合同，双方签章", "This contract, signed by both")],
                [t("双方当事人的身份证明", "Proof of identity of both parties"),
                 t("营业执照或统一社会信用代码证书复印件", "Copies of business licences")],
                [t("专利代理委托书", "Power of attorney"), t("委托专利代理机构办理的提交", "If an agent files it")]]
        if deal.kind == DealKind.OPEN_LICENSE:
            rows.append([t("达成开放许可的书面证明", "Written proof of the open licence"),
                         t("书面通知及许可使用费付款凭证（专利法实施细则第87条）",
                           "The written notice and the fee receipt (IR art. 87)")])
    else:
        rows = [[t("著录项目变更申报书", "Request to change the bibliographic data"),
                 t("转让双方签章", "Signed by both parties")],
                [t("转让合同", "The assignment contract"), t("本合同", "This contract")],
                [t("双方当事人的身份证明", "Proof of identity of both parties"), t("营业执照复印件", "Business licences")],
                [t("全体共有人同意的证明", "Consent of every co-owner"), t("共有专利适用（专利法第14条）", "Co-owned patents")]]
        if deal.kind == DealKind.EQUITY:
            rows.append([t("工商变更登记证明", "Capital registration"), t("注册资本变更后提交平台", "After the capital is registered")])
        if deal.buyer.country and deal.buyer.country != "CN":
            rows.append([t("技术出口许可证或登记证明", "Technology export licence or registration"),
                         t("向外国转让的（专利法第10条第2款）", "Assignment abroad (Patent Law art. 10(2))")])
    if any(f.active and f.flag == Encumbrance.PLEDGED for p in deal.members for f in p.flags):
        rows.append([t("质权人同意书", "Pledgee's consent"), t("专利权已出质（民法典第444条）", "The patent is pledged")])
    return [head, *rows]


def _patent_fields(deal: Deal, lang: str) -> list[tuple[str, str]]:
    """The form's patent fields: one filing for a package lists every patent, each with its own particulars."""
    t = _tr(lang)
    rows = []
    for n, p in enumerate(deal.members, start=1):
        mark = f"{n}. " if deal.is_package else ""
        rows += [(mark + t("专利号", "Patent no."), p.patent_no), (mark + t("专利名称", "Title"), p.title),
                 (mark + t("专利类型", "Type"), PatentType(p.patent_type).label(lang)),
                 (mark + t("申请日", "Filing date"), _day(p.filing_date)),
                 (mark + t("授权公告日", "Grant date"), _day(p.grant_date))]
    if deal.is_package:
        rows.insert(0, (t("专利件数", "Number of patents"), t(f"{len(deal.members)} 件（一份合同、一次备案）",
                                                            f"{len(deal.members)} (one contract, one filing)")))
    return rows


def application_form_rows(deal: Deal, lang: str = "zh") -> list[tuple[str, str]]:
    """The fields of the filing application form (备案申请表)."""
    t = _tr(lang)
    terms = _terms(deal)
    fee = terms.describe(lang) if terms else (yuan_text(deal.price_fen, lang) if deal.price_fen else "—")
    decl = _declaration(deal)
    licensors = "、".join(decl.patentees) if decl is not None and decl.patentees else deal.seller.name
    return [(t("许可人", "Licensor"), licensors), (t("许可人统一社会信用代码", "Licensor's USCC"), deal.seller.uscc or "—"),
            (t("许可人地址", "Licensor's address"), deal.seller.address or "—"),
            (t("被许可人", "Licensee"), deal.buyer.name), (t("被许可人统一社会信用代码", "Licensee's USCC"), deal.buyer.uscc or "—"),
            (t("被许可人地址", "Licensee's address"), deal.buyer.address or "—"),
            *_patent_fields(deal, lang),
            (t("许可种类", "Kind of licence"), DealMode(deal.kind).label(lang)),
            (t("许可期限", "Term"), f"{_day(deal.start_date)} — {_day(deal.end_date)}"),
            (t("地域范围", "Territory"), deal.territory or "—"),
            (t("许可使用费", "Fee"), fee),
            (t("合同编号", "Contract no."), contract_number(deal)),
            (t("合同生效日", "Effective date"), _day(deal.effective_date or deal.signed_date)),
            (t("备案期限", "Filing deadline"), _day(filing_deadline(deal)))]


def filing_package(deal: Deal, lang: str = "zh", today: date | None = None) -> Document:
    """The filing (备案) package: form, documents to submit, deadline, pre-checks, then the contract."""
    t = _tr(lang)
    today = today or today_local()
    deadline = filing_deadline(deal)
    intro = []
    if deal.kind in FILING_KINDS:
        title = t("专利实施许可合同备案材料", "Licence filing package")
        if deadline is not None:
            days = (deadline - today).days
            intro.append(t(f"备案期限：{_day(deadline)}（自合同生效之日起3个月内，专利法实施细则第15条第2款）"
                           + (f"，剩余{days}天" if days >= 0 else f"，已逾期{-days}天"),
                           f"Filing deadline: {_day(deadline)} (3 months from the effective date, IR art. 15(2))"
                           + (f", {days} days left" if days >= 0 else f", {-days} days overdue")))
        else:
            intro.append(t("备案期限：合同生效后3个月内（合同尚未生效）。",
                           "Filing deadline: 3 months after the contract takes effect (it has not yet)."))
        form_heading = t("一、备案申请表", "1. Application form")
    else:
        title = t("专利权转让登记材料", "Assignment registration package")
        intro.append(t("转让自国家知识产权局登记之日起生效（专利法第10条第3款）。",
                       "The assignment takes effect when CNIPA registers it (Patent Law art. 10(3))."))
        form_heading = t("一、登记事项", "1. Particulars")
    checks = filing_prechecks(deal, today) if deal.kind in FILING_KINDS else _registration_prechecks(deal, today)
    status_label = {OK: t("通过", "OK"), WARN: t("注意", "Check"), BLOCKED: t("不通过", "Blocked")}
    sections = [Section(form_heading, rows=application_form_rows(deal, lang)),
                Section(t("二、提交材料清单", "2. Documents to submit"), table=checklist(deal, lang)),
                Section(t("三、备案前检查", "3. Pre-checks"),
                        # Words first; the rule's id last, for the lawyer who checks it.
                        table=[[t("检查项", "Check"), t("结果", "Result"), t("说明", "Detail"), t("依据", "Rule")]]
                        + [[c.label(lang), status_label[c.status], c.detail(lang), c.rule] for c in checks])]
    return Document("filing", title, contract_number(deal), lang, intro=intro, sections=sections,
                    appendix=contract(deal, lang))


def _registration_prechecks(deal: Deal, today: date) -> list[PreCheck]:
    """The checks of each patent the assignment covers (every patent of a package, each named)."""
    out = []
    for p in deal.members:
        checks = _patent_registration_prechecks(deal, p, today)
        out += [PreCheck(c.rule, f"{p.application_number}：{c.zh}", f"{p.application_number}: {c.en}", c.status)
                for c in checks] if deal.is_package else checks
    return out


def _patent_registration_prechecks(deal: Deal, p, today: date) -> list[PreCheck]:
    flags = p.active_flags(today)
    out = []
    for rule, zh, en, bad in (
            ("R-TR-2", "专利权有效或专利申请审查中", "Granted and in force, or pending",
             p.legal_status == LegalStatus.LAPSED),
            ("R-TR-2", "未中止、未被保全", "Not suspended or preserved",
             Encumbrance.SUSPENDED in flags or Encumbrance.PRESERVED in flags),
            ("R-LC-7", "质押专利已取得质权人同意", "A pledged patent has the pledgee's consent",
             Encumbrance.PLEDGED in flags and not pledgee_consented(deal, p)),
            ("REC 12(2)", "转让方是登记的专利权人", "The assignor is the registered patentee",
             fold_name(deal.seller.name) not in {fold_name(n) for n in p.owner_names})):
        out.append(PreCheck(rule, zh, en, BLOCKED if bad else OK))
    return out
