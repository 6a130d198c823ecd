"""Packages on the catalogue: one search result per package found by any member, the patent page of a
member says which package it belongs to, the API lists the members (issue 14)."""

from __future__ import annotations

import pytest

from listings import packages, services
from listings.search import listing_document
from listings.vocabulary import DealMode
from market.core.extensions import db
from market.core.outbox import process_outbox
from tests import factories as f


@pytest.fixture
def shelf(session):
    uni = f.organisation("沪北理工大学")
    point = f.point(f.organisation(org_type="POINT_OPERATOR"))
    lead = f.patent(uni, title="一种固态电解质薄膜", abstract="硫化物固态电解质。", ipc=["H01M 10/0562"])
    second = f.patent(uni, title="一种钠离子电池负极材料", abstract="硬碳负极，首效高。", ipc=["H01M 4/587"])
    third = f.patent(uni, title="电池极片辊压装置", abstract="辊压均匀。", ipc=["B30B 3/04"])
    package = packages.create_package(None, [lead, second, third], uni, {
        "modes": [DealMode.TRANSFER], "asking_price_fen": 800_000_00, "point_id": point.id})
    services.publish_without_review(package, "test")
    single = f.listing(uni, point, patent_kw={"title": "一种钠离子电池正极材料"})
    db.session.commit()
    process_outbox()
    return {"package": package, "lead": lead, "second": second, "third": third, "single": single}


def test_the_search_document_of_a_package_carries_every_member(shelf):
    doc = listing_document(shelf["package"])
    assert [m["application_number"] for m in doc["members"]] == [
        shelf[k].application_number for k in ("lead", "second", "third")]
    assert "硬碳负极" in doc["body"] and "辊压装置" in doc["body"]
    assert shelf["third"].application_number.replace(".", "") in doc["codes"]
    assert set(doc["ipc_sections"]) == {"H", "B"}


def test_search_finds_the_package_once_by_any_members_words_or_number(client, shelf):
    hits = client.get("/api/v1/search?q=钠离子电池").get_json()["items"]
    ids = [h["listing_id"] for h in hits]
    assert sorted(ids) == sorted([shelf["package"].id, shelf["single"].id])
    hit = next(h for h in hits if h["listing_id"] == shelf["package"].id)
    assert len(hit["members"]) == 3
    by_number = client.get("/api/v1/search?q=" + shelf["third"].application_number.replace(".", "")).get_json()["items"]
    assert [h["listing_id"] for h in by_number] == [shelf["package"].id]


def test_the_catalogue_card_lists_the_packages_patents(client, shelf):
    page = client.get("/search?q=辊压").get_data(as_text=True)
    assert "专利包 · 共 3 件" in page and shelf["second"].application_number in page
    assert "Package of 3 patents" in client.get("/search?q=辊压&lang=en").get_data(as_text=True)


def test_a_members_page_says_which_package_it_is_part_of(client, shelf):
    page = client.get(f"/patents/{shelf['third'].application_number}").get_data(as_text=True)
    assert "本专利属于专利包“一种固态电解质薄膜”" in page
    assert f'href="/patents/{shelf["lead"].application_number}"' in page
    assert '<span class="price">80 万元</span>' in page  # the package's one price
    en = client.get(f"/patents/{shelf['third'].application_number}?lang=en").get_data(as_text=True)
    assert "part of the package" in en


def test_the_api_listing_shows_its_members(client, shelf):
    body = client.get(f"/api/v1/listings/{shelf['package'].id}").get_json()
    assert body["is_package"] and [m["title"] for m in body["members"]][1] == "一种钠离子电池负极材料"
    single = client.get(f"/api/v1/listings/{shelf['single'].id}").get_json()
    assert not single["is_package"] and len(single["members"]) == 1

