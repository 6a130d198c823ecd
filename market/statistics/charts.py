"""What the statistics charts draw and the tables beside them show, computed once. Pure.

A chart's numbers are built here; the template writes the same `Chart` into the figure's
`data-chart` attribute (read by static/statistics-charts.js, which draws it with ECharts) and into
the table beside it, so the picture and the table cannot disagree, and the page is whole with
JavaScript off. Counts are 次; amounts are 万元 with two decimals, rounded half up (R-DI-2's unit
for tables), so no column mixes 元 and 万元.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from market.core.money import FEN_PER_WAN
from market.core.time import add_months
from market.statistics.measures import Column, Figures
from market.statistics.periods import bucket_key, parse_period
from market.statistics.pivots import Pivot

_CENT = Decimal("0.01")
# The deal types a type chart shows: the negotiated licences apart, declarations and filings not
# (they are not deals); the all-licences group would count the same deals twice.
TYPE_COLUMNS = (Column.TRANSFER, Column.LICENSE_ORDINARY, Column.LICENSE_SOLE, Column.LICENSE_EXCLUSIVE,
                Column.OPEN_LICENSE, Column.EQUITY)
# The breakdowns drawn as charts (issue 15): point, industry, supplier type and a map-free geography.
CHARTED = ("point", "industry", "supplier_type", "supplier_geo")


def wan(fen: int | None) -> Decimal:
    """An amount in 万元, two decimals, half up: 1,234,567.89 元 → 123.46."""
    return (Decimal(int(fen or 0)) / FEN_PER_WAN).quantize(_CENT, rounding=ROUND_HALF_UP)


def wan_cell(fen: int | None) -> str:
    """As a table cell shows it: "1,234.57", "0.00"."""
    return f"{wan(fen):,.2f}"


def units(lang: str) -> dict[str, str]:
    return {"count": "deals", "wan": "¥10,000"} if lang == "en" else {"count": "次", "wan": "万元"}


@dataclass
class Series:
    name: str
    unit: str  # "count" or "wan"
    values: list  # int for counts, Decimal for 万元

    def data(self) -> dict:
        return {"name": self.name, "unit": self.unit,
                "values": [float(v) if isinstance(v, Decimal) else v for v in self.values]}


@dataclass
class Chart:
    """One chart: `bars` (one horizontal bar per category, its first series drawn and the others
    written beside the bar) or `columns` (categories along the bottom, every series drawn)."""

    key: str
    kind: str
    title: str
    categories: list[str]
    series: list[Series]
    units: dict[str, str] = field(default_factory=dict)

    def data(self) -> dict:
        return {"key": self.key, "kind": self.kind, "title": self.title, "categories": self.categories,
                "units": self.units, "series": [s.data() for s in self.series]}


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def breakdown(p: Pivot, lang: str = "zh") -> Chart:
    """Deals (次) of each key of a breakdown, their contract amount (万元) written beside each bar."""
    rows = p.rows
    return Chart(p.dimension, "bars", _t(lang, f"按{p.title}：交易次数与合同金额", f"By {p.title.lower()}: deals and contract amount"),
                 [r.label for r in rows],
                 [Series(_t(lang, "交易次数", "Deals"), "count", [r.cells[Column.DEALS].transactions for r in rows]),
                  Series(_t(lang, "合同金额", "Contract amount"), "wan", [wan(r.cells[Column.DEALS].contract_fen) for r in rows])],
                 units(lang))


def types(totals: dict[Column, Figures], lang: str = "zh") -> Chart:
    """Deals (次) of each type, contract amount (万元) beside each bar."""
    return Chart("type", "bars", _t(lang, "按交易类型：交易次数与合同金额", "By deal type: deals and contract amount"),
                 [c.label(lang) for c in TYPE_COLUMNS],
                 [Series(_t(lang, "交易次数", "Deals"), "count", [totals[c].transactions for c in TYPE_COLUMNS]),
                  Series(_t(lang, "合同金额", "Contract amount"), "wan", [wan(totals[c].contract_fen) for c in TYPE_COLUMNS])],
                 units(lang))


def year_ago_key(key: str, granularity: str) -> str:
    """The bucket a year before a trend bucket: 2024-03 → 2023-03, 2024-Q1 → 2023-Q1, 2024 → 2023."""
    return bucket_key(add_months(parse_period(key).start, -12), granularity)


@dataclass
class TrendRow:
    key: str
    label: str
    deals: int
    deals_year_ago: int
    contract: Decimal  # 万元
    contract_year_ago: Decimal  # 万元


@dataclass
class Trend:
    """The trend by month (or quarter) with the same bucket a year earlier: two charts, one table."""

    rows: list[TrendRow]
    counts: Chart
    amounts: Chart


def trend(p: Pivot, year_ago: dict[str, dict[Column, Figures]] | None, granularity: str, lang: str = "zh") -> Trend:
    """`p` is the period's trend; `year_ago` the rows by bucket of the same dates a year earlier."""
    before = year_ago or {}
    rows = []
    for r in p.rows:
        then = before.get(year_ago_key(r.key, granularity)) or {}
        then_deals = then.get(Column.DEALS) or Figures()
        rows.append(TrendRow(r.key, r.label, r.cells[Column.DEALS].transactions, then_deals.transactions,
                             wan(r.cells[Column.DEALS].contract_fen), wan(then_deals.contract_fen)))
    labels = [r.label for r in rows]
    now, then = _t(lang, "本期", "This period"), _t(lang, "上年同期", "A year earlier")
    counts = Chart("trend-count", "columns", _t(lang, "交易次数（次），与上年同期比较", "Deals (count), against a year earlier"),
                   labels, [Series(now, "count", [r.deals for r in rows]),
                            Series(then, "count", [r.deals_year_ago for r in rows])], units(lang))
    amounts = Chart("trend-amount", "columns", _t(lang, "合同金额（万元），与上年同期比较", "Contract amount (¥10,000), against a year earlier"),
                    labels, [Series(now, "wan", [r.contract for r in rows]),
                             Series(then, "wan", [r.contract_year_ago for r in rows])], units(lang))
    return Trend(rows, counts, amounts)
