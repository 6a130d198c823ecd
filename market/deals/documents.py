"""The papers of a deal: the contract (every kind), the written notice, the filing package.

Each is built once as a `Document` (title, number, sections of paragraphs, label/value rows and
tables) and rendered twice from that one source: as printable HTML by a template and as PDF by
`render_pdf` (reportlab, with the built-in CID font STSong-Light so Chinese needs no font file).
The contract carries what CC 845 ¶3 and REC 9 require; the filing package runs the REC 12
refusal grounds as pre-checks (R-LC-6). Builders read the database but never write to it,
except `assign_reference`, which the deal's creator calls.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from listings.vocabulary import DealMode, Encumbrance, LegalStatus, PatentType
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.time import SHANGHAI, add_months, today_local
from market.deals.fees import FeeTerms
from market.deals.models import Deal
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import (
    EXCLUSIVE_KINDS,
    LICENCE_KINDS,
    DealKind,
    DealStatus,
    LedgerEvent,
    PaymentKind,
    PaymentStatus,
)
from market.payments.models import Payment

if TYPE_CHECKING:
    from market.accounts.models import Organisation, User
    from market.deals.open_licence.models import OpenLicenceDeclaration

KIND_LETTERS = {DealKind.OPEN_LICENSE: "O", DealKind.LICENSE_ORDINARY: "L", DealKind.LICENSE_SOLE: "S",
                DealKind.LICENSE_EXCLUSIVE: "X", DealKind.TRANSFER: "T", DealKind.EQUITY: "E"}
FILING_KINDS = LICENCE_KINDS | {DealKind.OPEN_LICENSE}
DEFAULT_FILING_MONTHS = 3  # IR 15 ¶2; REC 5
# Filed or in force: what a new filing could conflict with (REC 12(9)).
FILED_STATES = (DealStatus.FILED, DealStatus.ACTIVE)


# -- contract numbers ------------------------------------------------------------------------

def reference_for(deal: Deal, today: date | None = None) -> str:
    """PSM-<year>-<kind letter>-<id>: printed on the contract and quoted on payments."""
    year = (today_local(deal.created_at.replace(tzinfo=UTC)) if deal.created_at else (today or today_local())).year
    return f"PSM-{year}-{KIND_LETTERS[DealKind(deal.kind)]}-{deal.id:06d}"


def assign_reference(deal: Deal, today: date | None = None) -> str:
    """Give a new deal its contract number (flushes once if the deal has no id yet)."""
    if not deal.reference:
        if deal.id is None:
            db.session.flush([deal])
        deal.reference = reference_for(deal, today)
    return deal.reference


def contract_number(deal: Deal) -> str:
    return deal.reference or reference_for(deal)


# -- amounts in words ------------------------------------------------------------------------

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


def yuan_text(fen: int | None, lang: str = "zh") -> str:
    if fen is None:
        return "—"
    return f"{fen / 100:,.2f}元" if lang != "en" else f"¥{fen / 100:,.2f}"


# -- the document model ----------------------------------------------------------------------

@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # the first row is the header


@dataclass
class Document:
    kind: str  # contract | notice | filing
    title: str
    number: str
    lang: str
    intro: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    signatures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    appendix: Document | None = None


def _beijing(iso: str | None) -> str:
    """A stored UTC timestamp (ISO text) as Beijing time, as the parties read it."""
    if not iso:
        return "—"


    moment = datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _tr(lang: str):
    return (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


# -- the contract ----------------------------------------------------------------------------

def contract_title(deal: Deal, lang: str = "zh") -> str:
    t = _tr(lang)
    kind = DealKind(deal.kind)
    if kind == DealKind.OPEN_LICENSE:
        return t("专利实施许可合同（开放许可）", "Patent Licence Contract (Open Licence)")
    if kind in LICENCE_KINDS:
        return t(f"专利实施许可合同（{kind.zh}）", f"Patent Licence Contract ({kind.en})")
    if kind == DealKind.TRANSFER:
        granted = deal.patent.grant_date is not None
        return t("专利权转让合同" if granted else "专利申请权转让合同",
                 "Patent Assignment Contract" if granted else "Assignment of a Patent Application")
    return t("专利权作价投资协议", "Agreement on Investing a Patent as Capital")


def _roles(deal: Deal, lang: str) -> tuple[str, str]:
    t = _tr(lang)
    kind = DealKind(deal.kind)
    if kind == DealKind.TRANSFER:
        return t("转让方（甲方）", "Assignor (Party A)"), t("受让方（乙方）", "Assignee (Party B)")
    if kind == DealKind.EQUITY:
        return t("出资方（甲方）", "Investor (Party A)"), t("被投资企业（乙方）", "Investee company (Party B)")
    return t("许可方（甲方）", "Licensor (Party A)"), t("被许可方（乙方）", "Licensee (Party B)")


def _party_rows(role: str, org: Organisation, lang: str, *, names: list[str] | None = None) -> list[tuple[str, str]]:
    t = _tr(lang)
    contact = "，".join(x for x in (org.contact_name, org.contact_phone, org.contact_email) if x)
    rows = [(role, "、".join(names) if names else org.name),
            (t("统一社会信用代码", "Unified social credit code"), org.uscc or t("（个人）", "(individual)")),
            (t("住所", "Address"), org.address or "—")]
    if contact:
        rows.append((t("联系人及联系方式", "Contact"), contact))
    return rows


def _patent_rows(deal: Deal, lang: str) -> list[tuple[str, str]]:
    t = _tr(lang)
    p = deal.patent
    rows = [(t("专利名称", "Title"), p.title),
            (t("专利类型", "Type"), PatentType(p.patent_type).label(lang)),
            (t("专利权人", "Patentee(s)"), "、".join(p.owner_names)),
            (t("申请日", "Filing date"), _day(p.filing_date)),
            (t("申请号", "Application no."), p.application_number),
            (t("专利号", "Patent no."), p.patent_no if p.grant_date else t("（尚未授权）", "(not granted)")),
            (t("授权公告日", "Grant date"), _day(p.grant_date)),
            (t("专利权期限届满日", "Last protected day"), _day(p.last_protected_day)),
            (t("法律状态", "Legal status"), LegalStatus(p.legal_status).label(lang))]
    return rows


def _terms(deal: Deal) -> FeeTerms | None:
    if not deal.fee_terms:
        return None
    try:
        return FeeTerms.from_dict(deal.fee_terms)
    except DomainError:
        return None


def _payments(deal: Deal):

    return list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)
                                   .order_by(Payment.due_date, Payment.id)))


def payment_table(deal: Deal, lang: str = "zh") -> list[list[str]]:
    """The schedule of sums: the deal's payments, or what its terms will make due."""
    t = _tr(lang)
    head = [t("款项", "Sum"), t("金额", "Amount"), t("应付日期", "Due"), t("状态", "Status")]
    rows = [[f"{PaymentKind(p.kind).label(lang)} #{p.sequence}", yuan_text(p.amount_fen, lang), _day(p.due_date),
             PaymentStatus(p.status).label(lang)] for p in _payments(deal)]
    if not rows:
        terms = _terms(deal)
        start = deal.effective_date or deal.start_date
        if terms is not None and start is not None and deal.kind != DealKind.EQUITY:
            rows = [[f"{PaymentKind(kind).label(lang)} #{seq}", yuan_text(amount, lang), _day(due),
                     t("未到期", "Not yet due")] for kind, seq, amount, due in terms.upfront_schedule(start)]
        elif deal.kind == DealKind.TRANSFER and deal.price_fen:
            rows = [[PaymentKind.TRANSFER_PRICE.label(lang), yuan_text(deal.price_fen, lang),
                     t("合同约定", "As agreed"), t("未到期", "Not yet due")]]
    return [head, *rows] if rows else []


