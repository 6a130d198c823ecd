"""What is counted, in which unit, on which date (domain.md §6). Pure.

Every counted fact is one ledger line that gives a deal (or an open-licence declaration) its
legal effect — the *basis event* — and the fact falls in the period holding that line's legal
date. Two units are kept apart everywhere: 次 counts transactions (one per deal) and 件 counts
patents (distinct application numbers), because one patent may be licensed many times.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from listings.vocabulary import Labelled


class StatType(Labelled):
    """The columns of every table: the deal types of the bureau's report."""

    TRANSFER = "TRANSFER", "转让", "Transfer"
    LICENSE_ORDINARY = "LICENSE_ORDINARY", "普通许可", "Ordinary licence"
    LICENSE_SOLE = "LICENSE_SOLE", "排他许可", "Sole licence"
    LICENSE_EXCLUSIVE = "LICENSE_EXCLUSIVE", "独占许可", "Exclusive licence"
    OPEN_LICENSE = "OPEN_LICENSE", "开放许可（达成许可）", "Open licences taken"
    OPEN_DECLARATION = "OPEN_DECLARATION", "开放许可（声明公告）", "Open-licence declarations announced"
    EQUITY = "EQUITY", "作价投资", "Equity investment"
    # CNIPA's basis (备案次数): every licence filed in the period by its filing date, open licences
    # included, whatever date the licence columns count by. A count beside the deals, never in them.
    LICENCE_FILING = "LICENCE_FILING", "许可备案", "Licence filings"


NEGOTIATED_LICENCES = (StatType.LICENSE_ORDINARY, StatType.LICENSE_SOLE, StatType.LICENSE_EXCLUSIVE)
# Declarations are announcements, and filings a second count of licences: neither enters the deal totals.
DEAL_TYPES = (StatType.TRANSFER, *NEGOTIATED_LICENCES, StatType.OPEN_LICENSE, StatType.EQUITY)


class Column(Labelled):
    """A column of figures: one type, or a group of types counted together (distinct patents)."""

    DEALS = "DEALS", "交易合计", "All deals"
    TRANSFER = "TRANSFER", "转让", "Transfers"
    LICENCES = "LICENCES", "许可合计", "All licences"
    LICENSE_ORDINARY = "LICENSE_ORDINARY", "普通许可", "Ordinary"
    LICENSE_SOLE = "LICENSE_SOLE", "排他许可", "Sole"
    LICENSE_EXCLUSIVE = "LICENSE_EXCLUSIVE", "独占许可", "Exclusive"
    OPEN_LICENSE = "OPEN_LICENSE", "开放许可（达成）", "Open licences taken"
    OPEN_DECLARATION = "OPEN_DECLARATION", "开放许可（声明）", "Declarations announced"
    EQUITY = "EQUITY", "作价投资", "Equity"
    LICENCE_FILINGS = "LICENCE_FILINGS", "许可备案次数", "Licence filings (CNIPA basis)"


# The types each column adds up.
COLUMN_TYPES: dict[Column, tuple[StatType, ...]] = {
    Column.DEALS: DEAL_TYPES,
    Column.TRANSFER: (StatType.TRANSFER,),
    Column.LICENCES: (*NEGOTIATED_LICENCES, StatType.OPEN_LICENSE),
    Column.LICENSE_ORDINARY: (StatType.LICENSE_ORDINARY,),
    Column.LICENSE_SOLE: (StatType.LICENSE_SOLE,),
    Column.LICENSE_EXCLUSIVE: (StatType.LICENSE_EXCLUSIVE,),
    Column.OPEN_LICENSE: (StatType.OPEN_LICENSE,),
    Column.OPEN_DECLARATION: (StatType.OPEN_DECLARATION,),
    Column.EQUITY: (StatType.EQUITY,),
    Column.LICENCE_FILINGS: (StatType.LICENCE_FILING,),
}
COLUMNS = tuple(Column)


class Basis(Labelled):
    """Which date a negotiated licence counts by (domain.md §6: filing date, effective date as alternate)."""

    FILING = "filing", "备案日", "Filing date"
    EFFECTIVE = "effective", "合同生效日", "Contract effective date"


# The ledger line (market.deals.vocabulary.LedgerEvent) that is each type's basis event.
BASIS_EVENT = {
    StatType.TRANSFER: "REGISTRATION",
    StatType.LICENSE_ORDINARY: "FILING",
    StatType.LICENSE_SOLE: "FILING",
    StatType.LICENSE_EXCLUSIVE: "FILING",
    StatType.OPEN_LICENSE: "LICENSED",
    StatType.EQUITY: "CAPITAL_REGISTERED",
}

