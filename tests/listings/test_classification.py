"""IPC symbols at every level and Locarno classes (domain.md §1.4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listings.classification import IpcSymbol, parse_ipc, parse_ipc_list, parse_locarno
from market.core.errors import DomainError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _jsonl(relative: str) -> list[dict]:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (../shared/data is absent)")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.mark.parametrize("raw, symbol, level", [
    ("A", "A", "section"),
    ("A01", "A01", "class"),
    ("A01K", "A01K", "subclass"),
    ("A01K 67/00", "A01K 67/00", "main_group"),
    ("A01K 67", "A01K 67/00", "main_group"),
    ("A01K 67/027", "A01K 67/027", "group"),
    ("A61K 31/496", "A61K 31/496", "group"),
])
def test_every_ipc_level_parses(raw, symbol, level):
    parsed = parse_ipc(raw)
    assert parsed.symbol == symbol
    assert parsed.level == level


@pytest.mark.parametrize("raw", [
    "A01K67/027",
    "A01K 67/027",
    "a01k 67/027",
    "A01K  67 / 027",
    "A01K67/027(2006.01)I",
    "A01K 67/027 (2006.01)",
    "A01K67/027 (2006.01) I",
    "A01K0067/027",
    "Ａ０１Ｋ　６７／０２７",
    " A01K67/027\n",
])
def test_spelling_variants_give_the_canonical_symbol(raw):
    assert parse_ipc(raw).symbol == "A01K 67/027"


def test_version_suffix_from_cn_records_is_stripped():
    assert parse_ipc("H04L9/06(2006.01)I").symbol == "H04L 9/06"


def test_parts_are_filled_down_to_the_symbols_level():
    assert parse_ipc("A01K 67/027") == IpcSymbol("A", "A01", "A01K", "A01K 67", "A01K 67/027")
    assert parse_ipc("A01K") == IpcSymbol("A", "A01", "A01K")
    assert parse_ipc("A") == IpcSymbol("A")


def test_prefixes_list_every_level_for_facets():
    assert parse_ipc("A01K 67/027").prefixes() == [
        "A", "A01", "A01K", "A01K 67/00", "A01K 67/027"]
    assert parse_ipc("H01L").prefixes() == ["H", "H01", "H01L"]


def test_subgroup_digits_are_kept_as_written():
    assert parse_ipc("C09D175/06").symbol == "C09D 175/06"
    assert parse_ipc("A01K 67/0275").symbol == "A01K 67/0275"


@pytest.mark.parametrize("raw", [
    "", "   ", "I01K", "Z", "A1", "A01KK", "A01K 67/", "A01K 67/0", "A01K /027", "A01K 12345/00",
    "A01K 0/00", "A01K 67/0271234", "67/027", "A01K-67/027", "???",
])
def test_malformed_ipc_is_refused_with_field_ipc(raw):
    with pytest.raises(DomainError) as info:
        parse_ipc(raw)
    assert info.value.field == "ipc"
    assert "A01K 67/027" in info.value.zh


def test_section_outside_a_to_h_is_named_in_the_message():
    with pytest.raises(DomainError) as info:
        parse_ipc("Y02E 10/50")
    assert "Y" in info.value.zh and "A 至 H" in info.value.zh


@pytest.mark.parametrize("raw", [
    "H01L31/048(2006.01)I;H01L31/18(2006.01)I",
    "H01L31/048(2006.01)I；H01L31/18(2006.01)I",
    "H01L31/048, H01L31/18",
    "H01L31/048，H01L31/18",
    "H01L31/048\nH01L31/18",
    "H01L 31/048 H01L 31/18",
    "H01L31/048 (2006.01) I H01L31/18 (2006.01) I",
    "H01L31/048;H01L31/18;",
])
def test_multi_value_cells_split_on_every_real_separator(raw):
    assert [s.symbol for s in parse_ipc_list(raw)] == ["H01L 31/048", "H01L 31/18"]


def test_list_is_deduplicated_in_order():
    parsed = parse_ipc_list("B32B27/18;A01K67/027;B32B 27/18;A01K")
    assert [s.symbol for s in parsed] == ["B32B 27/18", "A01K 67/027", "A01K"]


def test_empty_cell_gives_an_empty_list():
    assert parse_ipc_list("") == []
    assert parse_ipc_list(" ; ") == []


def test_bad_item_in_a_list_is_refused():
    with pytest.raises(DomainError) as info:
        parse_ipc_list("H01L31/048;???")
    assert info.value.field == "ipc"


def test_every_trs_classification_cell_parses():
    rows = _jsonl("cn_export_samples/cnipa_trs_export.jsonl")
    for row in rows:
        symbols = parse_ipc_list(row["分类号"])
        main = parse_ipc(row["主分类号"])
        assert symbols and all(s.level in ("main_group", "group") for s in symbols), row["分类号"]
        assert main in symbols, row["申请号"]


def test_every_a01_subclass_parses_as_a_subclass():
    values = {row["ipc_subclass"] for row in _jsonl("cn_patents_a01/patents.jsonl")}
    for value in values:
        parsed = parse_ipc(value)
        assert parsed.level == "subclass" and parsed.ipc_class == "A01"


@pytest.mark.parametrize("raw", [
    "14-03", "1403", "14.03", "14 03", "14－03",
    "LOC(12) Cl. 14-03", "loc (12) cl. 14-03", "Cl. 14-03",
])
def test_locarno_variants_normalise_to_nn_nn(raw):
    assert parse_locarno(raw) == "14-03"


def test_locarno_single_digits_are_zero_padded():
    assert parse_locarno("2-1") == "02-01"
    assert parse_locarno("99-1") == "99-01"


@pytest.mark.parametrize("raw", ["", "14", "140", "14-", "33-01", "00-01", "14-00", "A4-03",
                                 "14-03-01"])
def test_malformed_or_unknown_locarno_is_refused(raw):
    with pytest.raises(DomainError) as info:
        parse_locarno(raw)
    assert info.value.field == "locarno"