def filing_deadline(deal: Deal) -> date | None:
    if deal.filing_deadline:
        return deal.filing_deadline
    if deal.kind in FILING_KINDS and deal.effective_date:
        return add_months(deal.effective_date, DEFAULT_FILING_MONTHS)
    return None


def _declaration(deal: Deal) -> OpenLicenceDeclaration | None:
    if deal.declaration_id is None:
        return None

    return db.session.get(OpenLicenceDeclaration, deal.declaration_id)


def notice_event(deal: Deal):
    return next((e for e in deal.events if e.kind == LedgerEvent.NOTICE), None)


def contract(deal: Deal, lang: str = "zh") -> Document:
    """The written contract (CC 863 ¶3) with every item CC 845 ¶3 and REC 9 require."""
    t = _tr(lang)
    kind = DealKind(deal.kind)
    decl = _declaration(deal)
    seller_role, buyer_role = _roles(deal, lang)
    seller_names = list(decl.patentees) if decl is not None and decl.patentees else None
    sections = [
        Section(t("第一条 合同双方", "Article 1. The parties"),
                rows=_party_rows(seller_role, deal.seller, lang, names=seller_names)
                + _party_rows(buyer_role, deal.buyer, lang)),
        Section(t("第二条 专利", "Article 2. The patent"), rows=_patent_rows(deal, lang)),
    ]
    n = 3
    if kind in FILING_KINDS:
        sections.append(_licence_scope(deal, n, lang))
    elif kind == DealKind.TRANSFER:
        sections.append(_transfer_clause(deal, n, lang))
    else:
        sections.append(_equity_clause(deal, n, lang))
    n += 1
    sections.append(_fee_clause(deal, n, lang))
    n += 1
    if kind == DealKind.OPEN_LICENSE and decl is not None:
        sections.append(_open_licence_clause(deal, decl, n, lang))
        n += 1
    sections.append(_filing_clause(deal, n, lang))
    n += 1
    duties = [t("许可方/转让方保证其为登记的专利权人，有权订立本合同；合同有效期内应按时缴纳年费、维持专利权有效"
                "（技术合同解释第26条）。",
                "Party A warrants it is the registered patentee entitled to make this contract and will keep "
                "the patent in force, paying the annual fees (SPC Interpretation art. 26)."),
              t("专利权被宣告无效的，宣告无效的决定对已经履行的许可、转让合同不具有追溯力（专利法第47条第2款）。",
                "An invalidation does not affect licence or assignment contracts already performed "
                "(Patent Law art. 47(2)).")]
    if deal.other_terms:
        duties.append(t("其他约定：", "Other terms: ") + deal.other_terms)
    sections.append(Section(t(f"第{_cn(n)}条 其他约定", f"Article {n}. Other terms"), paragraphs=duties))
    n += 1
    sections.append(Section(t(f"第{_cn(n)}条 争议解决", f"Article {n}. Disputes"), paragraphs=[
        t("因开放许可发生纠纷的，由当事人协商解决；不愿协商或者协商不成的，可以请求国务院专利行政部门进行调解，"
          "也可以向人民法院起诉（专利法第52条）。",
          "Disputes over the open licence are settled by negotiation; failing that, either party may ask CNIPA "
          "to mediate or sue in a people's court (Patent Law art. 52).")
        if kind == DealKind.OPEN_LICENSE else
        t("因本合同发生的争议，双方应协商解决；协商不成的，任何一方可向有管辖权的人民法院提起诉讼。",
          "Disputes are settled by negotiation; failing that, either party may sue in the competent "
          "people's court.")]))
    signed = deal.signed_date or deal.licensed_date or (
        today_local(deal.agreed_at.replace(tzinfo=UTC)) if deal.agreed_at else None)
    intro = [t(f"合同编号：{contract_number(deal)}", f"Contract no.: {contract_number(deal)}"),
             t(f"签订/成立日期：{_day(signed)}", f"Made on: {_day(signed)}")]
    if deal.point is not None:
        intro.append(t(f"经办网点：{deal.point.name}", f"Point: {deal.point.name_en or deal.point.name}"))
    notes = [t("本合同依《中华人民共和国民法典》第八百四十五条、第八百六十三条以书面形式订立。",
               "Made in writing under Civil Code arts. 845 and 863.")]
    if lang == "en":
        notes.append("This English text is a translation for reference; the Chinese text prevails.")
    return Document("contract", contract_title(deal, lang), contract_number(deal), lang, intro=intro,
                    sections=sections, notes=notes,
                    signatures=[(seller_role, "、".join(seller_names) if seller_names else deal.seller.name),
                                (buyer_role, deal.buyer.name)])


