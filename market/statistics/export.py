"""Exports: XLSX (write-only: rows go to disk as they come) and CSV (a generator, UTF-8 BOM),
both written by market/spreadsheets.py, which keeps user text from becoming a formula.

Neither builds the data in memory: detail rows are streamed from the database, pivots are a
few hundred rows at most. Headers are Chinese (the bureau's language) with the English in
brackets on the rules sheet; amounts are yuan with two decimals, computed from integer fen.
Every figure's header names its unit (次, 件, 元; the trend sheet also 万元, as the page's chart).
Each XLSX sheet opens with a title row and a row with the period, scope, basis and units
(`TITLE_ROWS`), then the header; a CSV is the header and the rows only, for programs to read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import IO, Iterable, Iterator

from sqlalchemy.orm import Session

from listings.industries import MAPPING_VERSION
from market.core import spreadsheets
from market.deals.vocabulary import DealStatus
from market.statistics import charts, dimensions, geography, queries, services
from market.statistics.measures import COLUMNS, MEASURES, Basis, Column, StatType
from market.statistics.periods import MONTH, QUARTER, YEAR, bucket_key
from market.statistics.pivots import Pivot
from market.statistics.queries import Selection
from market.statistics.service_fees import ServiceFigures, service_figures

CSV_BOM = spreadsheets.CSV_BOM
FORMATS = ("xlsx", "csv")
SHEET_NAMES = {"period": "按期间", "type": "按交易类型", "point": "按网点", "industry": "按产业",
               "supplier_type": "按供方类型", "demander_type": "按需方类型", "patent_type": "按专利类型",
               "ipc_section": "按IPC部", "supplier_geo": "按供方地域", "demander_geo": "按需方地域",
               "evidence": "按证据等级"}
EXPORT_BREAKDOWNS = ("evidence", "point", "industry", "supplier_type", "demander_type", "patent_type", "ipc_section",
                     "supplier_geo", "demander_geo")

# Rows above the header of every XLSX sheet: the title, then the period, scope, basis and units.
TITLE_ROWS = 2
UNITS_NOTE = "单位：次数为“次”（交易笔数），件数为“件”（不同专利数），金额为“元”（保留两位小数），另注“万元”者为万元"

BASIS_LINE = {"TRANSFER": "转让登记生效", "LICENSE_ORDINARY": "合同备案", "LICENSE_SOLE": "合同备案",
              "LICENSE_EXCLUSIVE": "合同备案", "OPEN_LICENSE": "取得许可", "OPEN_DECLARATION": "声明公告",
              "EQUITY": "工商变更登记", "LICENCE_FILING": "合同备案"}

DETAIL_HEADERS = [
    "交易编号", "交易类型", "类型代码", "计数日期", "计数依据", "年度", "季度", "月份",
    "申请号", "专利名称", "专利类型", "IPC部", "战略性新兴产业", "产业代码",
    "供方", "供方类型", "供方地域", "需方", "需方类型", "需方地域", "网点", "网点编号",
    "合同金额(元)", "实际到账(元)", "作价金额(元)", "交易状态", "合同生效日", "备案号", "登记号", "公告卷期",
    "台账行号", "产业分类版本", "地域表版本", "证据等级",
]


def yuan(fen: int | None) -> Decimal:
    return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))


def _measure_headers(columns: Iterable[Column]) -> list[str]:
    names = {"transactions": "次数（次）", "patents": "件数（件）", "contract_fen": "合同金额(元)",
             "received_fen": "实际到账(元)"}
    return [f"{c.zh}·{names[m]}" for c in columns for m, _, _ in MEASURES]


def _measure_values(cells, columns: Iterable[Column]) -> list:
    out = []
    for c in columns:
        f = cells[c]
        out += [f.transactions, f.patents, yuan(f.contract_fen), yuan(f.received_fen)]
    return out


def pivot_rows(p: Pivot) -> Iterator[list]:
    """Header, one line per key, then the true totals (not the sum of the rows)."""
    yield [p.title, "代码", *_measure_headers(COLUMNS)]
    for row in p.rows:
        yield [row.label, row.key, *_measure_values(row.cells, COLUMNS)]
    yield ["合计（去重）" if p.multi else "合计", "ALL", *_measure_values(p.totals, COLUMNS)]
    if p.note:
        yield [p.note]


def summary_rows(report: services.Report, fees: ServiceFigures | None = None) -> Iterator[list]:
    yield ["交易类型", "代码", "次数（次）", "件数（件）", "合同金额(元)", "实际到账(元)",
           "同比·次数（次）", "同比·合同金额(元)", "环比·次数（次）", "环比·合同金额(元)"]
    for c in COLUMNS:
        f = report.totals[c]
        ya = report.year_ago.totals[c] if report.year_ago else None
        pv = report.previous.totals[c] if report.previous else None
        yield [c.zh, c.value, f.transactions, f.patents, yuan(f.contract_fen), yuan(f.received_fen),
               ya.transactions if ya else None, yuan(ya.contract_fen) if ya else None,
               pv.transactions if pv else None, yuan(pv.contract_fen) if pv else None]
    if fees is not None:
        # Their own row, never added into the licence amounts above (issue 14; R-OL-8).
        yield ["技术服务金额（随开放许可选购，未计入许可合同金额）", "OPEN_LICENSE_SERVICES", fees.licences, None,
               yuan(fees.contract_fen), yuan(fees.received_fen)]
    if report.year_ago:
        yield []
        yield ["同比期间", report.year_ago.period.label("zh")]
    if report.previous:
        yield ["环比期间", report.previous.period.label("zh")]


def cross_rows(session: Session, sel: Selection, names: dict[str, str]) -> Iterator[list]:
    """period × type × point × industry × supplier type, one line per non-empty cell (journey 5)."""
    dims = services.CROSS
    granularity = sel.period.granularity()
    yield ["期间", "交易类型", "网点", "战略性新兴产业", "供方类型", "次数（次）", "件数（件）",
           "合同金额(元)", "实际到账(元)"]
    for row in queries.stream(session, queries.cross_statement(queries.shape_of(sel), dims, granularity,
                                                           session.connection().dialect.name),
                              queries.params_of(sel)):
        m = row._mapping
        yield [m["period"], StatType(m["type"]).zh,
               dimensions.get("point").key_label(m["point"], "zh", names),
               dimensions.get("industry").key_label(m["industry"], "zh"),
               dimensions.get("supplier_type").key_label(m["supplier_type"], "zh"),
               m["transactions"], m["patents"], yuan(m["contract_fen"]), yuan(m["received_fen"])]


class _Labels(dict):
    """Chinese labels of one dimension's keys, looked up once per key rather than once per row."""

    def __init__(self, dimension: str, names: dict[str, str] | None = None):
        super().__init__()
        self.dimension, self.names = dimensions.get(dimension), names

    def __missing__(self, key):
        self[key] = value = self.dimension.key_label(key, "zh", self.names)
        return value


