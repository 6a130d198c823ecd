"""The annual transformation report of a university (R-ST-7): figures by method, pricing method and
evidence, income received in the year, the reward floor, the deals behind them, the XLSX, who may see it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from market.core.extensions import db
from market.statistics import annual
from tests import factories as f
from tests.statistics import ledger


@pytest.fixture
def uni_world(session):
    uni = f.organisation("年报测试大学", "UNIVERSITY")
    firm = f.organisation("年报测试企业", "PRIVATE")
    bureau = f.organisation("年报测试知识产权局", "BUREAU")
    p1, p2, p3 = (f.patent(uni) for _ in range(3))
    transfer = ledger.deal("TRANSFER", p1, uni, firm, on=date(2024, 3, 5), price_fen=300_000_00,
                           payments=[(date(2024, 3, 20), 100_000_00), (date(2025, 1, 10), 200_000_00)])
    transfer.price_formed_by = "AUCTION"
    ledger.deal("LICENSE_ORDINARY", p1, uni, firm, on=date(2024, 6, 1), price_fen=50_000_00)
    ledger.deal("LICENSE_SOLE", p2, uni, firm, on=date(2024, 7, 1), price_fen=20_000_00)
    ledger.deal("EQUITY", p3, uni, firm, on=date(2024, 9, 1), price_fen=1_000_000_00)
    # Not in 2024's report: a void deal, one counted in 2023 (its 2024 payment is income), one bought by the unit.
    ledger.deal("TRANSFER", p2, uni, firm, on=date(2024, 4, 1), price_fen=9_000_000_00, void_on=date(2024, 4, 2))
    old = ledger.deal("LICENSE_ORDINARY", p3, uni, firm, on=date(2023, 5, 1), price_fen=40_000_00,
                      payments=[(date(2024, 2, 1), 40_000_00)])
    ledger.deal("TRANSFER", f.patent(firm), firm, uni, on=date(2024, 5, 1), price_fen=7_000_000_00)
    users = {"admin": f.user(uni), "member": f.user(uni, role="MEMBER"), "bureau": f.user(bureau),
             "firm": f.user(firm)}
    db.session.commit()
    return {"uni": uni, "transfer": transfer, "old": old, "users": users}


def test_figures_by_method_pricing_and_evidence(uni_world):
    r = annual.annual_report(db.session, uni_world["uni"], 2024)
    got = {k: (v.deals, len(v.patents), v.contract_fen) for k, v in r.by_method.items()}
    assert got == {"TRANSFER": (1, 1, 300_000_00), "LICENCE": (2, 2, 70_000_00), "EQUITY": (1, 1, 1_000_000_00)}
    assert {k: v.deals for k, v in r.by_pricing.items()} == {"AUCTION": 1, "AGREEMENT": 3}
    assert {k: v.deals for k, v in r.by_evidence.items()} == {"SELF_DECLARED": 4}
    assert (r.total.deals, len(r.total.patents)) == (4, 3)
    # Received by the year's end, as the statistics count it: the 2025 instalment is not in.
    assert r.by_method["TRANSFER"].received_fen == 100_000_00


def test_income_received_in_the_year_includes_earlier_deals(uni_world):
    r = annual.annual_report(db.session, uni_world["uni"], 2024)
    assert sorted((i.deal_id, i.amount_fen) for i in r.income) == sorted(
        [(uni_world["transfer"].id, 100_000_00), (uni_world["old"].id, 40_000_00)])
    assert r.income_by_method()["LICENCE"] == 40_000_00


def test_admin_sees_the_page_and_xlsx_with_deals_behind_figures(client, uni_world):
    f.login(client, uni_world["users"]["admin"])
    page = client.get("/statistics/annual/?year=2024")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "年度科技成果转化报告" in html and uni_world["transfer"].reference in html
    assert "拍卖" in html and "当事人自报" in html and "平台不记录实际发放的奖励" in html
    assert "Annual technology-transfer report" in client.get("/statistics/annual/?year=2024&lang=en").get_data(as_text=True)
    xlsx = client.get("/statistics/annual/xlsx?year=2024&lang=zh")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    summary = [row for row in wb.worksheets[0].iter_rows(values_only=True)]
    assert "2024" in summary[0][0] and "万元" in summary[1][0]
    assert summary[2][4] == "合同金额（万元）"
    transfer_row = next(r for r in summary if len(r) > 1 and r[1] == "转让")
    assert (transfer_row[2], float(transfer_row[4])) == (1, 30.0)
    details = list(wb.worksheets[1].iter_rows(values_only=True))
    assert len(details) == 2 + 1 + 4  # title rows, header, the four deals
    wb.close()


def test_cells_that_look_like_formulas_are_neutralised(client, uni_world):
    uni_world["transfer"].buyer.name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    f.login(client, uni_world["users"]["admin"])
    wb = load_workbook(io.BytesIO(client.get("/statistics/annual/xlsx?year=2024").data), read_only=True)
    cells = [c for row in wb.worksheets[1].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any(c.startswith("=") for c in cells)
    wb.close()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("firm", 403), ("bureau", 200)])
def test_who_may_see_it(client, uni_world, who, status):
    f.login(client, uni_world["users"][who])
    query = f"?year=2024&org={uni_world['uni'].id}" if who == "bureau" else "?year=2024"
    response = client.get("/statistics/annual/" + query)
    assert response.status_code == status
    if who == "bureau":
        assert uni_world["transfer"].reference in response.get_data(as_text=True)


def test_a_year_out_of_range_is_not_found(client, uni_world):
    f.login(client, uni_world["users"]["admin"])
    assert client.get("/statistics/annual/?year=1999").status_code == 404
