"""Issue 13 #7 and #11: logout, password change and reset, and deactivation end sessions server-side;
the last three revoke API tokens too; tokens expire (a year by default) and the account page says when."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import ApiToken, User
from market.accounts.reset import make_token
from market.accounts.services import issue_api_token
from market.core.db import utcnow
from market.core.extensions import db
from tests import factories as f
from tests.security.sweep import fresh_client

NEW = "brand-New-Passw0rd"


@pytest.fixture
def org(app):
    """An organisation with an admin and a member, each logged in on a device and holding an API token."""
    with app.test_request_context():
        org = f.organisation("会话测试大学")
        admin, member = f.user(org), f.user(org, role="MEMBER")
        tokens = {u.email: issue_api_token(u, "sync")[1] for u in (admin, member)}
        db.session.commit()
        found = {"admin": admin.email, "member": member.email, "member_id": member.id, "tokens": tokens}
        db.session.remove()
    return found


def _device(app, email: str):
    """A logged-in client, and a copy of its session cookie as an attacker would keep it."""
    client = fresh_client(app)
    f.login(client, email)
    return client, client.get_cookie("session").value


def _works(app, cookie: str) -> bool:
    thief = fresh_client(app)
    thief.set_cookie("session", cookie)
    return thief.get("/account").status_code == 200


def _api(app, token: str, path: str = "/api/v1/me", method: str = "GET"):
    return fresh_client(app).open(path, method=method, headers={"Authorization": f"Bearer {token}"}, json={})


def test_a_cookie_saved_before_logout_no_longer_works_after_it(app, org):
    client, saved = _device(app, org["member"])
    assert _works(app, saved)
    token = f.csrf_token(client, "/account")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _works(app, saved)


def test_a_password_change_ends_other_sessions_and_revokes_api_tokens(app, org):
    _, other_device = _device(app, org["member"])
    client, _ = _device(app, org["member"])
    token = org["tokens"][org["member"]]
    assert _api(app, token).status_code == 200
    csrf = f.csrf_token(client, "/account")
    client.post("/account/password", data={"csrf_token": csrf, "current": f.PASSWORD, "new": NEW})
    assert client.get("/account").status_code == 200  # this session goes on
    assert not _works(app, other_device)
    assert _api(app, token).status_code == 401


def test_a_password_reset_revokes_api_tokens(app, org):
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == org["member"]))
        link = f"/password/reset/{make_token(user)}"
        db.session.remove()
    client = fresh_client(app)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(link).get_data(as_text=True)).group(1)
    response = client.post(link, data={"csrf_token": csrf, "password": NEW, "password_again": NEW})
    assert response.status_code == 302
    assert _api(app, org["tokens"][org["member"]]).status_code == 401


@pytest.mark.parametrize("door", ["page", "api"])
def test_an_admin_deactivates_a_member_whose_sessions_and_tokens_end(app, org, door):
    _, member_cookie = _device(app, org["member"])
    member_token = org["tokens"][org["member"]]
    if door == "page":
        admin, _ = _device(app, org["admin"])
        csrf = f.csrf_token(admin, "/account")
        response = admin.post(f"/account/members/{org['member_id']}/deactivate", data={"csrf_token": csrf})
        assert response.status_code == 302
    else:
        response = _api(app, org["tokens"][org["admin"]], f"/api/v1/members/{org['member_id']}/deactivate", "POST")
        assert response.status_code == 200 and response.get_json()["active"] is False
    assert not _works(app, member_cookie)
    assert _api(app, member_token).status_code == 401
    with app.test_request_context():
        assert db.session.scalar(select(User.active).where(User.id == org["member_id"])) is False
        db.session.remove()


def test_a_member_cannot_deactivate_anyone_nor_an_admin_itself(app, org):
    member_token, admin_token = org["tokens"][org["member"]], org["tokens"][org["admin"]]
    with app.test_request_context():
        admin_id = db.session.scalar(select(User.id).where(User.email == org["admin"]))
        db.session.remove()
    assert _api(app, member_token, f"/api/v1/members/{admin_id}/deactivate", "POST").status_code == 403
    refused = _api(app, admin_token, f"/api/v1/members/{admin_id}/deactivate", "POST")
    assert refused.status_code == 409 and "不能停用自己" in refused.get_json()["error"]["message"]
    member, _ = _device(app, org["member"])
    csrf = f.csrf_token(member, "/account")
    assert member.post(f"/account/members/{admin_id}/deactivate", data={"csrf_token": csrf}).status_code == 403


def test_a_token_expires_a_year_after_issue_and_the_account_page_says_when(app, org):
    token = org["tokens"][org["admin"]]
    with app.test_request_context():
        row = db.session.scalar(select(ApiToken).join(User).where(User.email == org["admin"]))
        assert timedelta(days=364) < row.expires_at - row.created_at <= timedelta(days=366)
        expires = row.expires_at
        db.session.remove()
    client, _ = _device(app, org["admin"])
    page = client.get("/account").get_data(as_text=True)
    assert "有效期至" in page and expires.strftime("%Y-%m-%d") in page
    assert _api(app, token).status_code == 200
    with app.test_request_context():
        db.session.scalar(select(ApiToken).join(User).where(User.email == org["admin"])).expires_at = \
            utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _api(app, token).status_code == 401