_CN_NUMBERS = "零一二三四五六七八九十"


def _cn(n: int) -> str:
    return _CN_NUMBERS[n] if n <= 10 else "十" + _CN_NUMBERS[n - 10]


def _licence_scope(deal: Deal, n: int, lang: str) -> Section:
    t = _tr(lang)
    kind = DealKind(deal.kind)
    meaning = {
        DealKind.OPEN_LICENSE: t("开放许可（普通许可性质）：专利权人仍可自行实施，并可按相同条件许可任何单位或个人实施。",
                                 "Open licence (ordinary in nature): the patentee may exploit the patent and "
                                 "license anyone on the same terms."),
        DealKind.LICENSE_ORDINARY: t("普通许可：许可方可以自行实施，并可以许可他人实施（技术合同解释第25条）。",
                                     "Ordinary licence: the licensor may exploit and license others (SPC "
                                     "Interpretation art. 25)."),
        DealKind.LICENSE_SOLE: t("排他许可：许可期间许可方不得再许可他人实施，但许可方自己可以实施（技术合同解释第25条）。",
                                 "Sole licence: the licensor licenses no one else but may exploit itself (SPC "
                                 "Interpretation art. 25)."),
        DealKind.LICENSE_EXCLUSIVE: t("独占许可：许可期间仅被许可方可以实施，许可方自己也不得实施（技术合同解释第25条）。",
                                      "Exclusive licence: only the licensee may exploit; the licensor may not "
                                      "(SPC Interpretation art. 25)."),
    }[kind]
    sub = (t("被许可方可以再许可他人实施，再许可为普通许可（技术合同解释第25条）。",
             "The licensee may grant ordinary sublicences (SPC Interpretation art. 25).") if deal.sublicense_allowed
           else t("被许可方无权允许合同规定以外的任何单位或者个人实施该专利（专利法第12条）。",
                  "The licensee may not allow anyone not named in this contract to exploit the patent "
                  "(Patent Law art. 12)."))
    rows = [(t("许可种类", "Kind of licence"), kind.label(lang)),
            (t("许可期限", "Term"), f"{_day(deal.start_date)} — {_day(deal.end_date)}"),
            (t("实施地域", "Territory"), deal.territory or "—"),
            (t("实施领域/范围", "Field of use"), deal.field_of_use or t("不限", "Not restricted"))]
    return Section(t(f"第{_cn(n)}条 许可种类、期限和范围", f"Article {n}. Kind, term and scope of the licence"),
                   paragraphs=[meaning, sub,
                               t("许可期限不超过专利权期限；专利权终止或被宣告无效的，许可随之终止（民法典第865条）。",
                                 "The term does not outlast the patent; the licence ends with it (Civil Code "
                                 "art. 865).")], rows=rows)


