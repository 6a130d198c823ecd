"""Negotiated deals on the JSON API: request, offer, accept, sign, file, void; who may see what."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.time import today_local
from tests.api.test_api_openapi import conforms
from tests.deals.negotiation_world import world


@pytest.fixture
def w(session):
    w = world(price_fen=None)
    w.tokens = {name: {"Authorization": "Bearer " + issue_api_token(getattr(w, name), "t")[1]}
                for name in ("buyer", "seller", "stranger", "bureau")}
    db.session.commit()
    return w


def call(client, method, url, headers, body=None):
    response = client.open("/api/v1" + url, method=method, headers=headers,
                           data=json.dumps(body) if body is not None else None, content_type="application/json")
    return response.status_code, response.get_json()


def test_a_licence_through_the_api(client, w):
    start, end = today_local().isoformat(), w.patent.last_protected_day.isoformat()
    status, body = call(client, "POST", "/deals", w.tokens["buyer"], {
        "listing_id": w.listing.id, "kind": "LICENSE_EXCLUSIVE", "message": "独占许可",
        "terms": {"price_fen": 5_000_000, "start_date": start, "end_date": end}})
    assert status == 201, body
    deal_id = body["id"]
    assert (body["status"], body["kind"], body["offers"][0]["price_fen"]) == ("NEGOTIATING", "LICENSE_EXCLUSIVE", 5_000_000)
    status, body = call(client, "POST", f"/deals/{deal_id}/offers", w.tokens["seller"], {
        "price_fen": 6_000_000, "start_date": start, "end_date": end, "message": "还价"})
    assert status == 201 and [o["status"] for o in body["offers"]] == ["SUPERSEDED", "OPEN"]
    counter = body["offers"][-1]["id"]
    status, body = call(client, "POST", f"/deals/{deal_id}/accept", w.tokens["seller"], {"offer_id": counter})
    assert status == 409 and body["error"]["code"] == "deal.own_offer"
    status, body = call(client, "POST", f"/deals/{deal_id}/accept", w.tokens["buyer"], {"offer_id": counter})
    assert status == 200 and body["status"] == "AGREED" and body["price_fen"] == 6_000_000
    sha = body["contract"]["sha256"]
    status, body = call(client, "POST", f"/deals/{deal_id}/sign", w.tokens["buyer"], {"sha256": sha})
    assert status == 200 and body["status"] == "AGREED" and body["contract"]["signed_by"] == ["buyer"]
    status, body = call(client, "POST", f"/deals/{deal_id}/sign", w.tokens["seller"], {"sha256": sha})
    assert status == 200 and body["status"] == "SIGNED" and body["payments"][0]["amount_fen"] == 6_000_000
    status, body = call(client, "POST", f"/deals/{deal_id}/filing", w.tokens["seller"],
                        {"record_no": "2025310000001", "filing_date": start})
    assert status == 200 and body["status"] == "FILED" and body["filing_record_no"] == "2025310000001"
    assert [line["kind"] for line in body["ledger"]] == [
        "REQUESTED", "OFFER", "OFFER", "ACCEPTED", "MESSAGE", "SIGNATURE", "PAYMENT_DUE", "FILING"]
    status, listed = call(client, "GET", "/deals", w.tokens["buyer"])
    assert status == 200 and [d["id"] for d in listed] == [deal_id]


def test_answers_match_the_openapi_document(client, w):
    doc = client.get("/api/v1/openapi.json").get_json()
    status, body = call(client, "POST", "/deals", w.tokens["buyer"], {"listing_id": w.listing.id, "kind": "EQUITY",
                                                                        "terms": {"price_fen": 100, "share_pct": "5"}})
    assert status == 201
    schema = doc["paths"]["/deals/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    status, one = call(client, "GET", f"/deals/{body['id']}", w.tokens["seller"])
    assert status == 200 and conforms(one, schema, doc) == []
    many = doc["paths"]["/deals"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert conforms(call(client, "GET", "/deals", w.tokens["buyer"])[1], many, doc) == []
    assert doc["paths"]["/deals"]["post"]["security"] == [{"bearerAuth": []}]


def test_a_deal_is_a_404_to_others_and_the_token_is_required(client, w):
    status, body = call(client, "POST", "/deals", w.tokens["buyer"], {"listing_id": w.listing.id, "kind": "TRANSFER"})
    deal_id = body["id"]
    assert call(client, "GET", f"/deals/{deal_id}", w.tokens["stranger"])[0] == 404
    assert call(client, "POST", f"/deals/{deal_id}/void", w.tokens["stranger"], {"reason": "x"})[0] == 404
    assert call(client, "GET", f"/deals/{deal_id}", {})[0] == 401
    assert call(client, "GET", "/deals/99999999999", w.tokens["buyer"])[0] == 404
    # The bureau sees it and may void it; nobody may void twice.
    status, body = call(client, "POST", f"/deals/{deal_id}/void", w.tokens["bureau"], {"reason": "重复"})
    assert status == 200 and body["status"] == "VOID" and body["ledger"][-1]["kind"] == "VOID"
    assert call(client, "POST", f"/deals/{deal_id}/void", w.tokens["buyer"], {"reason": "再来"})[0] == 409


@pytest.mark.parametrize("body, status, field", [
    ({"kind": "TRANSFER"}, 422, "listing_id"),
    ({"listing_id": 1, "kind": "OPEN_LICENSE"}, 422, "kind"),
    ({"listing_id": 99999, "kind": "TRANSFER"}, 404, "listing_id"),
])
def test_bad_requests_get_the_error_shape(client, w, body, status, field):
    got, answer = call(client, "POST", "/deals", w.tokens["buyer"], body)
    assert got == status and field in answer["error"].get("fields", {})


def test_a_licence_past_the_patent_term_is_a_422(client, w):
    late = (w.patent.last_protected_day + timedelta(days=1)).isoformat()
    status, body = call(client, "POST", "/deals", w.tokens["buyer"], {
        "listing_id": w.listing.id, "kind": "LICENSE_SOLE",
        "terms": {"price_fen": 1, "start_date": today_local().isoformat(), "end_date": late}})
    assert status == 422 and body["error"]["code"] == "deal.term_beyond_patent"
    assert "end_date" in body["error"]["fields"]


def test_a_change_made_meanwhile_is_a_409_not_a_500(client, w, monkeypatch):
    status, body = call(client, "POST", "/deals", w.tokens["buyer"], {
        "listing_id": w.listing.id, "kind": "TRANSFER", "terms": {"price_fen": 100}})
    deal_id = body["id"]
    from market.deals.models import Deal
    from market.deals.negotiation import requests

    checked = requests.require_patent_fit

    def someone_else_writes(kind, patent, today=None):
        # Another request's write bumps the deal's version between this one's read and its write.
        db.session.execute(Deal.__table__.update().where(Deal.id == deal_id).values(version=Deal.version + 1))
        return checked(kind, patent, today)

    monkeypatch.setattr(requests, "require_patent_fit", someone_else_writes)
    status, body = call(client, "POST", f"/deals/{deal_id}/accept", w.tokens["seller"], {})
    assert status == 409 and body["error"]["code"] == "deal.changed"
    monkeypatch.undo()
    assert call(client, "GET", f"/deals/{deal_id}", w.tokens["seller"])[1]["status"] == "NEGOTIATING"


def test_a_paid_transfer_ends_through_the_api_only_by_a_confirmed_rescission(client, w):
    status, body = call(client, "POST", "/deals", w.tokens["buyer"], {
        "listing_id": w.listing.id, "kind": "TRANSFER", "message": "受让", "terms": {"price_fen": 2_000_000}})
    deal_id = body["id"]
    offer = body["offers"][-1]["id"]
    status, body = call(client, "POST", f"/deals/{deal_id}/accept", w.tokens["seller"], {"offer_id": offer})
    sha = body["contract"]["sha256"]
    for side in ("seller", "buyer"):
        status, body = call(client, "POST", f"/deals/{deal_id}/sign", w.tokens[side], {"sha256": sha})
    assert status == 200 and body["status"] == "SIGNED" and body["contract"]["signed_by"] == ["seller", "buyer"]
    status, body = call(client, "POST", f"/deals/{deal_id}/registration", w.tokens["buyer"],
                        {"registered_on": today_local().isoformat(), "registration_no": "ZR2025000777"})
    assert status == 409  # not submitted to CNIPA yet: the state is said first
    status, body = call(client, "POST", f"/deals/{deal_id}/ending", w.tokens["buyer"],
                        {"ground": "AGREED_RESCISSION", "explanation": "双方协商一致解除", "refund_fen": 0})
    assert status == 200 and body["status"] == "SIGNED"
    status, body = call(client, "POST", f"/deals/{deal_id}/ending/answer", w.tokens["buyer"], {"accept": True})
    assert status == 403 and body["error"]["code"] == "deal.ending_own_proposal"
    status, body = call(client, "POST", f"/deals/{deal_id}/ending/answer", w.tokens["seller"], {"accept": True})
    assert status == 200 and body["status"] == "TERMINATED"
    assert body["ledger"][-1]["kind"] == "TERMINATED"
