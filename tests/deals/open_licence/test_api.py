"""Open licences on the JSON API: the announced declarations, and taking one."""

from __future__ import annotations

import json
from datetime import timedelta

from market.accounts.services import issue_api_token
from market.core.time import add_months, today_local
from market.deals.open_licence import declarations as ol
from market.deals.open_licence import extras
from market.deals.open_licence.acquisition import existing_licence
from tests.api.test_api_openapi import conforms
from tests.deals.open_licence import world as wb


def _auth(user) -> dict:
    return {"Authorization": "Bearer " + issue_api_token(user, "test")[1]}


def test_the_announced_declarations_are_listed(client, session):
    w = wb.world()
    decl = wb.announced(w)
    wb.draft(wb.world())  # drafts are not published
    body = client.get("/api/v1/open-licences").get_json()
    assert body["total"] == 1 and [d["id"] for d in body["items"]] == [decl.id]
    item = body["items"][0]
    assert item["patent_no"] == w.patent.patent_no and item["fee_terms"] == {**decl.fee_terms}
    assert item["fee_description"] == "一次总算、一次总付50,000.00元"
    assert item["announce_date"] == today_local().isoformat() and item["gazette_issue"] == wb.GAZETTE


def test_taking_by_api_returns_the_licence_then_the_same_one(client, session):
    w = wb.world()
    decl = wb.announced(w)
    headers = _auth(w.buyer_user)
    first = client.post(f"/api/v1/open-licences/{decl.id}/take", headers=headers)
    assert first.status_code == 201, first.get_json()
    licence = first.get_json()
    assert licence["status"] == "PAYMENT_PENDING" and licence["buyer_org_id"] == w.buyer.id
    assert [(p["kind"], p["amount_fen"], p["status"]) for p in licence["payments"]] == [("LUMP_SUM", 5_000_000, "DUE")]
    assert licence["links"]["contract_pdf"] == f"/deals/{licence['id']}/contract.pdf"
    second = client.post(f"/api/v1/open-licences/{decl.id}/take", headers=headers)
    assert second.status_code == 200 and second.get_json()["id"] == licence["id"]
    assert len(second.get_json()["payments"]) == 1


def test_taking_by_api_needs_a_token(client, session):
    w = wb.world()
    decl = wb.announced(w)
    assert client.post(f"/api/v1/open-licences/{decl.id}/take").status_code == 401


def test_a_withdrawn_licence_is_refused_by_api_with_409(client, session):
    w = wb.world()
    decl = wb.announced(w, on=today_local() - timedelta(days=10))
    ol.record_withdrawal_request(w.uni_user, decl, today_local() - timedelta(days=1))
    ol.record_withdrawal(w.uni_user, decl, today_local())
    response = client.post(f"/api/v1/open-licences/{decl.id}/take", headers=_auth(w.buyer_user))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "open_licence.withdrawn"
    assert client.post("/api/v1/open-licences/424242/take", headers=_auth(w.buyer_user)).status_code == 404


def test_the_answers_match_the_openapi_document(client, session):
    doc = json.loads(client.get("/api/v1/openapi.json").get_data(as_text=True))
    w = wb.world()
    decl = wb.announced(w, {"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "3"})
    listing = client.get("/api/v1/open-licences")
    schema = doc["paths"]["/open-licences"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert conforms(listing.get_json(), schema, doc) == []
    taken = client.post(f"/api/v1/open-licences/{decl.id}/take", headers=_auth(w.buyer_user))
    op = doc["paths"]["/open-licences/{declaration_id}/take"]["post"]
    assert op["security"] == [{"bearerAuth": []}] and {"401", "404", "409"} <= set(op["responses"])
    assert conforms(taken.get_json(), op["responses"]["201"]["content"]["application/json"]["schema"], doc) == []
    assert taken.get_json()["filing_deadline"] == add_months(today_local(), 3).isoformat()


def _offer_training(w, decl):
    return extras.offer_service(w.uni_user, decl, {"kind": "TRAINING", "description": "现场培训", "unit": "人天",
                                                   "unit_price_fen": 300_000, "max_quantity": 5})


def test_the_declaration_lists_its_services_in_fen(client, session):
    w = wb.world()
    decl = wb.announced(w)
    training = _offer_training(w, decl)
    (item,) = client.get("/api/v1/open-licences").get_json()["items"]
    assert item["services"] == [{"id": training.id, "kind": "TRAINING", "description": "现场培训", "unit": "人天",
                                 "unit_price_fen": 300_000, "max_quantity": 5}]


def test_taking_by_api_with_services_snapshots_them_apart_from_the_fee(client, session):
    w = wb.world()
    decl = wb.announced(w)
    training = _offer_training(w, decl)
    response = client.post(f"/api/v1/open-licences/{decl.id}/take", headers=_auth(w.buyer_user),
                           json={"services": [{"id": training.id, "quantity": 2}]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["price_fen"] == 5_000_000
    assert body["services"] == [{"service_id": training.id, "kind": "TRAINING", "description": "现场培训",
                                 "unit": "人天", "unit_price_fen": 300_000, "quantity": 2, "amount_fen": 600_000}]
    assert sorted((p["kind"], p["amount_fen"]) for p in body["payments"]) == [("LUMP_SUM", 5_000_000),
                                                                              ("SERVICE_FEE", 600_000)]
    doc = json.loads(client.get("/api/v1/openapi.json").get_data(as_text=True))
    op = doc["paths"]["/open-licences/{declaration_id}/take"]["post"]
    assert op["requestBody"]["required"] is False
    assert conforms(body, op["responses"]["201"]["content"]["application/json"]["schema"], doc) == []
    listing = client.get("/api/v1/open-licences")
    schema = doc["paths"]["/open-licences"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert conforms(listing.get_json(), schema, doc) == []


def test_the_api_refuses_bad_service_choices_and_takes_nothing(client, session):
    w = wb.world()
    decl = wb.announced(w)
    training = _offer_training(w, decl)
    url = f"/api/v1/open-licences/{decl.id}/take"
    for body in ({"services": [{"id": training.id, "quantity": 6}]},      # above the offer's maximum
                 {"services": [{"id": training.id, "quantity": -1}]},
                 {"services": [{"id": training.id, "quantity": "2"}]},    # not a JSON integer
                 {"services": [{"id": 99_999, "quantity": 1}]},
                 {"services": [{"id": training.id, "quantity": 1}, {"id": training.id, "quantity": 1}]}):
        response = client.post(url, headers=_auth(w.buyer_user), json=body)
        assert response.status_code in (400, 422), (body, response.get_json())
        assert "error" in response.get_json()
    assert existing_licence(decl.id, w.buyer.id) is None
