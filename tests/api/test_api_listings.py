"""Listings on the JSON API: who sees what, who may change what, and input that is refused."""

from __future__ import annotations

import pytest

from listings.vocabulary import DealMode
from listings.vocabulary import ListingStatus as S
from market.accounts.services import issue_api_token
from tests import factories as f


@pytest.fixture
def world(session):
    uni = f.organisation()
    other = f.organisation()
    operator = f.organisation(org_type="POINT_OPERATOR")
    return {"uni": uni, "point": f.point(operator), "uni_user": f.user(uni), "other_user": f.user(other),
            "operator_user": f.user(operator)}


def _auth(user) -> dict:
    return {"Authorization": "Bearer " + issue_api_token(user, "test")[1]}


def _offer(world, **overrides) -> dict:
    patent = f.patent(world["uni"])
    return {"application_number": patent.application_number, "point_id": world["point"].id,
            "modes": [DealMode.TRANSFER], "asking_price_fen": 12_000_000, **overrides}


def _create(client, world, **overrides):
    return client.post("/api/v1/listings", json=_offer(world, **overrides), headers=_auth(world["uni_user"]))


def test_creating_a_listing_needs_a_token(client, world):
    response = client.post("/api/v1/listings", json=_offer(world))
    assert response.status_code == 401
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_a_supplier_lists_its_patent_as_a_draft(client, world):
    response = _create(client, world, application_number="CN" + _offer(world)["application_number"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == S.DRAFT and body["organisation"] == world["uni"].name
    assert body["asking_price_fen"] == 12_000_000 and body["published_at"] is None


@pytest.mark.parametrize("price", [-1, 1.5, "100", True, 10**20],
                         ids=["negative", "float", "string", "bool", "huge"])
def test_a_price_that_is_not_whole_non_negative_fen_is_a_422_naming_it(client, world, price):
    response = _create(client, world, asking_price_fen=price)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and "asking_price_fen" in error["fields"]


def test_no_price_and_not_negotiable_is_refused_by_the_service(client, world):
    response = _create(client, world, asking_price_fen=None)
    error = response.get_json()["error"]
    assert response.status_code == 422 and error["fields"] == {"asking_price_fen": [error["message"]]}


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None], ids=["list", "string", "number", "null"])
def test_a_body_that_is_not_a_json_object_is_a_400(client, world, body):
    response = client.post("/api/v1/listings", json=body, headers=_auth(world["uni_user"]))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("overrides", [{"point_id": "1"}, {"point_id": True}, {"point_id": 10**30},
                                       {"modes": "TRANSFER"}, {"modes": ["BARTER"]}, {"maturity": "NEW"},
                                       {"price_negotiable": 1}],
                         ids=["point-string", "point-bool", "point-huge", "modes-string", "mode-unknown",
                              "maturity", "negotiable-number"])
def test_wrongly_typed_fields_are_a_422(client, world, overrides):
    response = _create(client, world, **overrides)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == set(overrides)


def test_a_draft_of_another_organisation_is_not_found(client, world):
    url = "/api/v1/listings/{}".format(_create(client, world).get_json()["id"])
    assert client.get(url, headers=_auth(world["other_user"])).status_code == 404
    assert client.get(url).status_code == 404
    assert client.get(url, headers=_auth(world["uni_user"])).status_code == 200
    assert client.get(url, headers=_auth(world["operator_user"])).status_code == 200


def test_an_id_beyond_any_row_is_a_404(client, world):
    assert client.get(f"/api/v1/listings/{10**30}").status_code == 404


def test_another_organisation_may_not_change_a_published_listing(client, world):
    listing = f.listing(world["uni"], world["point"])
    response = client.patch(f"/api/v1/listings/{listing.id}", json={"advantages": "改了"},
                            headers=_auth(world["other_user"]))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_owner"


def test_a_patch_changes_only_the_fields_it_names(client, world):
    listing = f.listing(world["uni"], world["point"])
    response = client.patch(f"/api/v1/listings/{listing.id}", json={"advantages": "成本低"},
                            headers=_auth(world["uni_user"]))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["advantages"] == "成本低" and body["status"] == S.PUBLISHED
    assert body["modes"] == [DealMode.TRANSFER, DealMode.LICENSE_ORDINARY]
    assert body["asking_price_fen"] == 5_000_000


def test_a_new_price_sends_a_published_listing_back_to_review(client, world):
    listing = f.listing(world["uni"], world["point"])
    response = client.patch(f"/api/v1/listings/{listing.id}", json={"asking_price_fen": 1},
                            headers=_auth(world["uni_user"]))
    assert response.get_json()["status"] == S.SUBMITTED


def test_a_listing_goes_through_review_to_the_shelf_and_back(client, world):
    owner, operator = _auth(world["uni_user"]), _auth(world["operator_user"])
    listing_id = _create(client, world).get_json()["id"]
    base = f"/api/v1/listings/{listing_id}"

    def act(action: str, headers: dict, **body):
        response = client.post(f"{base}/{action}", json=body or None, headers=headers)
        return response.get_json().get("status") or response.status_code

    assert act("submit", owner) == S.SUBMITTED
    assert act("review", owner, approve=True) == 403
    assert act("review", operator, approve=True) == S.PUBLISHED
    assert listing_id in [i["id"] for i in client.get("/api/v1/listings").get_json()["items"]]
    assert act("suspend", owner, reason="整改") == S.SUSPENDED
    assert act("resume", owner) == S.PUBLISHED
    assert act("withdraw", owner) == S.WITHDRAWN
    assert act("resume", owner) == 409


def test_rejecting_needs_a_note(client, world):
    listing_id = _create(client, world).get_json()["id"]
    base = f"/api/v1/listings/{listing_id}"
    client.post(base + "/submit", headers=_auth(world["uni_user"]))
    response = client.post(base + "/review", json={"approve": False}, headers=_auth(world["operator_user"]))
    assert response.status_code == 422
    assert "note" in response.get_json()["error"]["fields"]


def test_the_public_list_has_only_published_listings(client, world):
    published = f.listing(world["uni"], world["point"])
    f.listing(world["uni"], world["point"], published=False)
    body = client.get("/api/v1/listings?per_page=100").get_json()
    assert published.id in {i["id"] for i in body["items"]}
    assert {i["status"] for i in body["items"]} == {S.PUBLISHED}


def test_mine_lists_every_status_of_the_callers_organisation(client, world):
    published = f.listing(world["uni"], world["point"])
    draft = f.listing(world["uni"], world["point"], published=False)
    body = client.get("/api/v1/listings?mine=1", headers=_auth(world["uni_user"])).get_json()
    assert {i["id"] for i in body["items"]} == {published.id, draft.id}
    drafts = client.get("/api/v1/listings?mine=1&status=DRAFT", headers=_auth(world["uni_user"])).get_json()
    assert [i["id"] for i in drafts["items"]] == [draft.id]
    assert client.get("/api/v1/listings?mine=1", headers=_auth(world["other_user"])).get_json()["items"] == []


def test_mine_without_a_token_is_a_401(client, world):
    assert client.get("/api/v1/listings?mine=1").status_code == 401
