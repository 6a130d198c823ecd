"""Issue 13 #4: an upload is bounded (columns, rows, cell length, zip ratio) before it is parsed,
and parsed once: the mapping page shows the preview kept at upload."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from listings.importing.models import ImportBatch
from listings.importing.readers import Limits, read_table
from market.core.errors import DomainError
from market.core.extensions import db
from tests import factories as f


@pytest.fixture
def supplier(app):
    with app.test_request_context():
        uni = f.organisation("上限测试大学")
        point = f.point(f.organisation(org_type="POINT_OPERATOR"))
        email = f.user(uni).email
        db.session.commit()
        found = {"email": email, "point": point.id}
        db.session.remove()
    return found


def _upload(client, supplier, data: bytes, name: str):
    f.login(client, supplier["email"])
    token = f.csrf_token(client, "/imports/new")
    form = {"csrf_token": token, "point_id": str(supplier["point"]), "modes": ["TRANSFER"],
            "file": (io.BytesIO(data), name)}
    return client.post("/imports/new", data=form, content_type="multipart/form-data")


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _bomb(padding_mb: int = 8) -> bytes:
    """A real workbook whose sheet is padded with whitespace that deflates a thousandfold."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["申请号", "名称"], ["202010123456.2", "一种隔膜"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (padding_mb * 1024 * 1024))
            bomb.writestr(item.filename, data)
    return out.getvalue()


def _wide_csv(columns: int) -> bytes:
    return ("申请号," + ",".join(f"c{i}" for i in range(columns)) + "\n202010123456.2,x\n").encode()


def test_a_csv_of_a_hundred_thousand_columns_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(DomainError) as err:
        read_table(_wide_csv(100_000), "wide.csv", limits=Limits())
    assert err.value.code == "import_too_many_columns" and "200 列" in err.value.zh
    assert time.perf_counter() - started < 2


def test_a_wide_csv_upload_is_refused_naming_the_limit(client, supplier):
    # (Under the test client's 500 KB spooling threshold: its temporary file would outlive the test.)
    response = _upload(client, supplier, _wide_csv(40_000), "wide.csv")
    assert response.status_code == 422
    assert "超过 200 列的上限" in response.get_data(as_text=True)


def test_an_xlsx_that_unzips_a_thousandfold_is_refused_before_openpyxl_reads_it(client, supplier, monkeypatch):
    import openpyxl

    def never(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    response = _upload(client, supplier, _bomb(), "bomb.xlsx")
    assert response.status_code == 422
    assert "100:1 的上限" in response.get_data(as_text=True)


@pytest.mark.parametrize("setting, value, data, needle", [
    ("IMPORT_MAX_ROWS", 5, "申请号,名称\n" + "202010123456.2,一种隔膜\n" * 6, "超过 5 行的上限"),
    ("IMPORT_MAX_CELL_CHARS", 100, "申请号,名称\n202010123456.2," + "长" * 101 + "\n", "超过 100 个字符的上限"),
    ("IMPORT_MAX_COLUMNS", 3, "申请号,a,b,c\n202010123456.2,1,2,3\n", "超过 3 列的上限"),
])
def test_each_limit_is_named_in_the_refusal(app, client, supplier, monkeypatch, setting, value, data, needle):
    monkeypatch.setitem(app.config, setting, value)
    response = _upload(client, supplier, data.encode(), "small.csv")
    assert response.status_code == 422 and needle in response.get_data(as_text=True)


@pytest.mark.parametrize("name, data", [
    ("wide.xlsx", _xlsx([["申请号", *[f"c{i}" for i in range(300)]]])),
    ("wide.jsonl", ('{"申请号": "202010123456.2", ' + ", ".join(f'"c{i}": 1' for i in range(300)) + "}\n").encode()),
])
def test_every_format_bounds_its_columns(name, data):
    with pytest.raises(DomainError) as err:
        read_table(data, name, limits=Limits())
    assert err.value.code == "import_too_many_columns"


def test_the_mapping_page_shows_the_preview_kept_at_upload_without_reading_the_file(app, client, supplier):
    data = "申请号,名称\n202010123456.2,一种耐高温隔膜\n".encode()
    response = _upload(client, supplier, data, "portfolio.csv")
    assert response.status_code == 302
    batch_id = int(re.search(r"/imports/(\d+)/", response.headers["Location"]).group(1))
    with app.test_request_context():
        stored = db.session.get(ImportBatch, batch_id).stored_name
    # Gone from disk: a page view that parsed the file again would fail.
    (Path(app.instance_path) / "uploads" / "imports" / stored).unlink()
    page = client.get(f"/imports/{batch_id}/mapping")
    assert page.status_code == 200 and "一种耐高温隔膜" in page.get_data(as_text=True)
