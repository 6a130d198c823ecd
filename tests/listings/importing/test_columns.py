"""Mapping real export headers onto canonical fields, and cleaning their cells."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from listings.importing.columns import (
    FIELDS,
    IGNORED,
    SYNONYMS,
    apply_mapping,
    clean_text,
    parse_date,
    split_people,
    suggest_mapping,
    unknown_headers,
)
from listings.importing.readers import read_table
from market.core.errors import DomainError

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def real_table(relative: str):
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real export sample {path} is absent (../shared/data is provided by CI)")
    return read_table(path.read_bytes(), path.name)


@pytest.mark.parametrize("field", FIELDS)
def test_every_synonym_maps_to_its_own_field(field):
    assert set(suggest_mapping(list(SYNONYMS[field])).values()) == {field}


def test_ignored_headers_are_known_but_not_imported():
    assert set(suggest_mapping(list(IGNORED)).values()) == {None}
    assert unknown_headers(list(IGNORED)) == []


@pytest.mark.parametrize(("header", "field"), [
    ("公开(公告)号", "publication_number"),
    ("公开（公告）号", "publication_number"),
    ("申请(专利权)人", "applicants"),
    (" 申 请 号 ", "application_number"),
    ("*申请号", "application_number"),
    ("Application Number", "application_number"),
    ("APPLICATION-DATE", "filing_date"),
    ("ＩＰＣ分类号", "ipc"),
    ("专利号", "application_number"),
    ("发明名称", "title"),
    ("报价(元)", "asking_price"),
    ("价格（万元）", "asking_price"),
    ("是否面议", "price_negotiable"),
    ("转化方式", "modes"),
    ("申请人2", "applicants"),
])
def test_header_matching_is_tolerant(header, field):
    assert suggest_mapping([header]) == {header: field}


def test_unknown_headers_are_reported_in_file_order():
    headers = ["申请号", "备忘", "名称", "Colour"]
    assert suggest_mapping(headers)["备忘"] is None
    assert unknown_headers(headers) == ["备忘", "Colour"]


def test_apply_mapping_keeps_only_mapped_fields_and_cleans_cells():
    row = {"申请号": " CN1 ", "摘要": "本发明……。$#!", "备忘": "x", "名称": "???"}
    assert apply_mapping(row, suggest_mapping(list(row))) == {
        "application_number": "CN1", "abstract": "本发明……。", "title": ""}


def test_best_ranked_column_with_a_value_wins():
    row = {"专利权状态": "有权", "申请人": "甲大学", "专利权人": "乙公司", "法律状态": "授权"}
    canonical = apply_mapping(row, suggest_mapping(list(row)))
    assert canonical["applicants"] == "乙公司"
    assert canonical["legal_status"] == "授权"


def test_lower_ranked_column_fills_in_when_the_best_is_empty():
    row = {"代理机构": "", "专利代理机构": "北京中博世达专利商标代理有限公司"}
    assert apply_mapping(row, suggest_mapping(list(row))) == {"agent": "北京中博世达专利商标代理有限公司"}


def test_numbered_people_columns_are_joined_in_order():
    row = {"申请人1": "北京科技大学", "申请人2": "", "申请人3": "神华集团有限责任公司"}
    assert apply_mapping(row, suggest_mapping(list(row)))["applicants"] == "北京科技大学; 神华集团有限责任公司"


def test_a_user_chosen_mapping_is_applied():
    row = {"备忘": "甲", "名称": "乙"}
    assert apply_mapping(row, {"备忘": "title", "名称": None}) == {"title": "甲"}


def test_a_mapping_onto_a_field_that_does_not_exist_is_a_programming_error():
    with pytest.raises(ValueError):
        apply_mapping({"名称": "甲"}, {"名称": "name"})


def test_main_classification_alone_fills_the_classification_list():
    assert apply_mapping({"主分类号": "A01K 67/027"}, {"主分类号": "ipc_main"}) == {
        "ipc_main": "A01K 67/027", "ipc": "A01K 67/027"}


def test_price_in_ten_thousands_keeps_its_unit():
    row = {"报价（万元）": "50", "名称": "甲"}
    assert apply_mapping(row, suggest_mapping(list(row)))["asking_price"] == "50万元"


@pytest.mark.parametrize(("ipc", "main", "expected"), [
    ("H01L31/048(2006.01)I;H01L31/18(2006.01)I", "H01L31/048(2006.01)I",
     "H01L31/048(2006.01)I;H01L31/18(2006.01)I"),
    ("B32B27/06; H01L31/048", "H01L31/048", "H01L31/048; B32B27/06"),
    ("B32B27/06", "H01L 31/048", "H01L 31/048; B32B27/06"),
    ("", "A01K 67/027", "A01K 67/027"),
])
def test_main_classification_comes_first(ipc, main, expected):
    row = {"分类号": ipc, "主分类号": main}
    assert apply_mapping(row, suggest_mapping(list(row)))["ipc"] == expected


@pytest.mark.parametrize(("raw", "names"), [
    ("金亚东;周玉波", ["金亚东", "周玉波"]),
    ("北京科技大学; 北京联力源科技有限公司", ["北京科技大学", "北京联力源科技有限公司"]),
    ("李勇，秦海霞、李勇", ["李勇", "秦海霞"]),
    ("王广,王静松；薛庆国|张三", ["王广", "王静松", "薛庆国", "张三"]),
    ("张文明  杨威威 赵鑫鑫", ["张文明", "杨威威", "赵鑫鑫"]),
    ("John Smith", ["John Smith"]),
    ("Acme Robotics, Inc.; 北京科技大学", ["Acme Robotics, Inc.", "北京科技大学"]),
    ("北京科技大学; 北京科技大学 ", ["北京科技大学"]),
    ("不公告发明人", []),
    ("", []),
    (None, []),
])
def test_split_people(raw, names):
    assert split_people(raw) == names


@pytest.mark.parametrize("raw", [
    "2016-05-11", "2016.05.11", "2016/5/11", "20160511", "2016年5月11日", "2016-05-11 00:00:00",
    "2016-05-11T08:30:00", " 2016.5.11 ", "２０１６－０５－１１",
])
def test_parse_date_accepts_real_spellings(raw):
    assert parse_date(raw) == date(2016, 5, 11)


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_parse_date_of_a_blank_cell_is_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize("raw", ["2016-02-30", "yesterday", "42501", "0000-00-00", "2016-05", "1850-01-01"])
def test_parse_date_refuses_garbage_naming_the_field(raw):
    with pytest.raises(DomainError) as caught:
        parse_date(raw, field="filing_date")
    assert caught.value.code == "import_bad_date"
    assert caught.value.field == "filing_date"
    assert raw in caught.value.zh and raw in caught.value.en


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("提供了维护性能好的联合收割机。$＃!", "提供了维护性能好的联合收割机。"),
    ("便于携带。$#!", "便于携带。"),
    ("提供了一种种质资源。$", "提供了一种种质资源。"),
    ("结构通式如下：<img", "结构通式如下："),
    ("???", ""),
    (" ？ ", ""),
    ("提高资源利用率。?", "提高资源利用率。?"),
    ("4?50重量份", "4?50重量份"),
    ("售价 5 US$", "售价 5 US$"),
    ("Al<sub>7</sub>O<sub>3</sub>", "Al<sub>7</sub>O<sub>3</sub>"),
    ("  一种\t 装置\u3000及方法 ", "一种 装置 及方法"),
    ("第一段\r\n\r\n  第二段", "第一段\n第二段"),
    (None, ""),
])
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_real_trs_headers_are_all_known():
    table = real_table("cn_export_samples/cnipa_trs_export.jsonl")
    mapping = suggest_mapping(table.headers)
    assert unknown_headers(table.headers) == []
    assert {h: mapping[h] for h in [
        "申请号", "申请日", "公开（公告）号", "公开（公告）日", "专利类型", "名称", "摘要", "分类号", "主分类号",
        "申请（专利权）人", "发明（设计）人", "代理机构", "专利代理机构", "地址", "国省代码", "主权项", "法律状态",
    ]} == {
        "申请号": "application_number", "申请日": "filing_date", "公开（公告）号": "publication_number",
        "公开（公告）日": "publication_date", "专利类型": "patent_type", "名称": "title", "摘要": "abstract",
        "分类号": "ipc", "主分类号": "ipc_main", "申请（专利权）人": "applicants", "发明（设计）人": "inventors",
        "代理机构": "agent", "专利代理机构": "agent", "地址": "address", "国省代码": "province_code",
        "主权项": "first_claim", "法律状态": "legal_status",
    }
    assert mapping["代理人"] is None and mapping["页数"] is None


def test_real_trs_rows_become_canonical_dicts():
    table = real_table("cn_export_samples/cnipa_trs_export.jsonl")
    mapping = suggest_mapping(table.headers)
    for row in table.rows:
        canonical = apply_mapping(row, mapping)
        assert canonical["application_number"].startswith("CN"), row.number
        assert canonical["title"], row.number
        assert parse_date(canonical["filing_date"]) is not None
        assert split_people(canonical["applicants"])
        assert canonical["ipc"].startswith(canonical["ipc_main"])
        assert canonical["agent"] or row["专利代理机构"] == ""


def test_real_cnki_rows_become_canonical_dicts_without_application_numbers():
    table = real_table("cn_export_samples/cnki_export.jsonl")
    mapping = suggest_mapping(table.headers)
    assert unknown_headers(table.headers) == []
    assert mapping["applicant"] == "applicants" and mapping["application_date"] == "filing_date"
    for row in table.rows:
        canonical = apply_mapping(row, mapping)
        # CNKI exports identify a patent by its publication number only.
        assert "application_number" not in canonical
        assert canonical["title"] and canonical["publication_number"].startswith("CN")
        assert split_people(canonical["inventors"])
        assert parse_date(canonical["filing_date"]) < parse_date(canonical["publication_date"])


@pytest.mark.parametrize("relative", ["cn_university_ustb/patents.jsonl", "cn_patents_a01/patents.jsonl"])
def test_real_dataset_keys_are_all_known_and_rows_map(relative):
    table = real_table(relative)
    mapping = suggest_mapping(table.headers)
    assert unknown_headers(table.headers) == []
    for row in table.rows:
        canonical = apply_mapping(row, mapping)
        assert canonical["application_number"] and canonical["title"], row.number
        assert not canonical.get("abstract", "").endswith(("$#!", "$＃!")), row.number