@lru_cache(maxsize=8192)
def _buckets(day: date) -> tuple[str, str, str]:
    return bucket_key(day, YEAR), bucket_key(day, QUARTER), bucket_key(day, MONTH)


def _deal_status_labels() -> dict:
    return {None: "已公告", **{s.value: s.zh for s in DealStatus}}


def detail_rows(session: Session, sel: Selection, names: dict[str, str]) -> Iterator[list]:
    """One line per counted deal or declaration, with every dimension key (streamed)."""
    labels = {n: _Labels(n, names if n == "point" else None)
              for n in ("patent_type", "ipc_section", "supplier_type", "demander_type", "supplier_geo",
                        "demander_geo", "point", "industry", "evidence")}
    statuses = _deal_status_labels()
    types = {t.value: t.zh for t in StatType}
    basis_line = dict(BASIS_LINE)
    if sel.basis == Basis.EFFECTIVE:
        basis_line.update({k: "合同生效" for k in ("LICENSE_ORDINARY", "LICENSE_SOLE", "LICENSE_EXCLUSIVE")})
    yield DETAIL_HEADERS
    for row in queries.stream(session, queries.detail_statement(queries.shape_of(sel, listing=True)), queries.params_of(sel)):
        m = row._mapping
        basis: date = m["basis_date"]
        if isinstance(basis, str):  # SQLite through a UNION returns the ISO text
            basis = date.fromisoformat(basis)
        codes = m["industry_json"] or []
        stat_type = m["stat_type"]
        section = m["k_ipc_section"]
        ref = m["reference"] or (f"DEAL-{m['deal_id']}" if m["deal_id"] else declaration_name(m["application_number"]))
        contract = yuan(m["contract_fen"])
        yield [ref, types[stat_type], stat_type, basis, basis_line[stat_type], *_buckets(basis),
               m["application_number"], m["patent_title"], labels["patent_type"][m["k_patent_type"]],
               labels["ipc_section"][section] if section in ("LOCARNO", "NONE") else section,
               "、".join(labels["industry"][c] for c in codes), ";".join(codes),
               m["supplier_name"], labels["supplier_type"][m["k_supplier_type"]],
               labels["supplier_geo"][m["k_supplier_geo"]],
               m["demander_name"] or "", labels["demander_type"][m["k_demander_type"]],
               labels["demander_geo"][m["k_demander_geo"]], labels["point"][m["k_point"]], m["point_id"],
               contract, yuan(m["received_fen"]), contract if stat_type == StatType.EQUITY else None,
               statuses.get(m["status"], m["status"]), m["effective_date"], m["filing_record_no"] or "",
               m["registration_no"] or "", m["gazette_issue"] or "", m["basis_event_id"], MAPPING_VERSION,
               geography.VERSION, labels["evidence"][m["k_evidence"]]]


def declaration_name(application_number: str | None) -> str:
    """A declaration has no deal number: it is named by its patent, as a person looks it up."""
    return f"开放许可声明（{application_number or '专利号不详'}）"


