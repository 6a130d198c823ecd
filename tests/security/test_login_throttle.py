"""Issue 13 #8: no timing oracle for which e-mails exist, and no lockout of the real owner."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from market.core.extensions import db, limiter
from tests import factories as f
from tests.security.sweep import fresh_client


@pytest.fixture
def owner(app):
    with app.test_request_context():
        email = f.user(f.organisation("限流测试大学")).email
        db.session.commit()
        db.session.remove()
    limiter.reset()
    return email


def _attempt(app, email: str, password: str, address: str):
    client = fresh_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    token = f.csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.mark.parametrize("known", [True, False])
def test_every_login_does_the_work_of_one_password_check(app, owner, monkeypatch, known):
    from werkzeug import security

    calls = []
    real = security.check_password_hash

    def counted(pwhash, password):
        calls.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr("market.accounts.auth.check_password_hash", counted)
    monkeypatch.setattr("market.accounts.services.check_password_hash", counted)
    email = owner if known else "nobody-here@example.test"
    assert _attempt(app, email, "wrong-Passw0rd1", "198.51.100.1").status_code == 422
    assert len(calls) == 1


def test_guesses_from_many_addresses_do_not_lock_the_owner_out(app, owner):
    codes = [_attempt(app, owner, "wrong-Passw0rd1", f"198.51.100.{n + 1}").status_code for n in range(12)]
    assert codes[:10] == [422] * 10 and codes[10:] == [429, 429]
    # The owner, from an address that never failed, with the right password: in.
    response = _attempt(app, owner, f.PASSWORD, "203.0.113.7")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path != "/login"


def test_an_address_that_failed_is_refused_with_the_way_out(app, owner):
    for n in range(10):
        _attempt(app, owner, "wrong-Passw0rd1", f"198.51.100.{n + 1}")
    response = _attempt(app, owner, f.PASSWORD, "198.51.100.1")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "忘记密码" in page and "/password/forgot" in page
