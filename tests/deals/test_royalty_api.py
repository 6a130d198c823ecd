"""Royalties and the dashboard on the JSON API: same rules as the pages, documented answers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.time import add_months, today_local
from tests import factories as f
from tests.api.test_api_openapi import conforms
from tests.deals import royalty_builders as rb


@pytest.fixture
def setup(app):
    with app.test_request_context():
        p = rb.parties()
        start = add_months(today_local(), -7)
        d = rb.deal(p, start=start, end=add_months(start, 36) - timedelta(days=1), reference="PSM-2026-L-9")
        tokens = {who: {"Authorization": "Bearer " + issue_api_token(user, "t")[1]}
                  for who, user in (("licensee", p.licensee_user), ("licensor", p.licensor_user),
                                    ("outsider", f.user(f.organisation(org_type="PRIVATE"))))}
        db.session.commit()
        return {"deal_id": d.id, "start": start, "tokens": tokens}


@pytest.fixture
def doc(client):
    return json.loads(client.get("/api/v1/openapi.json").get_data(as_text=True))


def _schema(doc, path, method, status):
    return doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def _file(client, setup, who="licensee", **body):
    body = {"period_start": setup["start"].isoformat(), "base_amount_fen": 1_000_001, **body}
    return client.post(f"/api/v1/deals/{setup['deal_id']}/royalty-reports", json=body,
                       headers=setup["tokens"][who])


def test_file_list_confirm_through_the_api_match_the_documented_schemas(client, setup, doc):
    filed = _file(client, setup, note="Q1")
    assert filed.status_code == 201, filed.get_json()
    report = filed.get_json()
    # 1,000,001 fen × 5 % = 50,000.05 → 50,000
    assert (report["amount_due_fen"], report["status"], report["payment_status"]) == (50_000, "SUBMITTED", "DUE")
    path = "/deals/{deal_id}/royalty-reports"
    assert conforms(report, _schema(doc, path, "post", 201), doc) == []
    listing = client.get(f"/api/v1/deals/{setup['deal_id']}/royalty-reports", headers=setup["tokens"]["licensor"])
    overview = listing.get_json()
    assert listing.status_code == 200 and conforms(overview, _schema(doc, path, "get", 200), doc) == []
    assert overview["reported_due_fen"] == 50_000 and overview["periods"][0]["report_id"] == report["id"]
    assert overview["reports"] == [report]
    assert overview["periods"][2]["report_id"] is None and overview["periods"][2]["report_overdue"] is False
    confirm = client.post(f"/api/v1/deals/{setup['deal_id']}/royalty-reports/{report['id']}/confirm",
                          headers=setup["tokens"]["licensor"])
    assert confirm.status_code == 200 and confirm.get_json()["status"] == "CONFIRMED"
    again = client.post(f"/api/v1/deals/{setup['deal_id']}/royalty-reports/{report['id']}/confirm",
                        headers=setup["tokens"]["licensor"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "royalty.already_answered"


@pytest.mark.parametrize("body, status, code", [
    ({"base_amount_fen": -1}, 422, "validation_failed"),
    ({"base_amount_fen": 10.5}, 422, "validation_failed"),
    ({"period_start": "2099-01-01"}, 422, "royalty.period_unknown"),
])
def test_bad_reports_are_refused(client, setup, body, status, code):
    response = _file(client, setup, **body)
    assert response.status_code == status and response.get_json()["error"]["code"] == code


def test_a_period_not_yet_ended_and_a_second_report_are_refused(client, setup):
    running = add_months(setup["start"], 6)
    response = _file(client, setup, period_start=running.isoformat())
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "royalty.period_not_ended"
    assert _file(client, setup).status_code == 201
    twice = _file(client, setup)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "royalty.already_reported"


def test_who_may_file_and_answer(client, setup):
    assert _file(client, setup, who="outsider").status_code == 404
    assert client.get(f"/api/v1/deals/{setup['deal_id']}/royalty-reports",
                      headers=setup["tokens"]["outsider"]).status_code == 404
    assert _file(client, setup, who="licensor").status_code == 403
    report_id = _file(client, setup).get_json()["id"]
    url = f"/api/v1/deals/{setup['deal_id']}/royalty-reports/{report_id}"
    assert client.post(f"{url}/confirm", headers=setup["tokens"]["licensee"]).status_code == 403
    assert client.post(f"{url}/confirm", headers=setup["tokens"]["outsider"]).status_code == 404
    assert client.post(f"{url}/confirm").status_code == 401


def test_dispute_needs_a_reason_and_the_licensee_corrects(client, setup):
    report_id = _file(client, setup).get_json()["id"]
    url = f"/api/v1/deals/{setup['deal_id']}/royalty-reports/{report_id}/dispute"
    blank = client.post(url, json={"reason": "  "}, headers=setup["tokens"]["licensor"])
    assert blank.status_code == 422 and "reason" in blank.get_json()["error"]["fields"]
    disputed = client.post(url, json={"reason": "漏报"}, headers=setup["tokens"]["licensor"])
    assert disputed.get_json()["status"] == "DISPUTED" and disputed.get_json()["dispute_reason"] == "漏报"
    corrected = _file(client, setup, base_amount_fen=3_000_000)
    assert corrected.status_code == 201
    body = corrected.get_json()
    assert (body["id"], body["status"], body["amount_due_fen"]) == (report_id, "SUBMITTED", 150_000)


def test_dashboard_api_lists_actions_and_deadlines(client, setup, doc):
    response = client.get("/api/v1/dashboard", headers=setup["tokens"]["licensee"])
    body = response.get_json()
    assert response.status_code == 200 and conforms(body, _schema(doc, "/dashboard", "get", 200), doc) == []
    assert body["actions"][0]["code"] == "REPORT_ROYALTY" and body["actions"][0]["deal_reference"] == "PSM-2026-L-9"
    assert body["deals"] == {"seller": {}, "buyer": {"FILED": 1}}
    assert [d["kind"] for d in body["deadlines"]][:2] == ["ROYALTY_REPORT", "ROYALTY_REPORT"]
    _file(client, setup)
    seller = client.get("/api/v1/dashboard?lang=en", headers=setup["tokens"]["licensor"]).get_json()
    assert [a["code"] for a in seller["actions"]] == ["ANSWER_ROYALTY"]
    assert seller["actions"][0]["title"] == "Confirm or dispute 1 royalty report(s)"
    assert client.get("/api/v1/dashboard").status_code == 401
