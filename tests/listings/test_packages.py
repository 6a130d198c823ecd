"""Patent packages (专利包, issue 14): one listing, one price, several patents of the same patentees."""

from __future__ import annotations

import pytest

from listings import packages, services
from listings.models import ListingPatent
from listings.vocabulary import DealMode
from listings.vocabulary import ListingStatus as S
from market.accounts.services import issue_api_token
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from tests import factories as f


@pytest.fixture
def world(session):
    uni = f.organisation("沪北理工大学")
    operator = f.organisation(org_type="POINT_OPERATOR")
    return {"uni": uni, "uni_user": f.user(uni), "point": f.point(operator), "operator_user": f.user(operator),
            "other": f.organisation("东海大学")}


def _offer(world, **kw) -> dict:
    return {"modes": [DealMode.TRANSFER], "asking_price_fen": 300_000_00, "point_id": world["point"].id, **kw}


def _package(world, n: int = 3):
    patents = [f.patent(world["uni"], title=f"电池隔膜技术{i}") for i in range(n)]
    return packages.create_package(world["uni_user"], patents, world["uni"], _offer(world)), patents


def test_a_package_is_one_listing_with_every_patent_in_order(world):
    listing, patents = _package(world)
    db.session.flush()
    assert listing.is_package and listing.members == patents
    assert listing.patent is patents[0] and listing.asking_price_fen == 300_000_00
    # Every member holds its one place on the shelf through the package.
    assert all(p.live_listing is listing for p in patents)


def test_a_member_cannot_be_listed_again_on_its_own_or_in_another_package(world):
    _, patents = _package(world)
    with pytest.raises(Conflict):
        services.create_listing(world["uni_user"], patents[1], world["uni"], _offer(world))
    with pytest.raises(Conflict) as err:
        packages.create_package(world["uni_user"], [f.patent(world["uni"]), patents[2]], world["uni"], _offer(world))
    assert patents[2].application_number in err.value.zh and "已在挂牌" in err.value.zh


def test_members_must_have_the_same_patentees(world):
    lead = f.patent(world["uni"])
    shared = f.patent(world["uni"], co_owners=[world["other"].name])
    with pytest.raises(DomainError) as err:
        packages.create_package(world["uni_user"], [lead, shared], world["uni"], _offer(world))
    assert "专利权人" in err.value.zh and err.value.en and err.value.field == "package_numbers"
    assert db.session.query(ListingPatent).count() == 0 and lead.live_listing is None


def test_a_package_needs_two_distinct_patents_of_the_lister(world):
    lead = f.patent(world["uni"])
    with pytest.raises(DomainError):
        packages.create_package(world["uni_user"], [lead], world["uni"], _offer(world))
    with pytest.raises(DomainError):
        packages.create_package(world["uni_user"], [lead, lead], world["uni"], _offer(world))
    theirs = f.patent(world["other"])
    with pytest.raises(DomainError) as err:
        packages.create_package(world["uni_user"], [lead, theirs], world["uni"], _offer(world))
    assert "不是" in err.value.zh


def test_a_package_cannot_be_an_open_licence(world):
    patents = [f.patent(world["uni"]), f.patent(world["uni"])]
    with pytest.raises(DomainError) as err:
        packages.create_package(world["uni_user"], patents, world["uni"], _offer(world, modes=[DealMode.OPEN_LICENSE]))
    assert err.value.code == "package_open_licence"


def test_a_package_is_refused_for_the_shelf_while_any_member_is_lapsed(world):
    listing, patents = _package(world)
    patents[2].legal_status = "LAPSED"
    with pytest.raises(Conflict) as err:
        services.submit_listing(world["uni_user"], listing)
    assert patents[2].application_number in err.value.zh


def test_a_published_package_is_suspended_when_a_member_lapses(world):
    listing, patents = _package(world)
    services.publish_without_review(listing, "test")
    patents[1].legal_status = "LAPSED"
    assert services.enforce_shelf_rules(patents[1]) == [listing]
    assert listing.status == S.SUSPENDED


def test_unknown_or_malformed_numbers_are_named_together(world):
    with pytest.raises(DomainError) as err:
        packages.stored_members([f.application_number(), "abc", f.patent(world["uni"]).application_number])
    assert "“abc”" in err.value.zh and "尚未在平台登记" in err.value.zh and "not on record" in err.value.en


# -- the listing form ---------------------------------------------------------------------------

def _form(world, lead, further: str) -> dict:
    return {"application_number": lead.application_number, "package_numbers": further, "modes": ["TRANSFER"],
            "asking_price_yuan": "300000", "point_id": str(world["point"].id)}


def test_the_listing_form_creates_a_package(client, world):
    lead, *rest = [f.patent(world["uni"]) for _ in range(3)]
    f.login(client, world["uni_user"])
    data = _form(world, lead, "\n".join(p.application_number for p in rest))
    response = client.post("/listings/new", data={**data, "csrf_token": f.csrf_token(client, "/listings/new")})
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = lead.live_listing
    assert listing.members == [lead, *rest]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "专利包：共 3 件专利" in page and rest[1].application_number in page
    assert "专利包不能整包开放许可" in page and "open-licence" not in page.split("专利包不能整包开放许可")[1][:200]


def test_the_form_keeps_what_was_typed_and_says_which_member_is_wrong(client, world):
    lead, theirs = f.patent(world["uni"]), f.patent(world["other"])
    f.login(client, world["uni_user"])
    data = _form(world, lead, theirs.application_number)
    response = client.post("/listings/new", data={**data, "csrf_token": f.csrf_token(client, "/listings/new")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert theirs.application_number in page and "不是" in page and 'value="300000"' in page
    assert lead.live_listing is None


# -- the JSON API ---------------------------------------------------------------------------

def _auth(user) -> dict:
    return {"Authorization": "Bearer " + issue_api_token(user, "test")[1]}


def test_the_api_creates_a_package_and_shows_its_members(client, world):
    lead, *rest = [f.patent(world["uni"]) for _ in range(3)]
    body = {"application_number": lead.application_number, "package_numbers": [p.application_number for p in rest],
            **_offer(world)}
    response = client.post("/api/v1/listings", json=body, headers=_auth(world["uni_user"]))
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert out["is_package"] is True
    assert [m["application_number"] for m in out["members"]] == [p.application_number for p in (lead, *rest)]


def test_the_api_refuses_a_member_already_listed_with_nothing_written(client, world):
    taken = f.listing(world["uni"], world["point"], published=False).patent
    lead = f.patent(world["uni"])
    body = {"application_number": lead.application_number, "package_numbers": [taken.application_number],
            **_offer(world)}
    response = client.post("/api/v1/listings", json=body, headers=_auth(world["uni_user"]))
    assert response.status_code == 409
    assert "已在挂牌" in response.get_json()["error"]["message"]
    assert lead.live_listing is None