def _transfer_clause(deal: Deal, n: int, lang: str) -> Section:
    t = _tr(lang)
    return Section(t(f"第{_cn(n)}条 转让及生效", f"Article {n}. The assignment and when it takes effect"), paragraphs=[
        t("甲方将上述专利权（专利申请权）转让给乙方。双方应向国务院专利行政部门办理著录项目变更登记，"
          "专利权的转让自登记之日起生效（专利法第10条第3款）。",
          "Party A assigns the patent (application) to Party B. The parties register the change with CNIPA; "
          "the assignment takes effect on the registration date (Patent Law art. 10(3))."),
        t("转让前已订立的专利实施许可合同继续有效，其权利义务由乙方承继（技术合同解释第24条第2款）。",
          "Licences granted before the assignment continue; Party B takes over their rights and duties (SPC "
          "Interpretation art. 24(2)).")])


def _equity_clause(deal: Deal, n: int, lang: str) -> Section:
    t = _tr(lang)
    rows = [(t("作价金额", "Agreed value"), yuan_text(deal.price_fen, lang) +
             (f"（{rmb_upper(deal.price_fen)}）" if deal.price_fen and lang != "en" else "")),
            (t("持股比例", "Share"), f"{deal.share_pct}%" if deal.share_pct else "—"),
            (t("认缴注册资本", "Registered capital"), yuan_text(deal.registered_capital_fen, lang))]
    valuation = deal.valuation or {}
    if valuation:
        rows.append((t("评估/估值", "Valuation"), "；".join(f"{k}: {v}" for k, v in valuation.items() if v)))
    return Section(t(f"第{_cn(n)}条 作价出资", f"Article {n}. Contribution in kind"), paragraphs=[
        t("甲方以上述专利权作价出资，应依法评估作价，不得高估或者低估（公司法第48条第2款）；甲方应将专利权转移至乙方名下，"
          "办理专利权转让登记（公司法第49条第2款），并办理工商变更登记。",
          "Party A contributes the patent at a value appraised by law, neither over- nor under-stated (Company "
          "Law art. 48(2)); it assigns the patent to Party B and registers the assignment (art. 49(2)) and the "
          "change of capital.")], rows=rows)


def _fee_clause(deal: Deal, n: int, lang: str) -> Section:
    t = _tr(lang)
    kind = DealKind(deal.kind)
    paragraphs = []
    terms = _terms(deal)
    if kind == DealKind.EQUITY:
        heading = t(f"第{_cn(n)}条 对价", f"Article {n}. Consideration")
        paragraphs.append(t("乙方以其股权作为对价，不另行支付现金。", "Party B pays in shares; no cash is due."))
    elif terms is not None:
        heading = t(f"第{_cn(n)}条 许可使用费及支付方式", f"Article {n}. Fee and how it is paid") \
            if kind in FILING_KINDS else t(f"第{_cn(n)}条 价款及支付方式", f"Article {n}. Price and payment")
        paragraphs.append(t("支付方式及标准：", "Method and standard: ") + terms.describe(lang) + t("。", "."))
        if terms.fixed_total_fen and lang != "en":
            paragraphs.append(f"固定费用合计{yuan_text(terms.fixed_total_fen)}（大写：{rmb_upper(terms.fixed_total_fen)}）。")
        if terms.has_royalty:
            paragraphs.append(t(f"被许可方应于每个结算期届满后{terms.report_due_days}日内提交提成报告，并于报告后"
                                f"{terms.payment_due_days}日内支付提成；"
                                + ("许可方有权查阅与提成基数有关的会计账目（民法典第846条第3款）。" if terms.audit_right else ""),
                                f"The licensee reports each period within {terms.report_due_days} days of its end "
                                f"and pays within {terms.payment_due_days} days"
                                + ("; the licensor may inspect the accounts the royalty rests on (Civil Code "
                                   "art. 846(3))." if terms.audit_right else ".")))
    else:
        heading = t(f"第{_cn(n)}条 价款及支付方式", f"Article {n}. Price and payment")
        if deal.price_fen is not None:
            amount = yuan_text(deal.price_fen, lang)
            paragraphs.append(t(f"价款为{amount}（大写：{rmb_upper(deal.price_fen)}）。", f"The price is {amount}."))
        else:
            paragraphs.append(t("价款由双方另行约定。", "The price is agreed separately."))
    return Section(heading, paragraphs=paragraphs, table=payment_table(deal, lang))


