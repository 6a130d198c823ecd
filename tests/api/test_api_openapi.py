"""/api/v1/openapi.json: complete, well-formed, and true to what the endpoints answer."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.outbox import process_outbox
from market.web.openapi import openapi_path
from tests import factories as f

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "number": (int, float)}




def conforms(value, schema: dict, doc: dict, where: str = "$") -> list[str]:
    """Problems of `value` against an OpenAPI 3.0 schema (the subset this API uses)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return conforms(value, doc["components"]["schemas"][name], doc, where)
    if value is None:
        return [] if schema.get("nullable") or not schema else [f"{where}: null but not nullable"]
    problems = []
    kind = schema.get("type")
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: {value!r} is not an integer"]
    elif kind and (not isinstance(value, TYPES[kind]) or (kind != "boolean" and isinstance(value, bool))):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date":
        date.fromisoformat(value)
    if schema.get("format") == "date-time" and datetime.fromisoformat(value).tzinfo is None:
        problems.append(f"{where}: {value!r} has no time zone")
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{where}: {value} below {schema['minimum']}")
    if kind == "object":
        problems += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key, schema.get("additionalProperties", {}))
            problems += conforms(item, sub if isinstance(sub, dict) else {}, doc, f"{where}.{key}")
    if kind == "array":
        for i, item in enumerate(value):
            problems += conforms(item, schema.get("items", {}), doc, f"{where}[{i}]")
    return problems


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_the_document_is_openapi_3_0(doc):
    assert doc["openapi"] == "3.0.3" and doc["info"]["title"]
    assert doc["servers"][0]["url"] == "/api/v1"
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_api_route_is_documented_with_its_methods(app, doc):
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path, params = openapi_path(rule.rule.removeprefix("/api/v1"))
            served.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                op = doc["paths"].get(path, {}).get(method.lower())
                assert op is not None, (method, rule.rule)
                in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
                assert in_path == set(rule.arguments), rule.rule
    assert {path: set(item) for path, item in doc["paths"].items()} == served


def test_an_integer_path_parameter_is_an_integer_and_a_number_a_string(doc):
    (listing_id,) = doc["paths"]["/listings/{id}"]["get"]["parameters"]
    assert listing_id["schema"]["type"] == "integer" and listing_id["required"] is True
    (app_no,) = doc["paths"]["/patents/{app_no}"]["get"]["parameters"]
    assert app_no["schema"]["type"] == "string"


def test_every_operation_has_a_success_and_the_error_responses(doc):
    operation_ids = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            operation_ids.append(op["operationId"])
            codes = set(op["responses"])
            assert codes & {"200", "201"}, (method, path)
            if path in ("/openapi.json", "/docs"):
                continue
            assert {"400", "429"} <= codes, (method, path)
            for code in codes - {"200", "201"}:
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
            if op.get("security") == [{"bearerAuth": []}]:
                assert "401" in codes
    assert len(operation_ids) == len(set(operation_ids))


def test_every_reference_resolves(doc):
    text = json.dumps(doc)
    for name in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in doc["components"]["schemas"], name


def test_the_search_parameters_and_bodies_are_described(doc):
    params = {p["name"]: p for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert params["sort"]["schema"]["enum"] == ["relevance", "newest", "price_asc", "price_desc"]
    assert params["industry"]["schema"]["type"] == "array" and params["industry"]["explode"] is True
    body = doc["components"]["schemas"]["ListingInput"]
    assert set(body["required"]) == {"application_number", "point_id"}
    assert body["properties"]["asking_price_fen"]["minimum"] == 0
    assert body["properties"]["maturity"]["nullable"] is True
    assert doc["paths"]["/listings"]["post"]["security"] == [{"bearerAuth": []}]


def _response_schema(doc, path: str, method: str, status: int) -> dict:
    return doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def test_real_answers_match_their_documented_schemas(client, doc, session):
    uni = f.organisation()
    operator = f.organisation(org_type="POINT_OPERATOR")
    point = f.point(operator)
    listing = f.listing(uni, point, price_fen=None)
    f.listing(uni, point, published=False)
    db.session.commit()  # outbox rows are written at commit
    process_outbox()
    token = {"Authorization": "Bearer " + issue_api_token(f.user(uni), "t")[1]}
    calls = [
        ("/search", "/search?q=锂电池", {}), ("/listings", "/listings?mine=1", token),
        ("/listings/{id}", f"/listings/{listing.id}", {}),
        ("/patents/{app_no}", f"/patents/{listing.patent.application_number}", {}),
        ("/patents", "/patents", {}), ("/organisations", "/organisations", {}),
        ("/organisations/{id}", f"/organisations/{uni.id}", {}), ("/me", "/me", token),
        ("/points", "/points", {}), ("/points/{id}", f"/points/{point.id}", {}),
    ]
    for path, url, headers in calls:
        response = client.get("/api/v1" + url, headers=headers)
        assert response.status_code == 200, (url, response.get_json())
        body = response.get_json()
        assert body and conforms(body, _response_schema(doc, path, "get", 200), doc) == [], url
    error = client.get("/api/v1/search?sort=bad")
    assert conforms(error.get_json(), _response_schema(doc, "/search", "get", 400), doc) == []


def test_the_search_facets_are_documented_as_value_and_count_lists(client):
    """FacetCounts writes the pairs itself; the description still shows their shape."""
    spec = client.get("/api/v1/openapi.json").get_json()
    facets = spec["components"]["schemas"]["SearchResult"]["properties"]["facets"]
    assert facets["additionalProperties"]["type"] == "array"
    assert facets["additionalProperties"]["items"]["$ref"].endswith("/FacetCount")
