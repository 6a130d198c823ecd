"""Organisation registration, approval, passwords and API tokens."""

from __future__ import annotations

import re

import pytest
from werkzeug import security

from market.accounts import services
from market.accounts.auth import password_matches, token_digest
from market.core.errors import Conflict, DomainError, Forbidden
from tests import factories as f


def _register(**org):
    fields = {"name": "沪东新材料有限公司", "org_type": "PRIVATE", "uscc": f.uscc(), "district": "宝山区",
              "contact_name": "王五", **org}
    return services.register_organisation(fields, {"email": "wang@example.test", "name": "王五",
                                                   "password": "good-Passw0rd"})


def test_registration_creates_a_pending_organisation_with_its_admin(session):
    user = _register()
    assert user.organisation.status == "PENDING" and user.is_admin
    assert user.password_hash != "good-Passw0rd"


def test_a_password_is_stored_as_werkzeugs_default_scrypt_hash(session, monkeypatch):
    # The suite hashes with a cheap method (tests/conftest.py); here the app's own, as in production.
    monkeypatch.setattr("market.accounts.auth.generate_password_hash", security.generate_password_hash)
    user = _register()
    assert user.password_hash.startswith("scrypt:")
    assert password_matches(user, "good-Passw0rd") and not password_matches(user, "good-Passw0rd ")


def test_a_duplicate_credit_code_is_refused(session):
    code = f.uscc()
    _register(uscc=code)
    with pytest.raises(Conflict) as err:
        services.register_organisation(
            {"name": "另一家", "org_type": "PRIVATE", "uscc": code, "contact_name": "x"},
            {"email": "b@example.test", "name": "b", "password": "good-Passw0rd"})
    assert err.value.field == "uscc"


def test_a_wrong_check_character_in_the_credit_code_names_the_right_one(session):
    good = f.uscc()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(DomainError) as err:
        _register(uscc=bad)
    assert good[-1] in err.value.zh


def test_an_soe_must_give_its_level(session):
    with pytest.raises(DomainError):
        _register(org_type="SOE")


def test_nobody_registers_as_the_bureau(session):
    with pytest.raises(DomainError):
        _register(org_type="BUREAU")


@pytest.mark.parametrize("password", ["short1", "longbutnodigits", "1234567890123"])
def test_weak_passwords_are_refused(session, password):
    with pytest.raises(DomainError):
        services.create_user(f.organisation(), email="p@example.test", name="p", password=password)


def test_only_the_bureau_approves(session):
    pending = f.organisation(approved=False)
    with pytest.raises(Forbidden):
        services.decide_organisation(f.user(f.organisation()), pending.id, approve=True)
    bureau = f.user(f.organisation("宝山区知识产权局", org_type="BUREAU"))
    services.decide_organisation(bureau, pending.id, approve=True)
    assert pending.is_approved


def test_api_tokens_are_stored_as_digests(session):
    token, plain = services.issue_api_token(f.user(f.organisation()), "ci")
    assert plain.startswith("psm_") and token.token_hash == token_digest(plain)
    assert plain not in token.token_hash


def test_changing_the_password_ends_other_sessions(session):
    u = f.user(f.organisation())
    before = u.get_id()
    services.change_password(u, f.PASSWORD, "another-Passw0rd")
    assert u.get_id() != before


def test_registration_records_state_funding_only_where_the_law_knows_it(session):
    """STL 18 applies to state-funded universities/institutes; 国有独资 only describes an SOE."""
    from market.accounts.services import register_organisation

    def register(name, org_type, **flags):
        return register_organisation(
            {"name": name, "org_type": org_type, "uscc": f.uscc(), "contact_name": "王",
             "soe_level": "DISTRICT" if org_type == "SOE" else None, **flags},
            {"email": f"{org_type.lower()}@example.test", "name": "王", "password": "good-Passw0rd1"}).organisation

    uni = register("上海某大学", "UNIVERSITY", is_state_funded_rnd=True, wholly_state_owned=True)
    soe = register("上海某国资公司", "SOE", wholly_state_owned=True, is_state_funded_rnd=True)
    private = register("上海某民营公司", "PRIVATE", is_state_funded_rnd=True)
    assert (uni.is_state_funded_rnd, uni.wholly_state_owned) == (True, False)
    assert (soe.is_state_funded_rnd, soe.wholly_state_owned) == (False, True)
    assert private.is_state_funded_rnd is False


def test_registration_asks_for_the_address_that_contracts_and_filings_need(client):
    # REC 9: a licence filing names each party's address; an organisation registered without one could
    # agree a licence and then never file it.
    token = f.csrf_token(client, "/register")
    page = client.post("/register", data={"csrf_token": token, "name": "沪东新材料有限公司", "org_type": "PRIVATE",
                                          "uscc": f.uscc(), "contact_name": "王", "email": "addr@example.test",
                                          "user_name": "王", "password": "good-Passw0rd-2026"})
    assert page.status_code == 422
    assert re.search(r'has-error">\s*<label for="f-address"', page.get_data(as_text=True))
    assert "注册成功" not in page.get_data(as_text=True)


def _account_client(client, org_kw=None, role="ADMIN"):
    org = f.organisation(**(org_kw or {}))
    u = f.user(org, role=role)
    from market.core.extensions import db
    db.session.commit()
    f.login(client, u)
    return org


def test_an_organisation_without_an_address_fills_it_in_on_its_account_page(client, session):
    # Organisations registered before the address was asked for (or set up by the bureau) had nowhere
    # to give it, so their licences could never be filed (REC 9).
    org = _account_client(client, {"address": ""})
    page = client.get("/account").get_data(as_text=True)
    assert 'id="organisation"' in page and 'name="address"' in page and "尚未填写住所" in page
    token = f.csrf_token(client, "/account")
    response = client.post("/account/organisation", data={
        "csrf_token": token, "address": "上海市宝山区沪太路100号", "contact_name": "王五", "contact_phone": "021-66000000"})
    assert response.status_code == 302
    assert "上海市宝山区沪太路100号" in client.get("/account").get_data(as_text=True)
    session.refresh(org)
    assert org.address == "上海市宝山区沪太路100号" and org.contact_name == "王五"


def test_a_bad_organisation_profile_keeps_the_input_and_shows_every_error_beside_its_field(client, session):
    org = _account_client(client, {"address": "上海市宝山区旧路1号"})
    token = f.csrf_token(client, "/account")
    page = client.post("/account/organisation", data={
        "csrf_token": token, "address": "", "contact_name": "", "contact_phone": "0" * 41})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    for name in ("address", "contact_name", "contact_phone"):
        assert re.search(rf'has-error">\s*<label for="f-{name}"', text), name
    assert "Length" not in text and "Missing data" not in text
    session.refresh(org)
    assert org.address == "上海市宝山区旧路1号"


def test_a_member_who_is_not_an_admin_cannot_change_the_organisations_details(client, session):
    _account_client(client, role="MEMBER")
    token = f.csrf_token(client, "/account")
    response = client.post("/account/organisation", data={"csrf_token": token, "address": "上海市某路1号",
                                                           "contact_name": "x"})
    assert response.status_code == 403