def _open_licence_clause(deal: Deal, decl: OpenLicenceDeclaration, n: int, lang: str) -> Section:
    t = _tr(lang)
    notice = notice_event(deal)
    delivered = _beijing((notice.evidence or {}).get("delivered_at")) if notice else "—"
    rows = [(t("开放许可声明（平台编号）", "Declaration (platform no.)"), f"OL-{decl.id:06d}"),
            (t("声明提交日", "Filed with CNIPA on"), _day(decl.cnipa_filing_date)),
            (t("声明公告日", "Announced on"), _day(decl.announce_date)),
            (t("公告卷期", "Gazette issue"), decl.gazette_issue or "—"),
            (t("书面通知送达时间", "Written notice delivered"), delivered),
            (t("取得许可日", "Licence obtained on"), _day(deal.licensed_date))]
    return Section(t(f"第{_cn(n)}条 开放许可声明", f"Article {n}. The open-licence declaration"), paragraphs=[
        t("本合同依专利权人公告的开放许可声明成立：被许可方以书面方式通知专利权人，并依照公告的许可使用费支付方式、标准"
          "支付许可使用费后，即获得专利实施许可（专利法第51条第1款）。本合同条款与声明一致，对所有被许可人一视同仁。",
          "This contract arises from the announced declaration: the licensee notified the patentee in writing and "
          "obtains the licence on paying the fee by the announced method and standard (Patent Law art. 51(1)). "
          "Its terms are those of the declaration, the same for every licensee."),
        t("开放许可声明被撤回的，不影响在先给予的开放许可的效力（专利法第50条第2款）。",
          "A withdrawal of the declaration does not affect licences already granted (Patent Law art. 50(2)).")],
        rows=rows)


def _filing_clause(deal: Deal, n: int, lang: str) -> Section:
    t = _tr(lang)
    kind = DealKind(deal.kind)
    deadline = filing_deadline(deal)
    if kind in FILING_KINDS:
        text = [t("本合同生效之日起3个月内，双方应向国务院专利行政部门办理专利实施许可合同备案（专利法实施细则第15条第2款，"
                  "《专利实施许可合同备案办法》第5条）。",
                  "Within 3 months of the effective date the parties file this licence with CNIPA (IR art. 15(2); "
                  "REC art. 5).")]
        if kind == DealKind.OPEN_LICENSE:
            text.append(t("当事人可以凭能够证明达成开放许可的书面文件（书面通知及付款凭证）办理备案（专利法实施细则第87条）。",
                          "Either party may file it with the written proof of the open licence (the notice and the "
                          "payment receipt; IR art. 87)."))
        text.append(t(f"备案期限：{_day(deadline)}。", f"Filing deadline: {_day(deadline)}."))
        return Section(t(f"第{_cn(n)}条 合同备案", f"Article {n}. Filing with CNIPA"), paragraphs=text)
    return Section(t(f"第{_cn(n)}条 登记", f"Article {n}. Registration"), paragraphs=[
        t("双方应在合同签订后及时向国务院专利行政部门办理著录项目变更（权利转移）登记，并提交本合同。",
          "After signing, the parties register the change of owner with CNIPA, filing this contract.")])


# -- the written notice ----------------------------------------------------------------------

def notice_text(deal: Deal, decl: OpenLicenceDeclaration, user: User | None, today: date) -> str:
    """书面通知 (PL 51 ¶1): the licensee's notice to the patentee, fixed when it is delivered."""
    p = deal.patent
    buyer = deal.buyer
    terms = FeeTerms.from_dict(deal.fee_terms)
    lines = [
        "开放许可书面通知",
        f"致：{'、'.join(decl.patentees or p.owner_names)}",
        f"依据《中华人民共和国专利法》第五十一条第一款，{buyer.name}（统一社会信用代码：{buyer.uscc or '—'}；"
        f"住所：{buyer.address or '—'}）书面通知贵方：",
        f"本单位接受贵方于{_day(decl.announce_date)}公告（公告卷期：{decl.gazette_issue or '—'}）的开放许可声明，"
        f"实施专利号为{p.patent_no}、名称为《{p.title}》的专利，",
        f"并按声明公告的许可使用费支付方式和标准支付许可使用费：{terms.describe('zh')}。",
        f"许可期限：{_day(deal.start_date)}至{_day(deal.end_date)}；实施地域：{deal.territory}。",
        "本单位将依声明履行付款及提成报告义务，并依法办理许可合同备案。",
        f"通知人：{buyer.name}" + (f"（经办人：{user.name}）" if user is not None else ""),
        f"许可编号：{contract_number(deal)}",
        f"日期：{today.isoformat()}",
    ]
    return "\n".join(lines)


