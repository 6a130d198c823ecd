"""What the API fuzzer found, one plain test per bug, with the input that showed it.

Each test calls the endpoint as the fuzzer did and validates the answer against the documented
schema with Schemathesis (`APIOperation.validate_response`), besides asserting the value itself.
"""

from __future__ import annotations

import pytest

from listings.vocabulary import DealMode
from market.accounts.services import issue_api_token
from market.core.extensions import db
from matching import services as matching
from tests import factories as f
from tests.fuzz.runner import load_schema

DEMAND = {"title": "需要耐高温的锂电池隔膜", "problem": "现有隔膜在高温下收缩，导致电池短路，需要耐高温隔膜技术。",
          "expected_outcome": "隔膜150℃不收缩", "existing_basis": "我司已有涂布产线（保密）",
          "budget_min_fen": 1_000_000, "budget_max_fen": 50_000_000, "modes": [DealMode.LICENSE_ORDINARY],
          "industries": [], "timeline": "一年内", "visibility": "PUBLIC"}


@pytest.fixture(scope="module")
def documented(app):
    """The API as /api/v1/openapi.json describes it (operations by path and method)."""
    return load_schema(app)


def _bearer(user) -> dict:
    return {"Authorization": "Bearer " + issue_api_token(user, "t")[1]}


@pytest.fixture
def enterprise(session):
    org = f.organisation("上海锂能科技有限公司", org_type="PRIVATE")
    return f.user(org)


@pytest.fixture
def bureau(session):
    return f.user(f.organisation(org_type="BUREAU"))


def test_a_demand_is_listed_with_a_utc_timestamp(client, documented, enterprise):
    # GET /api/v1/demands answered "created_at": "2026-11-21T18:24:02.011013", no offset: not an RFC 3339 date-time.
    matching.post_demand(enterprise, dict(DEMAND))
    db.session.commit()
    response = client.get("/api/v1/demands")
    assert response.status_code == 200
    (item,) = response.get_json()
    assert item["created_at"].endswith("+00:00")
    documented["/demands"]["GET"].validate_response(response)


def test_a_posted_demand_comes_back_with_a_utc_timestamp(client, documented, enterprise):
    # POST /api/v1/demands {"problem": "Payment ref.", "title": "Payment ref."} → 201 with a naive created_at.
    response = client.post("/api/v1/demands", json={"problem": "Payment ref.", "title": "Payment ref."},
                           headers=_bearer(enterprise))
    assert response.status_code == 201
    assert response.get_json()["created_at"].endswith("+00:00")
    documented["/demands"]["POST"].validate_response(response)


def test_a_deal_request_comes_back_with_a_utc_timestamp(client, documented, enterprise):
    # POST /api/v1/listings/1/requests {"mode": "EQUITY"} → 201 with a naive created_at.
    listing = f.listing(f.organisation(), f.point(), modes=[DealMode.EQUITY])
    db.session.commit()
    response = client.post(f"/api/v1/listings/{listing.id}/requests", json={"mode": "EQUITY"},
                           headers=_bearer(enterprise))
    assert response.status_code == 201
    assert response.get_json()["created_at"].endswith("+00:00")
    documented["/listings/{id}/requests"]["POST"].validate_response(response)


@pytest.mark.parametrize("reader", ["anonymous", "patentee"])
def test_another_organisations_demand_matches_its_documented_schema(client, documented, enterprise, reader):
    # GET /api/v1/demands/1 by anyone but its enterprise: no existing_basis (rightly), which the
    # document required; it now allows either shape.
    demand = matching.post_demand(enterprise, dict(DEMAND))
    headers = _bearer(f.user(f.organisation())) if reader == "patentee" else {}
    db.session.commit()
    response = client.get(f"/api/v1/demands/{demand.id}", headers=headers)
    assert response.status_code == 200
    assert "existing_basis" not in response.get_json()
    documented["/demands/{id}"]["GET"].validate_response(response)


def test_its_own_demand_shows_the_enterprise_its_existing_basis(client, documented, enterprise):
    demand = matching.post_demand(enterprise, dict(DEMAND))
    headers = _bearer(enterprise)
    db.session.commit()
    response = client.get(f"/api/v1/demands/{demand.id}", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["existing_basis"] == "我司已有涂布产线（保密）"
    documented["/demands/{id}"]["GET"].validate_response(response)


@pytest.mark.parametrize("body, field", [
    # A lone surrogate cannot be encoded as UTF-8: sqlite3 (and psycopg) raised, a 500 on every database.
    ('{"title": "ab\\ud800cd", "problem": "0123456789abc"}', "title"),
    # U+0000 was stored by SQLite but refused by PostgreSQL text: a 500 there only.
    ('{"title": "abcd", "problem": "0123456789abc\\u0000"}', "problem"),
])
def test_unstorable_text_in_a_body_is_refused_by_name(client, documented, enterprise, body, field):
    response = client.post("/api/v1/demands", data=body, content_type="application/json",
                           headers=_bearer(enterprise))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {field: ["含有无法保存的字符（空字符或不成对的代理码元）"]}
    documented["/demands"]["POST"].validate_response(response)


def test_unstorable_text_deep_in_a_body_is_refused_at_its_top_level_field(client, enterprise):
    # Nested keys and values count too: deal terms, for one, are kept as jsonb, which refuses \u0000.
    response = client.post("/api/v1/matches", json={"text": "锂电池隔膜", "filters": {"industry": ["新能源\x00"]}})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["filters"]


@pytest.mark.parametrize("page", [str(2**31), str(2**63), "0", "١٢"])
def test_a_statistics_page_out_of_range_is_a_400(client, documented, bureau, page):
    # GET /api/v1/statistics/deals?page=2147483648 overflowed PostgreSQL's integers (SQLite's at 2**63): a 500.
    headers = _bearer(bureau)
    db.session.commit()
    response = client.get("/api/v1/statistics/deals", query_string={"page": page}, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "statistics.page_invalid"
    assert list(response.get_json()["error"]["fields"]) == ["page"]
    documented["/statistics/deals"]["GET"].validate_response(response)


def test_the_last_statistics_page_is_answered(client, documented, bureau):
    headers = _bearer(bureau)
    db.session.commit()
    response = client.get("/api/v1/statistics/deals", query_string={"page": "10000"}, headers=headers)
    assert response.status_code == 200
    assert (response.get_json()["page"], response.get_json()["items"]) == (10000, [])
    documented["/statistics/deals"]["GET"].validate_response(response)
