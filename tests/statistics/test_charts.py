"""Issue 15, charts and reports: the charts hold the numbers of the tables beside them, the policy
still forbids inline script, and the workbook says what it is, for which period, in which units."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from market.core.extensions import db
from market.statistics.export import TITLE_ROWS
from tests import factories as f
from tests.statistics import ledger

STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.fixture
def chain(session):
    bureau = f.organisation("宝山区知识产权局（图表）", "BUREAU")
    uni = f.organisation("上海图表大学", "UNIVERSITY", district="宝山区")
    firm = f.organisation("宝山图表企业", "PRIVATE", district="宝山区")
    other = f.organisation("静安图表企业", "PRIVATE", district="静安区")
    operator = f.organisation("图表网点运营", "POINT_OPERATOR")
    p1, p2 = f.point(operator, name="图表网点甲"), f.point(name="图表网点乙")
    pat1, pat2, pat3 = (f.patent(uni, ipc=["H01M 50/449"]), f.patent(uni, ipc=["A61K 31/496"]),
                        f.patent(uni, ipc=["G06F 16/00"]))
    ledger.deal("TRANSFER", pat1, uni, firm, point=p1, on=date(2024, 3, 5), price_fen=1_234_567_89)
    ledger.deal("LICENSE_ORDINARY", pat2, uni, other, point=p2, on=date(2024, 5, 6), price_fen=50_000_00)
    # A year earlier, the same month as the transfer: the trend's 同比.
    ledger.deal("TRANSFER", pat3, uni, other, point=p2, on=date(2023, 3, 9), price_fen=7_000_000_00)
    declaration = ledger.declaration(pat3, uni, announced=date(2024, 7, 1))
    user = f.user(bureau)
    db.session.commit()
    return {"user": user, "declared": pat3, "declaration": declaration}


class _Page(HTMLParser):
    """The charts' data-chart specs, and the cells of each table marked data-chart-table, by key."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: list[dict] = []
        self._table: str | None = None
        self._in_body = self._cell = False
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        if "data-chart" in a:
            spec = json.loads(a["data-chart"])
            self.charts[spec["key"]] = spec
        if tag == "table" and a.get("data-chart-table"):
            self._table = a["data-chart-table"]
            self.tables[self._table] = []
        elif tag == "tbody" and self._table:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell, self._text = True, []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell:
            self.tables[self._table][-1].append("".join(self._text).strip())
            self._cell = False
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell:
            self._text.append(data)


def _page(client, path: str) -> _Page:
    response = client.get(path)
    assert response.status_code == 200
    page = _Page()
    page.feed(response.get_data(as_text=True))
    return page


def _number(text: str):
    text = text.replace(",", "")
    return Decimal(text) if "." in text else int(text)


def _series(spec: dict, unit: str, n: int = 0) -> list:
    """The n-th series of a unit, as the table writes it (万元 to two decimals)."""
    values = [s["values"] for s in spec["series"] if s["unit"] == unit][n]
    return [Decimal(str(v)).quantize(Decimal("0.01")) if unit == "wan" else v for v in values]


def _column(rows: list[list[str]], i: int) -> list:
    return [_number(r[i]) for r in rows]


def test_the_dashboard_charts_hold_the_numbers_of_the_tables_beside_them(client, chain):
    f.login(client, chain["user"])
    page = _page(client, "/statistics/?period=2024")
    assert {"trend-count", "trend-amount", "type", "point", "industry", "supplier_type", "supplier_geo"} <= set(page.charts)

    # The trend, month by month, against the same month a year earlier.
    trend = page.tables["trend"]
    counts, amounts = page.charts["trend-count"], page.charts["trend-amount"]
    assert counts["categories"] == [r[0] for r in trend] and len(trend) == 12
    assert _series(counts, "count", 0) == _column(trend, 1)
    assert _series(counts, "count", 1) == _column(trend, 2)
    assert _series(amounts, "wan", 0) == _column(trend, 4)
    assert _series(amounts, "wan", 1) == _column(trend, 5)
    march = trend[2]
    assert (march[0], _number(march[1]), _number(march[2])) == ("2024年3月", 1, 1)
    assert (_number(march[4]), _number(march[5])) == (Decimal("123.46"), Decimal("700.00"))

    # Each breakdown: 次 and 合同金额 (万元) of each row, as its chart draws them.
    for dim in ("point", "industry", "supplier_type", "supplier_geo"):
        spec, rows = page.charts[dim], page.tables[dim]
        assert spec["categories"] == [r[0] for r in rows], dim
        assert _series(spec, "count") == _column(rows, 1), dim
        assert _series(spec, "wan") == _column(rows, 3), dim
    points = dict(zip(page.charts["point"]["categories"], _series(page.charts["point"], "wan")))
    assert points["图表网点甲"] == Decimal("123.46") and points["图表网点乙"] == Decimal("5.00")

    types = page.tables["type"]
    assert _series(page.charts["type"], "count") == _column(types, 1)
    assert _series(page.charts["type"], "wan") == _column(types, 2)
    assert dict(zip([r[0] for r in types], _column(types, 1)))["转让"] == 1