def notice(deal: Deal, lang: str = "zh") -> Document:
    """The notice as delivered (its text and hash come from the ledger, so they never change)."""
    t = _tr(lang)
    event = notice_event(deal)
    if deal.kind != DealKind.OPEN_LICENSE or event is None:
        raise DomainError("documents.no_notice", "该交易没有书面通知。", "This deal has no written notice.", status=404)
    ev = event.evidence or {}
    lines = (ev.get("notice_text") or "").splitlines()
    rows = [(t("送达方式", "Delivered by"), t("平台站内送达专利权人", "In-app delivery to the patentee")),
            (t("送达时间（北京时间）", "Delivered at (Beijing time)"), _beijing(ev.get("delivered_at"))),
            (t("通知文本 SHA-256", "SHA-256 of the notice text"), ev.get("notice_sha256", "—")),
            (t("账本记录", "Ledger line"), f"#{event.seq}")]
    notes = []
    if lang == "en":
        notes.append("The notice was delivered in Chinese; the text above is the delivered text.")
    return Document("notice", lines[0] if lines else t("书面通知", "Written notice"), contract_number(deal), lang,
                    sections=[Section("", paragraphs=lines[1:]),
                              Section(t("送达证明", "Proof of delivery"), rows=rows)], notes=notes)


# -- the filing package ----------------------------------------------------------------------

@dataclass(frozen=True)
class PreCheck:
    """One REC 12 refusal ground checked before filing (R-LC-6): ok, warn or blocked."""

    rule: str
    zh: str
    en: str
    status: str
    detail_zh: str = ""
    detail_en: str = ""

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def detail(self, lang: str) -> str:
        return self.detail_en if lang == "en" else self.detail_zh


OK, WARN, BLOCKED = "ok", "warn", "blocked"


def filing_prechecks(deal: Deal, today: date | None = None) -> list[PreCheck]:
    """The grounds on which CNIPA refuses a licence filing (REC 12), checked against our records."""
    today = today or today_local()
    p = deal.patent
    flags = p.active_flags(today)
    checks = []

    def add(rule, zh, en, bad, detail_zh="", detail_en="", warn=False):
        checks.append(PreCheck(rule, zh, en, (WARN if warn else BLOCKED) if bad else OK,
                               detail_zh if bad else "", detail_en if bad else ""))

    add("REC 12(1)", "专利权有效（未终止、未被宣告无效）", "The patent is in force",
        p.legal_status == LegalStatus.LAPSED, "专利权已终止或被宣告无效。", "The patent has lapsed or was invalidated.")
    seller_is_owner = deal.seller.name in p.owner_names
    add("REC 12(2)", "许可人是登记的专利权人", "The licensor is the registered patentee", not seller_is_owner,
        f"许可人“{deal.seller.name}”不在登记的专利权人（{'、'.join(p.owner_names)}）之中。",
        f"The licensor “{deal.seller.name}” is not among the registered patentees.")
    missing = _missing_contract_items(deal)
    add("REC 12(3)", "合同具备备案办法第9条规定的内容", "The contract has the items REC 9 requires", bool(missing),
        "缺少：" + "、".join(m[0] for m in missing), "Missing: " + ", ".join(m[1] for m in missing))
    beyond = deal.end_date is not None and p.last_protected_day is not None and deal.end_date > p.last_protected_day
    add("REC 12(4)", "许可期限不超过专利权有效期", "The term stays within the patent's term", beyond,
        f"许可期限至{_day(deal.end_date)}，超过专利权期限届满日{_day(p.last_protected_day)}。",
        f"The term ends {_day(deal.end_date)}, after the last protected day {_day(p.last_protected_day)}.")
    co_owned = len(p.owner_names) > 1
    add("REC 12(5)", "共有人的约定得到遵守", "Co-owners' rights are respected",
        co_owned and deal.kind in EXCLUSIVE_KINDS and not _co_owners_consented(deal),
        "共有专利的排他或独占许可须经全体共有人同意（专利法第14条）。",
        "A sole or exclusive licence of a co-owned patent needs every co-owner (Patent Law art. 14).")
    add("REC 12(6)", "不在年费滞纳期内", "Not in the annual-fee grace period", p.legal_status == LegalStatus.FEE_GRACE,
        "专利年费处于滞纳期，备案会被拒绝；请先补缴年费及滞纳金。",
        "The annual fee is in its grace period; pay it with the surcharge first.")
    frozen = Encumbrance.SUSPENDED in flags or Encumbrance.PRESERVED in flags
    add("REC 12(7)", "未因权属纠纷中止、未被保全", "Not suspended or preserved", frozen,
        "专利权处于中止程序或被人民法院保全。", "The patent is suspended or preserved by a court.")
    add("REC 12(8)", "未重复备案", "Not filed already", bool(deal.filing_record_no) or deal.status in FILED_STATES,
        f"该合同已备案（备案号 {deal.filing_record_no or '—'}）。", f"Already filed (no. {deal.filing_record_no or '—'}).")
    pledged = Encumbrance.PLEDGED in flags and not any(
        f.pledgee_consent_doc for f in p.flags if f.active and f.flag == Encumbrance.PLEDGED)
    add("REC 12(9)", "质押专利已取得质权人同意", "A pledged patent has the pledgee's consent", pledged,
        "专利权已质押，未登记质权人同意文件（民法典第444条）。", "Pledged, and no pledgee consent is on record (Civil Code art. 444).")
    conflict = _conflicting_filed_licence(deal, flags)
    add("REC 12(10)", "与已备案的许可合同不冲突", "No conflict with a filed licence", conflict is not None,
        f"已备案的{conflict}与本合同冲突。" if conflict else "", f"A filed {conflict} conflicts with it." if conflict else "")
    deadline = filing_deadline(deal)
    if deadline is not None and deal.status not in FILED_STATES:
        add("IR 15(2)", "在备案期限内", "Within the filing deadline", deadline < today,
            f"备案期限{_day(deadline)}已过；可补办备案，但需说明情况。",
            f"The deadline {_day(deadline)} has passed; a late filing needs an explanation.", warn=True)
    return checks


