"""Reading uploaded CSV, XLSX and JSON Lines files into tables."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from listings.importing.readers import Table, read_table
from market.core.errors import DomainError

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def refused(data: bytes, filename: str, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        read_table(data, filename, **kwargs)
    assert caught.value.field == "file"
    assert caught.value.zh and caught.value.en
    return caught.value


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_utf8_bom_csv_drops_the_bom_and_numbers_rows_as_lines():
    data = "申请号,名称\nCN201010554637.7,太阳能电池背膜\n".encode("utf-8-sig")
    table = read_table(data, "portfolio.csv")
    assert table.headers == ["申请号", "名称"]
    assert table.rows == [{"申请号": "CN201010554637.7", "名称": "太阳能电池背膜"}]
    assert table.rows[0].number == 2
    assert (table.format, table.encoding) == ("csv", "utf-8-sig")


def test_gbk_csv_with_chinese_headers_is_decoded():
    text = "申请号,专利名称,专利权人\r\nCN201110220598.1,一种超薄型聚酯薄膜,宁波长阳科技有限公司\r\n"
    table = read_table(text.encode("gbk"), "导出.CSV")
    assert table.encoding == "gb18030"
    assert table.headers == ["申请号", "专利名称", "专利权人"]
    assert table.rows[0]["专利权人"] == "宁波长阳科技有限公司"


def test_utf16_csv_from_excel_unicode_text_is_read():
    table = read_table("申请号\t名称\nCN1\t甲\n".encode("utf-16"), "unicode.csv")
    assert table.encoding == "utf-16"
    assert table.rows == [{"申请号": "CN1", "名称": "甲"}]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_sniffed(delimiter):
    text = delimiter.join(["申请号", "名称", "申请日"]) + "\n" + delimiter.join(["CN1", "甲", "2016-05-11"]) + "\n"
    table = read_table(text.encode(), "portfolio.csv")
    assert table.rows == [{"申请号": "CN1", "名称": "甲", "申请日": "2016-05-11"}]


def test_semicolons_inside_cells_do_not_make_a_comma_file_semicolon_separated():
    text = "申请号,分类号,名称\nCN1,H01L31/048;H01L31/18;C09D175/06,甲\nCN2,B32B27/14;B32B27/36,乙\n"
    table = read_table(text.encode(), "portfolio.csv")
    assert table.headers == ["申请号", "分类号", "名称"]
    assert table.rows[1]["分类号"] == "B32B27/14;B32B27/36"


def test_csv_cells_are_stripped_unwrapped_and_numbered_from_their_first_line():
    text = '\n申请号,摘要\n="201010554637.7"," 第一行\n第二行 "\n\n CN2 ,乙\n'
    table = read_table(text.encode(), "portfolio.csv")
    assert [(row.number, dict(row)) for row in table.rows] == [
        (3, {"申请号": "201010554637.7", "摘要": "第一行\n第二行"}),
        (6, {"申请号": "CN2", "摘要": "乙"}),
    ]


def test_duplicate_and_blank_headers_keep_their_data():
    table = read_table("申请人,申请人,,\n甲,乙,丙,\n".encode(), "portfolio.csv")
    assert table.headers == ["申请人", "申请人 (2)", "列3"]
    assert table.rows[0] == {"申请人": "甲", "申请人 (2)": "乙", "列3": "丙"}


def test_xlsx_dates_become_iso_strings_and_integral_numbers_lose_the_decimal():
    data = xlsx_bytes([
        [],
        ["申请号", "申请日", "报价（万元）", "页数", "更新时间", "是否面议"],
        ["CN201010554637.7", datetime(2016, 5, 11), 50.0, 19, datetime(2017, 1, 2, 9, 30), True],
        [None, None, None, None, None, None],
        ["CN201110220598.1", date(2011, 8, 3), 12.5, None, None, False],
    ])
    table = read_table(data, "portfolio.xlsx")
    assert (table.format, table.encoding) == ("xlsx", None)
    assert table.headers == ["申请号", "申请日", "报价（万元）", "页数", "更新时间", "是否面议"]
    first, second = table.rows
    assert first == {"申请号": "CN201010554637.7", "申请日": "2016-05-11", "报价（万元）": "50",
                     "页数": "19", "更新时间": "2017-01-02 09:30:00", "是否面议": "TRUE"}
    assert (first.number, second.number) == (3, 5)
    assert second["申请日"] == "2011-08-03"
    assert second["报价（万元）"] == "12.5"


def test_workbook_named_csv_is_read_as_a_workbook():
    table = read_table(xlsx_bytes([["申请号"], ["CN1"]]), "portfolio.csv")
    assert table.format == "xlsx"
    assert table.rows == [{"申请号": "CN1"}]


@pytest.mark.parametrize("data", [b"PK\x03\x04 this is not a zip", b"\xef\xbb\xbf\xe7\x94\xb3,x\n1,2\n"])
def test_damaged_xlsx_is_refused(data):
    assert refused(data, "portfolio.xlsx").code == "import_xlsx_unreadable"


def test_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert refused(buffer.getvalue(), "portfolio.xlsx").code == "import_xlsx_unreadable"


def test_jsonl_bad_line_becomes_a_problem_and_other_lines_are_kept():
    lines = [
        json.dumps({"title": "甲", "inventors": ["李育超", "于泽溪"], "pages": 19.0}, ensure_ascii=False),
        "",
        '{"title": "乙", broken',
        "[1, 2]",
        json.dumps({"title": "丙", "applicant": None, "extra": True}, ensure_ascii=False),
    ]
    table = read_table("\n".join(lines).encode(), "cnki.jsonl")
    assert table.headers == ["title", "inventors", "pages", "applicant", "extra"]
    assert [row.number for row in table.rows] == [1, 5]
    assert table.rows[0] == {"title": "甲", "inventors": "李育超; 于泽溪", "pages": "19",
                             "applicant": "", "extra": ""}
    assert table.rows[1]["extra"] == "true"
    assert [number for number, _, _ in table.problems] == [3, 4]
    assert "JSON" in table.problems[0][1] and "not valid JSON" in table.problems[0][2]


def test_jsonl_without_any_object_has_no_header():
    assert refused(b"not json\nstill not\n", "x.jsonl").code == "import_no_header"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\n"])
def test_empty_file_is_refused(data):
    assert refused(data, "portfolio.csv").code == "import_file_empty"


def test_rows_without_any_cell_have_no_header():
    assert refused(b",,,\n ,\n", "portfolio.csv").code == "import_no_header"


def test_oversize_file_is_refused_with_the_limit_in_megabytes():
    error = refused(b"a" * (1024 * 1024 + 1), "portfolio.csv", max_bytes=1024 * 1024)
    assert error.code == "import_file_too_large"
    assert "1 MB" in error.zh and "1 MB" in error.en


@pytest.mark.parametrize("filename", ["photo.csv", "photo.jsonl"])
def test_png_posing_as_text_is_refused(filename):
    assert refused(PNG, filename).code == "import_file_binary"


@pytest.mark.parametrize("filename", ["portfolio.pdf", "portfolio", "patents.xls"])
def test_unsupported_extension_is_refused(filename):
    error = refused("申请号\nCN1\n".encode(), filename)
    assert error.code == "import_unsupported_format"


def test_legacy_xls_content_is_refused_whatever_the_name():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    assert refused(ole, "portfolio.xlsx").code == "import_unsupported_format"


def real_file(relative: str) -> bytes:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real export sample {path} is absent (../shared/data is provided by CI)")
    return path.read_bytes()


def test_real_trs_export_reads_every_row_with_its_line_number():
    table = read_table(real_file("cn_export_samples/cnipa_trs_export.jsonl"), "cnipa_trs_export.jsonl")
    assert isinstance(table, Table)
    assert table.problems == []
    assert len(table.rows) == 113
    assert [row.number for row in table.rows] == list(range(1, 114))
    assert table.headers[:3] == ["申请号", "申请日", "公开（公告）号"]


def test_real_cnki_export_joins_inventor_lists():
    table = read_table(real_file("cn_export_samples/cnki_export.jsonl"), "cnki_export.jsonl")
    assert len(table.rows) == 33
    assert table.rows[0]["inventors"] == "李育超; 于泽溪; 魏璐璐; 黄根清"
