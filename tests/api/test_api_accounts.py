"""Organisations, the caller's account and the chain's points on the JSON API."""

from __future__ import annotations

import pytest

from market.accounts.services import issue_api_token
from tests import factories as f


def _auth(user) -> dict:
    return {"Authorization": "Bearer " + issue_api_token(user, "test")[1]}


@pytest.fixture
def orgs(session):
    return {"uni": f.organisation(), "soe": f.organisation(org_type="SOE"),
            "pending": f.organisation(org_type="PRIVATE", approved=False)}


def test_only_approved_organisations_are_listed(client, orgs):
    body = client.get("/api/v1/organisations?per_page=100").get_json()
    ids = {o["id"] for o in body["items"]}
    assert {orgs["uni"].id, orgs["soe"].id} <= ids and orgs["pending"].id not in ids
    assert {o["status"] for o in body["items"]} == {"APPROVED"}


def test_organisations_can_be_filtered_by_type(client, orgs):
    body = client.get("/api/v1/organisations?org_type=SOE&per_page=100").get_json()
    assert orgs["soe"].id in {o["id"] for o in body["items"]}
    assert {(o["org_type"], o["soe_level"]) for o in body["items"]} == {("SOE", "MUNICIPAL")}


def test_an_unknown_organisation_type_is_a_400(client, orgs):
    response = client.get("/api/v1/organisations?org_type=ALIEN")
    assert response.status_code == 400 and response.get_json()["error"]["fields"] == {
        "org_type": [response.get_json()["error"]["message"]]}


def test_a_pending_organisation_is_visible_only_to_its_own_members(client, orgs):
    url = f"/api/v1/organisations/{orgs['pending'].id}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=_auth(f.user(orgs["uni"]))).status_code == 404
    response = client.get(url, headers=_auth(f.user(orgs["pending"])))
    assert response.status_code == 200 and response.get_json()["status"] == "PENDING"


def test_me_names_the_user_organisation_and_role(client, orgs):
    user = f.user(orgs["uni"], role="MEMBER")
    body = client.get("/api/v1/me", headers=_auth(user)).get_json()
    assert body["user"]["email"] == user.email and body["role"] == "MEMBER"
    assert body["organisation"]["name"] == orgs["uni"].name
    assert body["organisation"]["uscc"] == orgs["uni"].uscc


def test_me_without_a_token_is_a_401(client, session):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer psm_not-a-real-token"})
    assert response.status_code == 401


def test_points_carry_their_count_of_published_listings(client, orgs):
    busy, quiet = f.point(), f.point()
    f.listing(orgs["uni"], busy)
    f.listing(orgs["uni"], busy)
    f.listing(orgs["uni"], busy, published=False)
    counts = {p["id"]: p["published_listings"] for p in client.get("/api/v1/points").get_json()}
    assert counts[busy.id] == 2 and counts[quiet.id] == 0
    one = client.get(f"/api/v1/points/{busy.id}").get_json()
    assert one["published_listings"] == 2 and one["operator"] == busy.operator.name


def test_an_unknown_point_is_a_404(client, session):
    assert client.get("/api/v1/points/999999").status_code == 404
    assert client.get(f"/api/v1/points/{2**63}").status_code == 404


def test_a_token_still_works_after_the_client_chose_a_language(client, orgs):
    """The language lives in the session cookie; session protection must not refuse the token."""
    user = f.user(orgs["uni"])
    headers = _auth(user)
    assert client.get("/points?lang=en").status_code == 200
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200 and response.get_json()["user"]["email"] == user.email
