"""`flask stats export`: the same figures as the dashboard, as XLSX or CSV, for a point or an organisation."""

from __future__ import annotations

import csv
from datetime import date

from openpyxl import load_workbook

from market.core.extensions import db
from market.statistics.export import TITLE_ROWS
from tests import factories as f
from tests.statistics import ledger


def _setup(app):
    with app.test_request_context():
        uni = f.organisation("沪北测试大学", "UNIVERSITY", district="宝山区")
        firm = f.organisation("沪北测试企业", "PRIVATE", district="宝山区")
        p1, p2 = f.point(name="统计测试网点甲"), f.point(name="统计测试网点乙")
        pat = f.patent(uni)
        ledger.deal("TRANSFER", pat, uni, firm, point=p1, on=date(2024, 2, 2), price_fen=300_000_00)
        ledger.deal("LICENSE_SOLE", f.patent(uni), uni, firm, point=p2, on=date(2024, 8, 8), price_fen=20_000_00)
        ledger.deal("EQUITY", f.patent(uni), uni, firm, point=p2, on=date(2023, 8, 8), price_fen=1_000_000_00)
        db.session.commit()


def test_export_xlsx_of_a_year(app, runner, tmp_path):
    _setup(app)
    out = tmp_path / "2024.xlsx"
    result = runner.invoke(args=["stats", "export", "--from", "2024-01-01", "--to", "2024-12-31",
                                 "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2024年: 2 rows" in result.output
    wb = load_workbook(out, read_only=True)
    detail = list(wb["明细"].iter_rows(values_only=True))[TITLE_ROWS:]  # below the title and period rows
    assert sorted(r[1] for r in detail[1:]) == ["排他许可", "转让"]


def test_export_csv_of_one_point(app, runner, tmp_path):
    _setup(app)
    out = tmp_path / "p2.csv"
    result = runner.invoke(args=["stats", "export", "--from", "2023-01-01", "--to", "2024-12-31", "--format", "csv",
                                 "--out", str(out), "--point", "统计测试网点乙"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    assert sorted(r[1] for r in rows[1:]) == ["作价投资", "排他许可"]
    assert {r[24] for r in rows[1:]} == {"1000000.00", ""}  # 作价金额 only on the equity deal


def test_export_csv_pivot_by_point(app, runner, tmp_path):
    _setup(app)
    out = tmp_path / "points.csv"
    result = runner.invoke(args=["stats", "export", "--period", "2024", "--format", "csv", "--out", str(out),
                                 "--pivot", "point"])
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in csv.reader(out.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()) if r}
    assert rows["统计测试网点甲"][2] == "1" and rows["统计测试网点甲"][4] == "300000.00"
    assert rows["合计"][2] == "2"


def test_export_refuses_a_reversed_range_and_an_unknown_dimension(app, runner, tmp_path):
    result = runner.invoke(args=["stats", "export", "--from", "2024-12-31", "--to", "2024-01-01",
                                 "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "晚于截止日期" in result.output
    result = runner.invoke(args=["stats", "export", "--period", "2024", "--filter", "colour=red",
                                 "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "未知的统计维度" in result.output