def _missing_contract_items(deal: Deal) -> list[tuple[str, str]]:
    p = deal.patent
    items = [("许可人名称", "licensor's name", deal.seller.name), ("许可人住所", "licensor's address", deal.seller.address),
             ("被许可人名称", "licensee's name", deal.buyer.name), ("被许可人住所", "licensee's address", deal.buyer.address),
             ("专利名称", "patent title", p.title), ("专利号", "patent number", p.grant_date),
             ("申请日", "filing date", p.filing_date), ("授权公告日", "grant date", p.grant_date),
             ("许可期限", "licence term", deal.start_date and deal.end_date)]
    return [(zh, en) for zh, en, value in items if not value]


def _co_owners_consented(deal: Deal) -> bool:
    approvals = deal.approvals or {}
    return bool(approvals.get("CO_OWNER_CONSENT") or approvals.get("co_owner_consent"))


def _conflicting_filed_licence(deal: Deal, flags: set[str]) -> str | None:
    """A filed sole/exclusive licence overlapping this one (or any filed licence, for a new exclusive one)."""
    if {Encumbrance.EXCLUSIVE_LICENSE, Encumbrance.SOLE_LICENSE} & flags and deal.kind not in EXCLUSIVE_KINDS:
        return "独占或排他许可（登记簿）"
    kinds = list(FILING_KINDS) if deal.kind in EXCLUSIVE_KINDS else list(EXCLUSIVE_KINDS)
    query = select(Deal).where(Deal.patent_id == deal.patent_id, Deal.id != deal.id, Deal.kind.in_(kinds),
                               Deal.status.in_(FILED_STATES))
    for other in db.session.scalars(query):
        if _overlaps(deal, other):
            return f"{DealMode(other.kind).zh}合同 {contract_number(other)}"
    if deal.kind in EXCLUSIVE_KINDS and {Encumbrance.EXCLUSIVE_LICENSE, Encumbrance.SOLE_LICENSE} & flags:
        return "独占或排他许可（登记簿）"
    return None


def _overlaps(a: Deal, b: Deal) -> bool:
    lo, hi = date.min, date.max
    return (a.start_date or lo) <= (b.end_date or hi) and (b.start_date or lo) <= (a.end_date or hi)


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
    if any(f.active and f.flag == Encumbrance.PLEDGED for f in deal.patent.flags):
        rows.append([t("质权人同意书", "Pledgee's consent"), t("专利权已出质（民法典第444条）", "The patent is pledged")])
    return [head, *rows]


