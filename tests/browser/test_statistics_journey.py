"""Journey 5 (docs/product.md): the bureau reports, end to end in the browser.

The bureau logs in and lands on the district statistics, chooses the last twelve months, reads the
headline figures, opens the deals behind the main figure and downloads the Excel export. The
figures must agree three ways (page, drill-down, workbook) and with the deal ledger in the database,
counted here independently: a deal counts when its type's basis line (registration, filing,
acquisition, capital registration) falls in the period and it has no VOID line.

The other journeys add deals to the same live database, so the expected figures are read from the
database when this test runs, never hard-coded.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from market.statistics.export import TITLE_ROWS
from tests.browser.conftest import ZH_PHONE

EARLIEST = date(1985, 4, 1)
EVIDENCE_LABEL = {"VERIFIED": ("已核实（国知局登记簿或服务点）", "Verified (CNIPA register or point)"),
                  "DOCUMENTED": ("已上传证明文件", "Documents uploaded"), "SELF_DECLARED": ("当事人自报", "Self-declared")}
BASIS_LINE = {"TRANSFER": "REGISTRATION", "LICENSE_ORDINARY": "FILING", "LICENSE_SOLE": "FILING",
              "LICENSE_EXCLUSIVE": "FILING", "OPEN_LICENSE": "LICENSED", "EQUITY": "CAPITAL_REGISTERED"}


def test_the_bureau_reports(actors, variant, live_server):
    from market.core.time import today_local

    bureau = actors("bureau")
    page = bureau.page
    t = bureau.t
    # The bureau's landing page after login is the district statistics.
    assert page.url.endswith("/statistics/"), page.url
    assert page.locator("h1").inner_text().startswith(t("交易统计", "Deal statistics"))

    # The last twelve months, through the period form.
    today = today_local()
    start = today - timedelta(days=365)
    page.locator("#f-from").fill(start.isoformat())
    page.locator("#f-to").fill(today.isoformat())
    bureau.submit(page.locator("form.stats-range button[type=submit]"))
    assert f"from={start.isoformat()}" in page.url and f"to={today.isoformat()}" in page.url

    expected = ledger_figures(live_server, start, today)
    assert expected["deals"] >= 2, expected  # the demo's paid open licence and registered transfer at least
    main = page.locator(".stats-card.is-main")
    shown = main.locator(".stats-big a")
    assert int(shown.inner_text().replace(",", "")) == expected["deals"]
    assert amount_text(expected["contract_fen"], variant.lang) in main.locator(".stats-sub").first.inner_text()
    by_type = {card.locator("h3").inner_text(): card.locator(".stats-big").inner_text()
               for card in page.locator(".stats-card").all()}
    assert by_type[t("转让", "Transfers")].startswith(str(expected["by_type"].get("TRANSFER", 0)))
    assert by_type[t("开放许可（达成）", "Open licences taken")].startswith(str(expected["by_type"].get("OPEN_LICENSE", 0)))

    # Every figure breaks down by evidence level (issue 12 §4): the rows are the deals of each level.
    levels = page.locator("#by-evidence table.stats-table tbody tr")
    shown_levels = {row.locator("th").inner_text(): int(row.locator("td.num").first.inner_text().replace(",", ""))
                    for row in levels.all()}
    assert shown_levels == {t(*EVIDENCE_LABEL[level]): count for level, count in expected["by_evidence"].items()}
    assert expected["by_evidence"]["VERIFIED"] >= 1  # the demo's transfer, checked by its point

    # The charts (issue 15): drawn by ECharts on a canvas, each with its table; the point names
    # keep a readable width, also on a phone (they were one character per line).
    charts_are_drawn(page, ("trend-count", "trend-amount", "type", "point", "industry", "supplier_type", "supplier_geo"))
    names_are_readable(page, "#by-point table.stats-table")

    # Drill down: the deals behind the main figure, each with its ledger evidence.
    bureau.submit(shown)
    assert "/statistics/deals" in page.url
    assert page.locator("main header strong").inner_text().replace(",", "") == str(expected["deals"])
    rows = page.locator("table.stats-deals tbody tr")
    assert rows.count() == expected["deals"]
    references = {row.locator("td").first.locator(".mono").inner_text() for row in rows.all()}
    assert references == expected["references"]
    assert page.locator("table.stats-deals li.is-basis").count() == expected["deals"]

    # Back to the figures and download the workbook.
    bureau.submit(page.locator("nav.breadcrumbs a").first)
    with page.expect_download() as download:
        page.get_by_role("link", name=t("导出 Excel", "Export Excel")).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    assert {"汇总", "明细", "统计口径"} <= set(workbook.sheetnames)
    detail = list(workbook["明细"].iter_rows(values_only=True))
    assert detail[0][0] == "宝山区专利超市交易统计 · 明细" and "统计期间：" in detail[1][0]  # title and period rows
    detail = detail[TITLE_ROWS:]
    header = list(detail[0])
    assert header[:5] == ["交易编号", "交易类型", "类型代码", "计数日期", "计数依据"]
    assert "合同金额(元)" in header
    deals = [r for r in detail[1:] if r[header.index("类型代码")] != "OPEN_DECLARATION"]
    assert {r[0] for r in deals} == expected["references"]
    total = sum(Decimal(str(r[header.index("合同金额(元)")] or 0)) for r in deals)
    assert total == Decimal(expected["contract_fen"]) / 100
    rules = "\n".join(str(c) for row in workbook["统计口径"].iter_rows(values_only=True) for c in row if c)
    assert "作废" in rules  # the counting rules are written into the file
    assert "按证据等级" in workbook.sheetnames and header[-1] == "证据等级"

    # The public figures count verified deals only, say so, and show the others apart.
    bureau.goto(f"/statistics/public?lang={variant.lang}")
    assert t("仅统计经核实的交易", "Verified deals only") in page.locator("#verified-only").inner_text()
    everything = ledger_figures(live_server, EARLIEST, today)
    main = page.locator(".stats-card").nth(1).locator(".stats-big").inner_text()
    assert int(main.split()[0].replace(",", "")) == everything["by_evidence"]["VERIFIED"]
    apart = {row.locator("th .evidence-label").inner_text():
             int(row.locator("td.num").first.inner_text().replace(",", ""))
             for row in page.locator("section[aria-labelledby=h-evidence] tbody tr").all()}
    assert apart == {t(*EVIDENCE_LABEL[level]): count for level, count in everything["by_evidence"].items()}
    charts_are_drawn(page, ("trend-count", "trend-amount", "type", "point"))
    names_are_readable(page, "section[aria-labelledby=h-points] table.stats-table")


# Pixels of a chart's canvas that are not transparent: an empty or failed chart has none.
PAINTED = """el => {
  const canvas = el.querySelector('canvas');
  if (!canvas || !canvas.width || !canvas.height) { return 0; }
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
  return painted;
}"""


def charts_are_drawn(page, keys) -> None:
    """Each chart named is on the page, drawn on a canvas as wide as its box, with something painted."""
    page.locator(".stats-echart.is-drawn canvas").first.wait_for()
    for key in keys:
        chart = page.locator(f".stats-echart[data-chart-key='{key}']")
        assert chart.count() == 1, key
        chart.locator("canvas").first.wait_for()
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 80, (key, box)
        assert chart.evaluate(PAINTED) > 500, key


def names_are_readable(page, table: str) -> None:
    """The name column of a table is several characters wide, on a phone too (not one per line)."""
    cell = page.locator(f"{table} tbody th[scope=row]").first
    width, font = cell.evaluate("th => [th.getBoundingClientRect().width, parseFloat(getComputedStyle(th).fontSize)]")
    assert width >= 6 * font, (table, width, font)


def amount_text(fen: int, lang: str) -> str:
    """As the page writes an amount (market.core.i18n.yuan)."""
    if lang == "en":
        return f"¥{fen / 100:,.0f}" if fen >= 1_000_000 else f"¥{fen / 100:,.2f}"
    if fen >= 1_000_000:
        return re.sub(r"\.?0+$", "", f"{fen / 1_000_000:,.2f}") + " 万元"
    return f"{fen / 100:,.2f} 元"


def ledger_figures(server, start, end) -> dict:
    """The deals of the period counted straight from the ledger tables."""
    from market.core.extensions import db
    from market.deals.models import Deal, DealEvent

    with server.app.app_context():
        counted, contract, by_type = set(), 0, {}
        by_evidence = dict.fromkeys(EVIDENCE_LABEL, 0)
        for deal in db.session.scalars(select(Deal)):
            kinds = {e.kind: e for e in db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id)
                                                            .order_by(DealEvent.seq))}
            basis = [e for e in db.session.scalars(select(DealEvent).where(
                DealEvent.deal_id == deal.id, DealEvent.kind == BASIS_LINE.get(deal.kind, "-")).order_by(DealEvent.seq))]
            if "VOID" in kinds or not basis or not start <= basis[0].occurred_on <= end:
                continue
            counted.add(deal.reference or f"DEAL-{deal.id}")
            contract += deal.price_fen or 0
            by_type[deal.kind] = by_type.get(deal.kind, 0) + 1
            by_evidence[deal.evidence_level] += 1
        return {"deals": len(counted), "references": counted, "contract_fen": contract, "by_type": by_type,
                "by_evidence": by_evidence}


def test_without_javascript_the_public_figures_are_whole_tables_and_no_empty_chart_boxes(browser, live_server):
    """With scripts off (or the library failing) a chart is not drawn: its box stays hidden and the
    table beside it carries the figures, on a phone."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **ZH_PHONE.context_args)
    try:
        page = context.new_page()
        assert page.goto("/statistics/public").ok
        boxes = page.locator(".stats-echart")
        assert boxes.count() >= 4 and all(not box.is_visible() for box in boxes.all())
        for key in ("trend", "type", "point"):
            table = page.locator(f"table[data-chart-table='{key}']")
            assert table.is_visible() and table.locator("tbody tr").count() >= 1, key
        names_are_readable(page, "section[aria-labelledby=h-points] table.stats-table")
    finally:
        context.close()
