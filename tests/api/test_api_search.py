"""GET /api/v1/search: Chinese full text, highlights, facets, filters, sorting and bad input."""

from __future__ import annotations

import pytest

from market.core.extensions import db
from market.core.outbox import process_outbox
from tests import factories as f


@pytest.fixture
def shelf(session):
    uni = f.organisation()
    point = f.point()
    listings = {
        "separator": f.listing(uni, point, price_fen=5_000_000),
        "cathode": f.listing(uni, point, price_fen=200_000_000, patent_kw={
            "title": "一种锂电池正极材料及其制备方法", "ipc": ["H01M 4/36"],
            "abstract": "高镍正极材料，循环寿命长。"}),
        "vision": f.listing(f.organisation(), point, price_fen=None, patent_kw={
            "title": "一种基于深度学习的图像识别方法", "ipc": ["G06N 3/08"],
            "abstract": "卷积神经网络识别工业缺陷图像。"}),
    }
    f.listing(uni, point, published=False, patent_kw={"title": "一种未发布的锂电池草稿"})
    db.session.commit()  # outbox rows are written at commit
    process_outbox()
    return {**listings, "owner": uni.name}


def _search(client, query: str = ""):
    response = client.get("/api/v1/search" + query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_chinese_query_returns_highlighted_hits_and_facet_counts(client, shelf):
    body = _search(client, "?q=锂电池")
    ids = {item["listing_id"] for item in body["items"]}
    assert ids == {shelf["separator"].id, shelf["cathode"].id}
    assert body["total"] == 2 and body["pages"] == 1 and body["relaxed"] is False
    cathode = next(i for i in body["items"] if i["listing_id"] == shelf["cathode"].id)
    assert "<mark>锂电池</mark>" in cathode["highlights"]["title"]
    assert cathode["application_number"] == shelf["cathode"].patent.application_number
    assert {"value": "INVENTION", "count": 2} in body["facets"]["patent_type"]
    assert {"value": "H01", "count": 2} in body["facets"]["ipc_class"]


def test_drafts_are_never_found(client, shelf):
    titles = [i["title"] for i in _search(client, "?q=草稿")["items"]]
    assert titles == []


def test_a_facet_filter_keeps_only_matching_listings(client, shelf):
    body = _search(client, "?ipc_class=G06")
    assert [i["listing_id"] for i in body["items"]] == [shelf["vision"].id]


def test_a_repeated_filter_means_any_of_its_values(client, shelf):
    body = _search(client, "?price_band=NEGOTIABLE&price_band=LT_100K")
    assert {i["listing_id"] for i in body["items"]} == {shelf["vision"].id, shelf["separator"].id}


def test_filters_on_different_facets_must_all_hold(client, shelf):
    body = _search(client, f"?owner={shelf['owner']}&price_band=NEGOTIABLE")
    assert body["total"] == 0 and body["items"] == []


def test_price_sort_puts_negotiable_last(client, shelf):
    body = _search(client, "?sort=price_asc")
    assert [i["price_fen"] for i in body["items"]] == [5_000_000, 200_000_000, None]


def test_pages_are_cut_by_per_page(client, shelf):
    body = _search(client, "?per_page=2&page=2&sort=newest")
    assert body["total"] == 3 and body["pages"] == 2 and len(body["items"]) == 1


def test_per_page_above_the_limit_counts_as_the_limit(client, shelf):
    assert _search(client, "?per_page=100000")["per_page"] == 100


def test_a_page_past_the_end_is_empty_not_an_error(client, shelf):
    body = _search(client, "?page=10000")
    assert body["items"] == [] and body["total"] == 3


@pytest.mark.parametrize("query, field", [
    ("?sort=cheapest", "sort"),
    ("?page=0", "page"),
    ("?page=abc", "page"),
    ("?page=²", "page"),
    ("?page=1.5", "page"),
    ("?page=" + "9" * 40, "page"),
    ("?per_page=-1", "per_page"),
    ("?q=" + "长" * 501, "q"),
    ("?industry=新能源&industry=" + "x" * 201, "industry"),
], ids=["sort", "page-zero", "page-letters", "page-superscript", "page-float", "page-huge",
        "per-page-negative", "q-too-long", "facet-value-too-long"])
def test_bad_query_parameters_are_a_400_in_the_one_error_shape(client, shelf, query, field):
    response = client.get("/api/v1/search" + query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_query"
    assert field in error["message"] and list(error["fields"]) == [field]