def trend_rows(report: services.Report) -> Iterator[list]:
    """The page's trend chart and its table: each bucket beside the same bucket a year earlier."""
    trend = charts.trend(report.trend, report.year_ago.trend if report.year_ago else None,
                         report.period.granularity(), "zh")
    yield ["期间", "代码", "交易次数（次）", "上年同期交易次数（次）", "合同金额（万元）", "上年同期合同金额（万元）"]
    for r in trend.rows:
        yield [r.label, r.key, r.deals, r.deals_year_ago, r.contract, r.contract_year_ago]
    if report.year_ago:
        yield ["上年同期", report.year_ago.period.label("zh")]


def period_line(session: Session, sel: Selection, generated_at) -> str:
    """The row under every sheet's title: the period, scope, licence basis, units and when it was made."""
    generated = dict(services.rules(session, sel, "zh", generated_at)).get("生成时间", "")
    return (f"统计期间：{sel.period.start.isoformat()} 至 {sel.period.end.isoformat()} · {sel.period.label('zh')}；"
            f"范围：{services.scope_label(session, sel.scope, 'zh')}；许可计数日期：{Basis(sel.basis).zh}；"
            f"{UNITS_NOTE}" + (f"；生成时间：{generated}" if generated else ""))


def title_rows(sel: Selection, sheet: str, line: str) -> list[list[str]]:
    """The `TITLE_ROWS` rows above a sheet's header: what the sheet is, and `period_line`."""
    return [[f"{sel.home_district}专利超市交易统计 · {sheet}"], [line]]


# ---- CSV -------------------------------------------------------------------------------------
# One writer for every file the app hands out (market/spreadsheets.py): user text never a formula.
csv_stream = spreadsheets.csv_stream


def csv_rows(session: Session, sel: Selection, pivot: str | None = None, lang: str = "zh") -> Iterator[list]:
    """What a CSV export holds: the detail (default), one pivot by name, or the 'cross' table."""
    names = queries.point_names(session, "zh")
    if not pivot or pivot == "detail":
        return detail_rows(session, sel, names)
    if pivot == "cross":
        return cross_rows(session, sel, names)
    return pivot_rows(services.pivot(session, sel, pivot, "zh"))


# ---- XLSX ------------------------------------------------------------------------------------
_sheet = spreadsheets.add_sheet


def write_xlsx(out: IO[bytes] | str, session: Session, sel: Selection, *, today: date) -> dict[str, int]:
    """The workbook: summary, trend, a sheet per breakdown, the cross table, the detail, the rules."""
    report = services.report(session, sel, today=today, lang="zh", breakdowns=EXPORT_BREAKDOWNS, full=True)
    names = report.point_names
    wb = spreadsheets.new_workbook()
    line = period_line(session, sel, report.generated_at)

    def sheet(title: str, rows: Iterable[Iterable], widths: dict[str, float]) -> int:
        return _sheet(wb, title, rows, widths, heading=title_rows(sel, title, line))

    counts = {"汇总": sheet("汇总", summary_rows(report, service_figures(session, sel)), {"A": 22, "B": 20})}
    counts["按期间"] = sheet("按期间", pivot_rows(report.trend), {"A": 18})
    counts["趋势同比"] = sheet("趋势同比", trend_rows(report), {"A": 18, "C": 16, "D": 22, "E": 18, "F": 24})
    for dim in EXPORT_BREAKDOWNS:
        counts[SHEET_NAMES[dim]] = sheet(SHEET_NAMES[dim], pivot_rows(report.breakdowns[dim]), {"A": 28})
    counts["交叉汇总"] = sheet("交叉汇总", cross_rows(session, sel, names), {"A": 10, "C": 28, "D": 20, "E": 18})
    counts["明细"] = sheet("明细", detail_rows(session, sel, names),
                         {"A": 20, "D": 12, "I": 16, "J": 36, "O": 28, "R": 28, "U": 28})
    rules = [("项目 (topic)", "口径 (rule)")] + [
        (zh_topic, zh_text) for zh_topic, zh_text in services.rules(session, sel, "zh", report.generated_at)]
    rules += [("", "")] + [(f"{topic}", text) for topic, text in services.rules(session, sel, "en", report.generated_at)]
    if report.revisions:
        rules += [("", ""), ("期末后变动", f"本期已结束；期末时合计合同金额 {yuan(report.at_close[Column.DEALS].contract_fen)} 元，"
                                          f"现为 {yuan(report.totals[Column.DEALS].contract_fen)} 元，差额逐笔见下。")]
        for r in report.revisions:
            rules.append((r["change"], f"{r['reference'] or ''} {StatType(r['stat_type']).zh} 计数日 {r['basis_date']} "
                                       f"记录于 {r['recorded_at']:%Y-%m-%d %H:%M} UTC，影响金额 {yuan(r['amount_fen'])} 元 {r['note'] or ''}"))
    counts["统计口径"] = sheet("统计口径", rules, {"A": 30, "B": 120})
    spreadsheets.save_workbook(wb, out)
    return counts