def test_the_public_page_charts_hold_the_numbers_of_the_tables_beside_them(client, chain):
    page = _page(client, "/statistics/public")
    assert {"trend-count", "trend-amount", "type", "point", "industry", "supplier_type", "supplier_geo"} <= set(page.charts)
    assert _series(page.charts["trend-count"], "count") == _column(page.tables["trend"], 1)
    assert _series(page.charts["trend-amount"], "wan") == _column(page.tables["trend"], 4)
    points = page.tables["point"]
    assert page.charts["point"]["categories"] == [r[0] for r in points]
    assert _series(page.charts["point"], "count") == _column(points, 2)
    assert _series(page.charts["point"], "wan") == _column(points, 3)
    by_type = {r[0]: r for r in page.tables["type"]}
    spec = page.charts["type"]
    for name, count, amount in zip(spec["categories"], _series(spec, "count"), _series(spec, "wan")):
        assert (_number(by_type[name][1]), _number(by_type[name][3])) == (count, amount), name


@pytest.mark.parametrize("path", ["/statistics/?period=2024", "/statistics/public"])
def test_the_charts_come_from_our_own_origin_under_a_policy_without_unsafe_inline(client, chain, path):
    f.login(client, chain["user"])
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    page = _Page()
    page.feed(response.get_data(as_text=True))
    sources = [s.get("src") for s in page.scripts]
    assert None not in sources  # no inline script: the chart data is in data- attributes
    assert "/static/vendor/echarts/echarts.min.js" in sources and "/static/statistics-charts.js" in sources
    served = client.get("/static/vendor/echarts/echarts.min.js")
    assert served.status_code == 200
    served.close()
    # The vendored library travels with its licence and notice.
    assert "Apache License" in (STATIC / "vendor/echarts/LICENSE").read_text()
    assert "Apache ECharts" in (STATIC / "vendor/echarts/NOTICE").read_text()


def test_the_tables_give_amounts_in_one_unit_named_in_the_header(client, chain):
    f.login(client, chain["user"])
    html = client.get("/statistics/?period=2024").get_data(as_text=True)
    assert "合同金额（万元）" in html and "交易（次）" in html
    page = _Page()
    page.feed(html)
    # 5 万元 is written 5.00 in the 万元 column, never "5 万元" beside "123.46 万元" or "50,000.00 元".
    amounts = {r[0]: r[3] for r in page.tables["point"]}
    assert (amounts["图表网点甲"], amounts["图表网点乙"], amounts["未归属网点"]) == ("123.46", "5.00", "0.00")


def test_the_workbook_has_a_title_row_the_period_and_units_in_every_header(client, chain):
    f.login(client, chain["user"])
    response = client.get("/statistics/export?period=2024&format=xlsx")
    wb = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    for name in wb.sheetnames:
        rows = list(wb[name].iter_rows(values_only=True))
        assert rows[0][0] == f"宝山区专利超市交易统计 · {name}", name
        period = rows[1][0]
        assert "统计期间：2024-01-01 至 2024-12-31 · 2024年；" in period and "金额为“元”" in period, name
    # Every header of a figure names its unit.
    for name in ("汇总", "按期间", "按网点", "按产业", "交叉汇总", "趋势同比"):
        header = list(wb[name].iter_rows(values_only=True))[TITLE_ROWS]
        figures = [h for h in header if h and any(w in h for w in ("次数", "件数", "金额", "到账"))]
        assert figures and all(h.endswith(("（次）", "（件）", "(元)", "（万元）")) for h in figures), (name, header)
    # The trend sheet is the page's trend table: 2024 beside 2023, in 万元.
    trend = {r[1]: r for r in list(wb["趋势同比"].iter_rows(values_only=True))[TITLE_ROWS + 1:] if r and r[1]}
    assert trend["2024-03"][2:] == (1, 1, 123.46, 700)
    # A declaration is named by its patent, not by an internal id ("OLD-1").
    detail = list(wb["明细"].iter_rows(values_only=True))[TITLE_ROWS:]
    names = [r[0] for r in detail[1:]]
    assert f"开放许可声明（{chain['declared'].application_number}）" in names
    assert not [n for n in names if str(n).startswith("OLD-")]