BASIS_DATE_TEXT = {
    StatType.TRANSFER: ("转让登记日（国家知识产权局著录项目变更登记生效之日，台账“转让登记生效”）",
                        "registration date (CNIPA records the transfer; ledger line “Transfer registered”)"),
    StatType.LICENSE_ORDINARY: ("合同备案日（台账“合同备案”）；可选合同生效日",
                                "filing date (ledger line “Contract filed”); the contract effective date on request"),
    StatType.OPEN_LICENSE: ("取得许可之日（书面通知送达并按公告标准付费，台账“取得许可”）",
                            "date the licence was obtained (notice delivered and fee paid; ledger line “Licence obtained”)"),
    StatType.OPEN_DECLARATION: ("开放许可声明公告日（国家知识产权局公告）",
                                "announcement date of the declaration (CNIPA gazette)"),
    StatType.EQUITY: ("工商变更登记日（作价出资完成，台账“工商变更登记”）",
                      "capital registration date (ledger line “Capital registered”)"),
    StatType.LICENCE_FILING: ("备案日（台账“合同备案”；普通、排他、独占许可及开放许可）",
                              "filing date (ledger line “Contract filed”; ordinary, sole, exclusive and open licences)"),
}


@dataclass(frozen=True)
class Figures:
    """The measures of one cell; money in fen."""

    transactions: int = 0  # 次
    patents: int = 0  # 件
    contract_fen: int = 0  # 合同金额 (作价金额 for equity)
    received_fen: int = 0  # 实际到账

    @classmethod
    def of(cls, transactions, patents, contract_fen, received_fen) -> Figures:
        return cls(int(transactions or 0), int(patents or 0), int(contract_fen or 0), int(received_fen or 0))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def empty(self) -> bool:
        return not (self.transactions or self.patents or self.contract_fen or self.received_fen)


ZERO = Figures()

MEASURES = (
    ("transactions", "次数（次）", "Transactions (次)"),
    ("patents", "专利数（件）", "Patents (件)"),
    ("contract_fen", "合同金额", "Contract amount"),
    ("received_fen", "实际到账", "Amount received"),
)


def change(current: int, before: int) -> float | None:
    """Relative change in percent, None when there is nothing to compare with."""
    if not before:
        return None
    return (current - before) * 100.0 / before