def application_form_rows(deal: Deal, lang: str = "zh") -> list[tuple[str, str]]:
    """The fields of the filing application form (备案申请表)."""
    t = _tr(lang)
    p = deal.patent
    terms = _terms(deal)
    fee = terms.describe(lang) if terms else (yuan_text(deal.price_fen, lang) if deal.price_fen else "—")
    decl = _declaration(deal)
    licensors = "、".join(decl.patentees) if decl is not None and decl.patentees else deal.seller.name
    return [(t("许可人", "Licensor"), licensors), (t("许可人统一社会信用代码", "Licensor's USCC"), deal.seller.uscc or "—"),
            (t("许可人地址", "Licensor's address"), deal.seller.address or "—"),
            (t("被许可人", "Licensee"), deal.buyer.name), (t("被许可人统一社会信用代码", "Licensee's USCC"), deal.buyer.uscc or "—"),
            (t("被许可人地址", "Licensee's address"), deal.buyer.address or "—"),
            (t("专利号", "Patent no."), p.patent_no), (t("专利名称", "Title"), p.title),
            (t("专利类型", "Type"), PatentType(p.patent_type).label(lang)),
            (t("申请日", "Filing date"), _day(p.filing_date)), (t("授权公告日", "Grant date"), _day(p.grant_date)),
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
                        table=[[t("依据", "Rule"), t("检查项", "Check"), t("结果", "Result"), t("说明", "Detail")]]
                        + [[c.rule, c.label(lang), status_label[c.status], c.detail(lang)] for c in checks])]
    return Document("filing", title, contract_number(deal), lang, intro=intro, sections=sections,
                    appendix=contract(deal, lang))


def _registration_prechecks(deal: Deal, today: date) -> list[PreCheck]:
    p = deal.patent
    flags = p.active_flags(today)
    out = []
    for rule, zh, en, bad in (
            ("R-TR-2", "专利权有效或专利申请审查中", "Granted and in force, or pending",
             p.legal_status == LegalStatus.LAPSED),
            ("R-TR-2", "未中止、未被保全", "Not suspended or preserved",
             Encumbrance.SUSPENDED in flags or Encumbrance.PRESERVED in flags),
            ("R-LC-7", "质押专利已取得质权人同意", "A pledged patent has the pledgee's consent",
             Encumbrance.PLEDGED in flags and not any(f.pledgee_consent_doc for f in p.flags
                                                      if f.active and f.flag == Encumbrance.PLEDGED)),
            ("REC 12(2)", "转让方是登记的专利权人", "The assignor is the registered patentee",
             deal.seller.name not in p.owner_names)):
        out.append(PreCheck(rule, zh, en, BLOCKED if bad else OK))
    return out


# -- PDF ---------------------------------------------------------------------------------------

FONT = "STSong-Light"


def render_pdf(doc: Document) -> bytes:
    """The document as an A4 PDF; Chinese text in the built-in CID font (no font file needed)."""

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=9, leading=13)
    title = ParagraphStyle("title", parent=base, fontSize=17, leading=24, alignment=1, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=3)
    width = A4[0] - 40 * mm
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    pairs = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)])

    def para(text: str, style=base) -> Paragraph:
        return Paragraph(escape(text or "").replace("\n", "<br/>"), style)

    def story_of(d: Document) -> list:
        story = [para(d.title, title)]
        story += [para(line, small) for line in d.intro]
        for section in d.sections:
            if section.heading:
                story.append(para(section.heading, heading))
            story += [para(text) for text in section.paragraphs]
            if section.rows:
                table = Table([[para(k, small), para(v, small)] for k, v in section.rows],
                              colWidths=[width * 0.3, width * 0.7])
                table.setStyle(pairs)
                story += [Spacer(1, 3), table]
            if section.table:
                cols = len(section.table[0])
                table = Table([[para(c, small) for c in row] for row in section.table],
                              colWidths=[width / cols] * cols, repeatRows=1)
                table.setStyle(grid)
                story += [Spacer(1, 3), table]
        if d.signatures:
            story.append(Spacer(1, 14))
            sig = Table([[para(f"{role}（签章）" if d.lang != "en" else f"{role} (signature and seal)", base)
                          for role, _ in d.signatures],
                         [para(name) for _, name in d.signatures],
                         [para("日期：" if d.lang != "en" else "Date:") for _ in d.signatures]],
                        colWidths=[width / len(d.signatures)] * len(d.signatures))
            sig.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("TOPPADDING", (0, 0), (-1, -1), 6)]))
            story.append(sig)
        story += [Spacer(1, 6), *(para(n, small) for n in d.notes)]
        if d.appendix is not None:
            story += [PageBreak(), *story_of(d.appendix)]
        return story

    out = io.BytesIO()
    footer_text = f"{doc.number}"

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, f"{footer_text} · {document.page}")
        canvas.restoreState()

    SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                      bottomMargin=18 * mm, title=doc.title, author="专利超市 Patent Supermarket",
                      subject=doc.number).build(story_of(doc), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()

