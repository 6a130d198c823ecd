"""Import: a `package` column groups rows into one package listing; a bad group is refused whole."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from listings.importing.columns import suggest_mapping
from listings.importing.readers import read_table
from listings.importing.service import ImportOptions, import_table
from listings.models import Listing, ListingPatent, Patent
from market.core.extensions import db
from tests import factories as f


def _csv(rows: list[dict]) -> bytes:
    headers = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def world(session):
    uni = f.organisation("北京科技大学")
    return {"uni": uni, "point": f.point(f.organisation(org_type="POINT_OPERATOR"))}


def _row(package: str = "", price: str = "", owners: str = "北京科技大学", number: str | None = None, **kw) -> dict:
    return {"申请号": number or f.application_number(), "名称": "一种高强钢的热处理方法", "申请（专利权）人": owners,
            "授权公告日": "2022-01-05", "专利包": package, "报价": price, **kw}


def _import(world, rows: list[dict], **options):
    table = read_table(_csv(rows), "p.csv")
    mapping = suggest_mapping(table.headers)
    assert mapping["专利包"] == "package"
    return import_table(table, mapping, world["uni"], ImportOptions(point=world["point"], **options))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_rows_sharing_a_package_become_one_listing_at_one_price(world):
    rows = [_row("高强钢包", "120万元"), _row(), _row("高强钢包"), _row("高强钢包", "120万元")]
    result = _import(world, rows)
    assert (result.created, result.listed, result.rejected) == (4, 2, [])
    package = db.session.scalar(select(Listing).join(ListingPatent).limit(1))
    assert [p.application_number for p in package.members] == [rows[i]["申请号"] for i in (0, 2, 3)]
    assert package.asking_price_fen == 120_000_000


def test_mixed_prices_refuse_the_whole_group_and_write_nothing_of_it(world):
    rows = [_row("A", "100万元"), _row("A", "120万元"), _row()]
    result = _import(world, rows)
    assert [r.application_number for r in result.rejected] == [rows[0]["申请号"], rows[1]["申请号"]]
    assert all("报价不一致" in r.reasons_zh[0] for r in result.rejected)
    assert result.created == 1 and _count(ListingPatent) == 0
    assert not db.session.scalar(select(Patent.id).where(Patent.application_number == rows[0]["申请号"]))


def test_different_patentees_are_a_row_error_on_the_odd_row(world):
    rows = [_row("B"), _row("B", owners="北京科技大学; 东海大学")]
    result = _import(world, rows)
    assert len(result.rejected) == 2 and result.created == 0
    odd = next(r for r in result.rejected if r.application_number == rows[1]["申请号"])
    assert "专利权人" in odd.reasons_zh[0] and "patentees" in odd.reasons_en[0]
    other = next(r for r in result.rejected if r is not odd)
    assert "其他行有错误" in other.reasons_zh[0]


def test_a_member_already_listed_refuses_the_group(world):
    listed = f.listing(world["uni"], world["point"], published=False).patent
    rows = [_row("C"), _row("C", number=listed.application_number)]
    result = _import(world, rows)
    assert len(result.rejected) == 2
    assert any("已在挂牌" in r.reasons_zh[0] for r in result.rejected)
    assert _count(ListingPatent) == 0


def test_a_group_split_across_steps_is_imported_once_with_its_first_row(world):
    rows = [_row("D"), _row(), _row("D")]
    table = read_table(_csv(rows), "p.csv")
    mapping, seen = suggest_mapping(table.headers), {}
    first = import_table(table, mapping, world["uni"], ImportOptions(point=world["point"]), start=0, stop=2, seen=seen)
    second = import_table(table, mapping, world["uni"], ImportOptions(point=world["point"]), start=2, stop=3, seen=seen)
    assert (first.created, first.listed, second.created, second.listed) == (3, 2, 0, 0)
    assert _count(ListingPatent) == 1
