"""Password reset: a signed link by e-mail, valid for an hour, once; no hint whether an e-mail exists."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from market.accounts.models import User
from market.core.audit import AuditEntry
from market.core.extensions import db, limiter
from tests import factories as f
from tests.security.sweep import fresh_client

NEW = "brand-New-Passw0rd"
INVALID = "重置链接无效、已使用或已过期，请重新申请。"


@pytest.fixture
def person(app):
    """An enterprise user with a session open on another device."""
    with app.test_request_context():
        org = f.organisation("重置测试科技有限公司", org_type="PRIVATE")
        user = f.user(org, email="reset-me@example.test")
        db.session.commit()
        found = {"id": user.id, "email": user.email}
        db.session.remove()
    for old in Path(app.config["MAIL_FOLDER"]).glob("password-reset-*.eml"):
        old.unlink()  # ids repeat across rolled-back tests
    limiter.reset()
    return found


def _ask(app, email: str):
    client = fresh_client(app)
    token = f.csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


def _mails(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_FOLDER"]).glob("password-reset-*.eml"))


def _link(app) -> str:
    (mail,) = _mails(app)
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    return re.search(r"http://localhost(/password/reset/\S+)", message.get_content()).group(1)


def _reset(app, path: str, password: str = NEW, again: str | None = None):
    client = fresh_client(app)
    form = client.get(path)
    if form.status_code != 200:
        return form
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.get_data(as_text=True)).group(1)
    return client.post(path, data={"password": password, "password_again": again or password, "csrf_token": token})


def _password_works(app, email: str, password: str) -> bool:
    client = fresh_client(app)
    token = f.csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}).status_code == 302


def test_the_login_page_offers_the_reset(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot">忘记密码</a>' in page


def test_a_known_and_an_unknown_e_mail_get_the_same_answer(app, person):
    known = _ask(app, person["email"])
    unknown = _ask(app, "nobody-here@example.test")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert "如果该电子邮箱已在本平台注册，我们已向其发送重置密码的链接" in known.get_data(as_text=True)
    assert [p.name for p in _mails(app)] == [f"password-reset-{person['id']}-0.eml"]


def test_the_link_sets_a_new_password_once_and_ends_other_sessions(app, person):
    elsewhere = fresh_client(app)
    f.login(elsewhere, person["email"])
    _ask(app, person["email"])
    path = _link(app)
    done = _reset(app, path)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert _password_works(app, person["email"], NEW) and not _password_works(app, person["email"], f.PASSWORD)
    assert elsewhere.get("/account").headers["Location"].startswith("/login")
    again = _reset(app, path, "another-Passw0rd1")
    assert again.status_code == 400 and INVALID in again.get_data(as_text=True)
    assert _password_works(app, person["email"], NEW)
    with app.test_request_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "PASSWORD_RESET")).all()
        assert [(e.actor_user_id, e.object_type, e.object_id) for e in entries] == [
            (person["id"], "user", str(person["id"]))]


def test_an_expired_link_is_refused(app, person, monkeypatch):
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
    _ask(app, person["email"])  # made an hour and a second ago
    monkeypatch.undo()
    response = _reset(app, _link(app))
    assert response.status_code == 400 and INVALID in response.get_data(as_text=True)
    assert _password_works(app, person["email"], f.PASSWORD)


def test_the_max_age_is_a_setting(app, person):
    _ask(app, person["email"])
    path = _link(app)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # already expired when made
    try:
        response = _reset(app, path)
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    assert response.status_code == 400 and _password_works(app, person["email"], f.PASSWORD)


def _forged(app, data, *, key: str | None = None, salt: str = "password-reset") -> str:
    return "/password/reset/" + URLSafeTimedSerializer(key or app.secret_key, salt=salt).dumps(data)


@pytest.mark.parametrize("make", [
    lambda app, p, link: link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"),  # a changed signature
    lambda app, p, link: _forged(app, {"u": p["id"], "e": 0}, key="not-the-secret-key"),
    lambda app, p, link: _forged(app, {"u": p["id"], "e": 0}, salt="another-purpose"),
    lambda app, p, link: _forged(app, {"u": p["id"], "e": 1}),  # an epoch the user is not at
    lambda app, p, link: _forged(app, {"u": str(p["id"]), "e": 0}),
    lambda app, p, link: "/password/reset/not-a-token",
], ids=["tampered", "other-key", "other-salt", "wrong-epoch", "wrong-shape", "garbage"])
def test_a_tampered_or_forged_link_is_refused(app, person, make):
    _ask(app, person["email"])
    response = _reset(app, make(app, person, _link(app)))
    assert response.status_code == 400 and INVALID in response.get_data(as_text=True)
    assert _password_works(app, person["email"], f.PASSWORD)


def test_changing_the_password_kills_an_outstanding_link(app, person):
    _ask(app, person["email"])
    path = _link(app)
    client = fresh_client(app)
    f.login(client, person["email"])
    client.post("/account/password", data={"current": f.PASSWORD, "new": "changed-Passw0rd2",
                                           "csrf_token": f.csrf_token(client, "/account")})
    response = _reset(app, path)
    assert response.status_code == 400 and _password_works(app, person["email"], "changed-Passw0rd2")


def test_the_two_passwords_must_match_and_follow_the_rules(app, person):
    _ask(app, person["email"])
    path = _link(app)
    mismatch = _reset(app, path, NEW, "other-Passw0rd11")
    weak = _reset(app, path, "short1")
    assert mismatch.status_code == weak.status_code == 422
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    assert "密码至少 10 位，且须同时包含字母和数字" in weak.get_data(as_text=True)
    assert _password_works(app, person["email"], f.PASSWORD)


def test_a_deactivated_account_gets_no_mail(app, person):
    with app.test_request_context():
        db.session.get(User, person["id"]).active = False
        db.session.commit()
    assert _ask(app, person["email"]).status_code == 200 and _mails(app) == []


def test_reset_pages_are_never_cached(app, person):
    _ask(app, person["email"])
    client = fresh_client(app)
    assert client.get(_link(app)).headers["Cache-Control"] == "no-store"
    assert client.get("/password/forgot").headers["Cache-Control"] == "no-store"


def test_asking_changes_nothing_but_the_outbox(app, person):
    with app.test_request_context():
        before = db.session.scalar(select(func.count(AuditEntry.id)))
        epoch = db.session.get(User, person["id"]).session_epoch
    _ask(app, person["email"])
    with app.test_request_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == before
        assert db.session.get(User, person["id"]).session_epoch == epoch
