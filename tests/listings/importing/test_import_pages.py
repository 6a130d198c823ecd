"""The import pages (issue 15 #10, #12): duplicates reported and counted, a template to download,
large files imported in steps with progress, and an empty legal status shown as unknown."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from listings.importing import views
from listings.importing.columns import suggest_mapping
from listings.importing.models import ImportBatch
from listings.importing.template import COLUMNS, HEADERS
from listings.models import Patent
from listings.vocabulary import LegalStatus
from market.core.extensions import db
from tests import factories as f

UNI = "沪北理工大学"


@pytest.fixture
def uni(app):
    with app.test_request_context():
        user = f.user(f.organisation(UNI))
        db.session.commit()
        return user.email


def _csv(rows: list[list[str]]) -> bytes:
    header = "申请号,名称,申请日,申请（专利权）人,法律状态\n"
    return (header + "".join(",".join(r) + "\n" for r in rows)).encode("utf-8")


def _import(client, data: bytes, lang="zh"):
    upload = client.post("/imports/new", content_type="multipart/form-data", data={
        "csrf_token": f.csrf_token(client, "/imports/new"), "file": (io.BytesIO(data), "p.csv")})
    assert upload.status_code == 302, upload.get_data(as_text=True)[:300]
    batch_id = int(re.search(r"/imports/(\d+)/", upload.headers["Location"]).group(1))
    token = f.csrf_token(client, upload.headers["Location"])
    response = client.post(f"/imports/{batch_id}/run", data={"csrf_token": token})
    return batch_id, client.get(f"/imports/{batch_id}?lang={lang}").get_data(as_text=True), response


def _numbers(n: int) -> list[str]:
    return [f.application_number() for _ in range(n)]


def test_duplicate_rows_are_reported_and_the_counts_add_up(client, app, uni):
    f.login(client, uni)
    numbers = _numbers(4)
    rows = [[n, f"一种测试装置{i}", "2020-03-01", UNI, "授权"] for i, n in enumerate(numbers)]
    rows += [[numbers[0], "一种测试装置0", "2020-03-01", UNI, "授权"], [numbers[1], "重复", "2020-03-01", UNI, "授权"]]
    rows += [["123", "坏号码", "2020-03-01", UNI, "授权"]]
    batch_id, page, _ = _import(client, _csv(rows))
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        counts = (batch.created_count, batch.updated_count, batch.duplicate_count, batch.rejected_count)
    assert counts == (4, 0, 2, 1) and sum(counts) == len(rows)
    assert "共 7 行 = 新增 4 + 更新 0 + 重复 2 + 拒绝 1" in page
    assert "与第 2 行的申请号相同" in page  # row 1 is the header: the first data row is row 2
    assert "所有行均已导入" not in page


def test_a_file_of_only_duplicates_does_not_claim_every_row_was_imported(client, uni):
    f.login(client, uni)
    (number,) = _numbers(1)
    _, page, _ = _import(client, _csv([[number, "一种测试装置", "2020-03-01", UNI, "授权"]] * 2))
    assert "重复 1" in page and "所有行均已导入" not in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_has_the_real_chinese_column_names_and_maps_itself(client, fmt):
    response = client.get(f"/imports/template.{fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    if fmt == "csv":
        headers = response.get_data(as_text=True).lstrip("\ufeff").strip().split(",")
    else:
        book = load_workbook(io.BytesIO(response.data))
        headers = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
        assert len(book.worksheets) == 2  # the sheet that explains each column
    assert headers == HEADERS and "申请号" in headers and "申请（专利权）人" in headers
    assert suggest_mapping(headers) == {c[0]: c[1] for c in COLUMNS}


def test_the_upload_page_offers_the_template(client, uni):
    f.login(client, uni)
    page = client.get("/imports/new").get_data(as_text=True)
    assert "/imports/template.xlsx" in page and "/imports/template.csv" in page


def test_a_large_file_goes_in_steps_with_progress(client, app, uni, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_ROWS_PER_STEP", 3)
    f.login(client, uni)
    numbers = _numbers(7)
    rows = [[n, f"一种测试装置{i}", "2020-03-01", UNI, "授权"] for i, n in enumerate(numbers)]
    rows.append([numbers[0], "一种测试装置0", "2020-03-01", UNI, "授权"])  # a duplicate in the last step
    batch_id, page, _ = _import(client, _csv(rows))
    assert "已处理 3 / 8 行" in page and "<progress" in page and 'name="from_row" value="3"' in page
    token = f.csrf_token(client, f"/imports/{batch_id}")
    # The same step asked twice (a double click, a second tab) imports its rows once.
    client.post(f"/imports/{batch_id}/run", data={"csrf_token": token, "from_row": "3"})
    client.post(f"/imports/{batch_id}/run", data={"csrf_token": token, "from_row": "3"})
    client.post(f"/imports/{batch_id}/run", data={"csrf_token": token, "from_row": "6"})
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status == "DONE"
        assert (batch.created_count, batch.duplicate_count, batch.rejected_count) == (7, 1, 0)
    page = client.get(f"/imports/{batch_id}").get_data(as_text=True)
    assert "共 8 行 = 新增 7 + 更新 0 + 重复 1 + 拒绝 0" in page and "<progress" not in page


def test_the_file_is_parsed_once_at_upload_not_again_at_every_step(client, app, uni, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_ROWS_PER_STEP", 2)
    parses = []
    real = views.read_table
    monkeypatch.setattr(views, "read_table", lambda *a, **kw: parses.append(1) or real(*a, **kw))
    f.login(client, uni)
    rows = [[n, f"一种测试装置{i}", "2020-03-01", UNI, "授权"] for i, n in enumerate(_numbers(5))]
    rows.append(["123", "坏行", "2020-03-01", UNI, "授权"])
    batch_id, _, _ = _import(client, _csv(rows))
    token = f.csrf_token(client, f"/imports/{batch_id}")
    for from_row in ("2", "4"):
        client.post(f"/imports/{batch_id}/run", data={"csrf_token": token, "from_row": from_row})
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status == "DONE" and (batch.created_count, batch.rejected_count) == (5, 1)
    assert parses == [1]  # three steps, one parse


def test_an_empty_legal_status_imports_as_unknown_not_pending(client, app, uni):
    f.login(client, uni)
    number, granted = _numbers(2)
    _import(client, _csv([[number, "一种状态未知的装置", "2020-03-01", UNI, ""],
                          [granted, "一种已授权的装置", "2020-03-01", UNI, "授权"]]))
    with app.app_context():
        patent = db.session.scalar(select(Patent).where(Patent.application_number == number))
        assert patent.legal_status == LegalStatus.UNKNOWN
    page = client.get(f"/patents/{number}").get_data(as_text=True)
    assert "未知（待核实）" in page and "审中" not in page