def counting_rules(*, period_label: str, basis: str, scope_label: str, home_district: str,
                   industry_version: str, geography_version: str, generated_at: str,
                   lang: str = "zh", review_line: str = "10 亿元") -> list[tuple[str, str]]:
    """统计口径: how every figure in a report was counted, as (topic, text) lines for the file."""
    zh = lang != "en"
    licence_basis = (Basis(basis).zh if zh else Basis(basis).en)

    def pick(a: str, b: str) -> str:
        return a if zh else b

    lines = [
        (pick("统计期间", "Period"), period_label),
        (pick("统计范围", "Scope"), scope_label),
        (pick("数据来源", "Source"),
         pick("平台交易台账（只增不改；每笔交易的每个法律事实记一行，附合同编号、备案号、登记号、付款凭证等证据）；开放许可声明的状态记录。",
              "The platform's deal ledger (append-only: one line per legal event of a deal, with contract, "
              "filing, registration and payment evidence) and the state history of open-licence declarations.")),
        (pick("计数日期：转让", "Basis date: transfers"), BASIS_DATE_TEXT[StatType.TRANSFER][0 if zh else 1]),
        (pick("计数日期：普通/排他/独占许可", "Basis date: ordinary/sole/exclusive licences"),
         pick(f"本表采用{licence_basis}。", f"This report uses the {licence_basis.lower()}.") + " "
         + BASIS_DATE_TEXT[StatType.LICENSE_ORDINARY][0 if zh else 1]),
        (pick("计数日期：开放许可（达成许可）", "Basis date: open licences taken"),
         BASIS_DATE_TEXT[StatType.OPEN_LICENSE][0 if zh else 1]),
        (pick("计数日期：开放许可（声明）", "Basis date: open-licence declarations"),
         BASIS_DATE_TEXT[StatType.OPEN_DECLARATION][0 if zh else 1]),
        (pick("计数日期：作价投资", "Basis date: equity investments"), BASIS_DATE_TEXT[StatType.EQUITY][0 if zh else 1]),
        (pick("许可备案次数", "Licence filings"),
         pick("按国家知识产权局“专利许可备案次数”口径：统计期间内向国家知识产权局备案的许可合同（普通、排他、独占许可及开放许可），"
              "一律按备案日计数，与许可栏采用的计数日期无关；与“转让”栏相加，可与国家知识产权局公布的“专利转让许可备案次数”对比。"
              "它是许可的另一种计数，不计入交易合计。",
              "CNIPA's basis for licence filings: licence contracts (ordinary, sole, exclusive and open licences) filed with "
              "CNIPA in the period, always by filing date whatever date the licence columns use; added to the transfers, "
              "it compares with CNIPA's headline count of transfer and licence filings. A second count of licences, "
              "never part of all deals.")),
        (pick("证据等级", "Evidence level"),
         pick("每笔交易标明证据等级：当事人自报；已上传证明文件（主管部门出具的备案/登记证明、收款方在平台确认的付款、"
              "开放许可的平台通知与付款记录）；已核实（国家知识产权局登记簿或服务网点核实）。各项数字均可按证据等级分列或筛选；"
              "政务公开数字只计已核实的交易。",
              "Each deal carries its evidence level: self-declared; documented (an authority's filing or registration "
              "certificate, a payment the payee confirmed on the platform, the platform's notice and payment records of an "
              "open licence); verified (CNIPA register or the point). Every figure can be broken down or filtered by it; "
              "the public figures count verified deals only.")),
        (pick("单笔金额复核", "Single-deal amount review"),
         pick(f"单笔合同金额超过 {review_line} 的交易，须经其网点运营机构（或区知识产权局）确认金额后才计入任何数字。",
              f"A deal whose amount is above {review_line} counts in no figure until the operator of its point (or the "
              "bureau) confirms that amount.")),
        (pick("件与次", "件 and 次"),
         pick("“次”为交易笔数（一笔交易计一次）；“件”为涉及的不同专利申请号数。同一专利可多次许可，故件数可小于次数；"
              "合计栏的件数为去重后的专利数，不等于各栏件数之和。",
              "次 counts transactions (one per deal); 件 counts distinct application numbers. One patent may be "
              "licensed many times, so 件 can be below 次; a total's 件 is the distinct count, not the sum of the columns.")),
        (pick("交易合计", "All deals"),
         pick("交易合计 = 转让 + 许可（普通、排他、独占、开放许可达成）+ 作价投资；开放许可声明是公告，不计入交易。",
              "All deals = transfers + licences (ordinary, sole, exclusive, open licences taken) + equity; "
              "declarations are announcements, not deals.")),
        (pick("合同金额", "Contract amount"),
         pick("合同约定的价款（转让价款、许可使用费固定部分、作价金额）；仅按提成支付的许可合同金额计 0，提成在实际到账中体现。单位：元，精确到分。",
              "The agreed price (transfer price, fixed part of the licence fee, agreed equity value); royalty-only "
              "licences count 0 here and show their royalties under amount received. Yuan, exact to the fen.")),
        (pick("实际到账", "Amount received"),
         pick("截至统计期末（按到账日）台账记录的收款之和。", "Payments on the ledger dated up to the end of the period.")),
        (pick("作废交易", "Voided deals"),
         pick("台账上有“作废”记录的交易一律不计。已结束的统计期间，其数字只因期末后记录的作废、补记的法律事实或到账而变化，变化逐笔列示。",
              "A deal with a VOID line on the ledger never counts. A closed period's figures change only through "
              "lines recorded after its end (voids, late-recorded legal events or payments), each listed.")),
        (pick("产业分类", "Industries"),
         pick(f"战略性新兴产业按 IPC 参照关系表 {industry_version} 归类；一件专利可属多个产业。",
              f"Strategic emerging industries from IPC through mapping {industry_version}; a patent may belong to several.")),
        (pick("地域", "Geography"),
         pick(f"按机构登记的省、区、国家归类（{geography_version}；本区 = {home_district}）。",
              f"From each organisation's province, district and country ({geography_version}; home district = {home_district}).")),
        (pick("供需方", "Supplier and demander"),
         pick("供方 = 许可方/转让方/出资方（开放许可声明的声明人）；需方 = 被许可方/受让方/被投资企业。",
              "Supplier = licensor/assignor/investor (the declarant of an open licence); demander = licensee/assignee/investee.")),
        (pick("生成时间", "Generated"), generated_at),
    ]
    return lines
