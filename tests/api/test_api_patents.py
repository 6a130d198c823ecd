"""Patents on the JSON API: lookup by any number form, listing by owner, registration."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from listings.models import Patent
from listings.numbers import check_character
from market.accounts.services import issue_api_token
from market.core.extensions import db
from tests import factories as f


@pytest.fixture
def uni(session):
    return f.organisation()


@pytest.fixture
def patent(uni):
    return f.patent(uni)


def _auth(user) -> dict:
    return {"Authorization": "Bearer " + issue_api_token(user, "test")[1]}


def _variants(number: str) -> list[str]:
    digits, check = number.split(".")
    spaced = f"{digits[:4]} {digits[4]} {digits[5:]}.{check}"
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    return [number, digits + check, "CN" + number, "ZL" + number, "zl" + number, "ZL " + spaced, wide]


def test_a_patent_is_found_by_every_usual_form_of_its_number(client, patent):
    for form in _variants(patent.application_number):
        response = client.get("/api/v1/patents/" + quote(form))
        assert response.status_code == 200, form
        body = response.get_json()
        assert body["application_number"] == patent.application_number
        assert body["owners"] == [{"position": 1, "name": patent.owners[0].name,
                                   "organisation_id": patent.owners[0].organisation_id}]


def test_a_wrong_check_character_is_a_400_naming_the_right_one(client, patent):
    digits, right = patent.application_number.split(".")
    wrong = "X" if right != "X" else "0"
    response = client.get(f"/api/v1/patents/{digits}.{wrong}?lang=en")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "apn_check"
    assert f"should be {right} ({digits}.{right})" in error["message"]
    assert error["fields"] == {"application_number": [error["message"]]}


def test_a_missing_check_character_is_a_400_giving_the_whole_number(client, patent):
    digits, right = patent.application_number.split(".")
    response = client.get(f"/api/v1/patents/{digits}")
    assert response.status_code == 400
    assert f"{digits}.{right}" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("raw", ["12345", "abc", "٢٠٢٠١٠١٢٣٤٥٦.٢"],
                         ids=["short", "letters", "arabic-digits"])
def test_a_malformed_number_is_a_400(client, raw):
    response = client.get("/api/v1/patents/" + quote(raw))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"].startswith("apn_")


def test_an_unknown_valid_number_is_a_404(client, session):
    digits = "202010999999"
    response = client.get(f"/api/v1/patents/{digits}.{check_character(digits)}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "patent_not_found"


def test_patents_can_be_listed_by_owner_organisation(client, uni, patent):
    f.patent(f.organisation())
    body = client.get(f"/api/v1/patents?owner={uni.id}").get_json()
    assert [p["application_number"] for p in body["items"]] == [patent.application_number]
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)


def _new_patent_body(**overrides) -> dict:
    return {"application_number": f.application_number(2021), "title": "一种智能灌溉控制系统",
            "abstract": "根据土壤湿度自动控制灌溉。", "filing_date": "2021-04-01",
            "ipc": ["A01G 25/16"], **overrides}


def test_a_supplier_registers_a_patent_and_becomes_its_owner(client, uni):
    response = client.post("/api/v1/patents", json=_new_patent_body(owners=["合作企业有限公司"]),
                           headers=_auth(f.user(uni)))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [o["name"] for o in body["owners"]] == ["合作企业有限公司", uni.name]
    assert body["patent_type"] == "INVENTION" and body["ipc_all"] == ["A01G 25/16"]
    assert body["legal_status"] == "PENDING"


def test_registering_needs_a_token(client, session):
    response = client.post("/api/v1/patents", json=_new_patent_body())
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorised"


def test_a_point_operator_cannot_register_patents(client, session):
    operator = f.organisation(org_type="POINT_OPERATOR")
    response = client.post("/api/v1/patents", json=_new_patent_body(), headers=_auth(f.user(operator)))
    assert response.status_code == 403


def test_a_patentee_updates_its_patent_and_keeps_its_owners(client, uni, patent):
    body = _new_patent_body(application_number="ZL" + patent.application_number, title="新的名称",
                            owners=["别人"], filing_date=patent.filing_date.isoformat())
    response = client.post("/api/v1/patents", json=body, headers=_auth(f.user(uni)))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "新的名称"
    assert [o["name"] for o in response.get_json()["owners"]] == [uni.name]


def test_another_organisation_cannot_overwrite_a_registered_patent(client, patent):
    other = f.user(f.organisation())
    body = _new_patent_body(application_number=patent.application_number, title="抢注",
                            filing_date=patent.filing_date.isoformat())
    response = client.post("/api/v1/patents", json=body, headers=_auth(other))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_patentee"
    db.session.expire_all()
    assert db.session.get(Patent, patent.id).title != "抢注"


@pytest.mark.parametrize("overrides, field", [
    ({"application_number": "202110555555.0"}, "application_number"),  # the right one is 2
    ({"ipc": ["HH01"]}, "ipc"),
    ({"filing_date": "2999-01-01"}, "filing_date"),
    ({"title": "   "}, "title"),
    ({"patent_type": "DESIGN"}, "application_number"),
    ({"owners": "一家公司"}, "owners"),
    ({"application_number": "２٠٢١١٠٥٥٥٥٥٥.٥"}, "application_number"),
], ids=["check-char", "ipc", "future-date", "blank-title", "type-mismatch", "owners-not-list",
        "arabic-digits"])
def test_bad_bibliographic_data_is_a_422_naming_the_field(client, uni, overrides, field):
    response = client.post("/api/v1/patents", json=_new_patent_body(**overrides), headers=_auth(f.user(uni)))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_the_openapi_document_describes_what_the_register_has_not_confirmed(client):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    patent = next(s for name, s in schema.items() if name.startswith("Patent") and "unconfirmed" in s.get("properties", {}))
    assert {"owners_source", "legal_status_source", "dates_source", "register_checked_at"} <= set(patent["properties"])
    assert "待国知局登记簿核实" in patent["properties"]["unconfirmed"]["description"]


def test_the_patent_page_marks_what_only_a_user_typed_as_unconfirmed(client, uni):
    typed = f.patent(uni, register_checked=None)
    confirmed = f.patent(uni)
    f.login(client, f.user(uni))
    assert "待国知局登记簿核实" in client.get(f"/patents/{typed.application_number}").get_data(as_text=True)
    assert "待国知局登记簿核实" not in client.get(f"/patents/{confirmed.application_number}").get_data(as_text=True)
    english = client.get(f"/patents/{typed.application_number}?lang=en").get_data(as_text=True)
    assert "awaiting the CNIPA register" in english
