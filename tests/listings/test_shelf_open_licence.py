"""The shelf says only what is true: 开放许可 follows an announced declaration, never a typed mode (issue 12 §5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from listings import services
from listings.models import Listing
from listings.vocabulary import DealMode, LegalStatus
from market.accounts.services import issue_api_token
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.time import today_local
from market.deals.open_licence import declarations as ol
from tests import factories as f


@pytest.fixture
def world(session):
    uni = f.organisation()
    return {"uni": uni, "uni_user": f.user(uni), "point": f.point()}


def _count() -> int:
    return db.session.scalar(select(func.count(Listing.id)))


@pytest.mark.parametrize("status", [LegalStatus.VALID, LegalStatus.PENDING])
def test_open_licence_cannot_be_typed_into_a_new_listing(world, status):
    patent = f.patent(world["uni"], status=status, filing=date(2021, 1, 1))
    before = _count()
    with pytest.raises(DomainError) as err:
        services.create_listing(world["uni_user"], patent, world["uni"], {
            "modes": [DealMode.TRANSFER, DealMode.OPEN_LICENSE], "asking_price_fen": 100,
            "point_id": world["point"].id})
    assert err.value.code == "open_licence_not_declared" and err.value.field == "modes"
    assert "开放许可声明助手" in err.value.zh and "专利法第50条" in err.value.zh
    assert "declaration assistant" in err.value.en
    assert _count() == before


def test_open_licence_cannot_be_typed_into_an_existing_listing(world):
    listing = f.listing(world["uni"], world["point"])
    with pytest.raises(DomainError) as err:
        services.update_listing(world["uni_user"], listing, {
            "modes": [*listing.modes, DealMode.OPEN_LICENSE], "asking_price_fen": listing.asking_price_fen,
            "point_id": world["point"].id})
    assert err.value.code == "open_licence_not_declared"
    assert DealMode.OPEN_LICENSE not in listing.modes and listing.status == "PUBLISHED"


def test_the_api_refuses_a_typed_open_licence_with_the_way_to_declare(client, world):
    patent = f.patent(world["uni"])
    token = issue_api_token(world["uni_user"], "test")[1]
    response = client.post("/api/v1/listings", headers={"Authorization": "Bearer " + token}, json={
        "application_number": patent.application_number, "point_id": world["point"].id,
        "modes": ["OPEN_LICENSE"], "asking_price_fen": 100})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "open_licence_not_declared"
    assert f"/patents/{patent.application_number}/open-licence" in error["message"]


def test_the_listing_form_offers_no_open_licence_box_and_points_to_the_assistant(client, world):
    listing = f.listing(world["uni"], world["point"])
    f.login(client, world["uni_user"])
    html = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="OPEN_LICENSE"' not in html
    assert f"/patents/{listing.patent.application_number}/open-licence" in html


def test_a_listing_made_after_the_announcement_shows_the_open_licence_and_keeps_it_on_edit(world):
    patent = f.patent(world["uni"])
    first = f.listing(world["uni"], world["point"], patent_kw={})  # another patent of the same owner
    assert DealMode.OPEN_LICENSE not in first.modes
    owner = world["uni_user"]
    decl = ol.start_declaration(owner, patent, {"fee_terms": {"mode": "LUMP_SUM", "lump_fen": 5_000_000},
                                                "fee_basis_note": "参照同类许可费。", "contact": "021-1"})
    ol.confirm_eligible(owner, decl)
    ol.record_filing(owner, decl, today_local() - timedelta(days=10))
    ol.record_announcement(owner, decl, today_local(), "第42卷第2号")
    listing = services.create_listing(owner, patent, world["uni"], {
        "modes": [DealMode.TRANSFER], "asking_price_fen": 100, "point_id": world["point"].id})
    assert listing.modes == ["TRANSFER", "OPEN_LICENSE"]
    # The edit form never sends 开放许可; the declaration keeps it on the listing.
    services.update_listing(owner, listing, {"modes": ["TRANSFER"], "asking_price_fen": 100,
                                             "point_id": world["point"].id})
    assert listing.modes == ["TRANSFER", "OPEN_LICENSE"]
    ol.record_withdrawal_request(owner, decl, today_local())
    ol.record_withdrawal(owner, decl, today_local())
    assert listing.modes == ["TRANSFER"]
