"""The contract of a deal, every kind: parties, patents, scope, fees, filing (CC 845 ¶3, REC 9)."""

from __future__ import annotations

from datetime import UTC, date
from typing import TYPE_CHECKING

from listings.vocabulary import LegalStatus, PatentType
from market.core.money import rmb_upper, yuan_text
from market.core.time import today_local
from market.deals.documents import clauses
from market.deals.documents.model import (
    FILING_KINDS,
    Document,
    Section,
    _beijing,
    _day,
    _declaration,
    _terms,
    _tr,
    contract_number,
    filing_deadline,
    notice_event,
    payment_table,
    service_payments,
)
from market.deals.models import Deal
from market.deals.open_licence.extras import label, taken_services
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import (
    LICENCE_KINDS,
    DealKind,
    PaymentKind,
    PaymentStatus,
)

if TYPE_CHECKING:
    from market.accounts.models import Organisation
    from market.deals.open_licence.models import OpenLicenceDeclaration


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
    """The patent's particulars; for a package every patent's, numbered, under one price."""
    t = _tr(lang)
    if not deal.is_package:
        return _one_patent_rows(deal.patent, lang)
    rows = [(t("专利包", "Package"), t(f"本合同标的为下列 {len(deal.members)} 件专利组成的专利包，价款为整包价款",
                                      f"The subject is the package of the {len(deal.members)} patents below, at one "
                                      "price for the whole"))]
    for n, patent in enumerate(deal.members, start=1):
        rows += [(f"{n}. {label}", value) for label, value in _one_patent_rows(patent, lang)]
    return rows


def _one_patent_rows(p, lang: str) -> list[tuple[str, str]]:
    t = _tr(lang)
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






def contract(deal: Deal, lang: str = "zh", dues_from: date | None = None) -> Document:
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
    sections.append(_fee_clause(deal, n, lang, dues_from))
    n += 1
    if kind == DealKind.OPEN_LICENSE and decl is not None:
        sections.append(_open_licence_clause(deal, decl, n, lang))
        n += 1
    taken = taken_services(deal) if kind == DealKind.OPEN_LICENSE else []
    if taken:
        sections.append(_services_clause(deal, taken, n, lang))
        n += 1
    sections.append(_filing_clause(deal, n, lang))
    n += 1
    performance = clauses.numbered(deal, n, lang, _cn)
    sections += performance
    n += len(performance)
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
    if dues_from is not None:
        # The text frozen for signature: in effect once both parties signed it; its due dates are fixed.
        intro.append(t("本合同自双方在平台确认签署之日起生效。", "This contract takes effect when both parties have "
                       "signed it on the platform."))
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


def _fee_clause(deal: Deal, n: int, lang: str, dues_from: date | None = None) -> Section:
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
    return Section(heading, paragraphs=paragraphs, table=payment_table(deal, lang, start=dues_from))


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


def _services_clause(deal: Deal, taken: list, n: int, lang: str) -> Section:
    """Services chosen with the licence: their own article and sum, never part of the patent fee (R-OL-8)."""
    t = _tr(lang)
    total = sum(x.amount_fen for x in taken)
    # Four columns, so the table still reads on a phone: unit price and quantity share one.
    rows = [[t("类别", "Kind"), t("内容", "Description"), t("单价 × 数量", "Unit price × quantity"), t("金额", "Amount")]]
    rows += [[label(x.kind, lang), x.description, f"{yuan_text(x.unit_price_fen, lang)}/{x.unit} × {x.quantity}",
              yuan_text(x.amount_fen, lang)] for x in taken]
    rows.append([t("技术服务费合计", "Services total"), "", "", yuan_text(total, lang)])
    paragraphs = [
        t("被许可方在取得开放许可的同时，自愿选择专利权人提供的下列技术服务（技术服务、技术咨询或技术培训，民法典合同编第二十章第四节 技术咨询合同和技术服务合同）。"
          "技术服务费不属于专利许可使用费，不改变开放许可声明的条件；是否选择服务、服务费是否支付，均不影响本许可的取得和效力。",
          "With the open licence the licensee chose the patentee's technical services below (service, consulting or "
          "training; Civil Code book 3 ch. 20 section 4, technical consulting and service contracts). Their fee is not part of the patent licence fee and changes "
          "none of the declared terms; whether services are chosen or paid never affects obtaining or keeping the "
          "licence."),
        t(f"技术服务费合计{yuan_text(total)}（大写：{rmb_upper(total)}），单独支付。",
          f"The services total {yuan_text(total, lang)}, paid apart.")]
    for p in service_payments(deal):
        paragraphs.append(t(f"付款：{PaymentKind(p.kind).zh}{yuan_text(p.amount_fen)}，应付日期{_day(p.due_date)}，"
                            f"{PaymentStatus(p.status).zh}。",
                            f"Payment: {PaymentKind(p.kind).en} {yuan_text(p.amount_fen, lang)}, due "
                            f"{_day(p.due_date)}, {PaymentStatus(p.status).en.lower()}."))
    return Section(t(f"第{_cn(n)}条 技术服务（与专利许可使用费分列）",
                     f"Article {n}. Technical services (apart from the patent fee)"),
                   paragraphs=paragraphs, table=rows)


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
