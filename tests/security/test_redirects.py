"""Issue 13 #6 (and the login half of #9): every redirect target a request names is a path on this site."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from market.core.extensions import db
from market.web.redirects import local_target
from tests import factories as f
from tests.factories import PASSWORD

FOREIGN = ["//attacker.example/phish", "/\\attacker.example", "/\t/attacker.example/phish",
           "/%09/attacker.example/phish", "/%0A/x", "/%0D%0ALocation:%20//attacker.example", "/%2F/attacker.example",
           "/%5Cattacker.example", "/%252F/attacker.example", "https://attacker.example/", "javascript:alert(1)",
           "%2F%2Fattacker.example", "attacker.example", "/\u2028/attacker.example", "/\x00/x", "", None]
LOCAL = ["/deals/1", "/listings?q=%E9%9A%94%E8%86%9C&page=2", "/account#tokens", "/"]


@pytest.mark.parametrize("target", FOREIGN)
def test_a_target_that_leaves_the_site_is_refused(target):
    assert local_target(target) is None


@pytest.mark.parametrize("target", LOCAL)
def test_a_path_on_this_site_is_kept(target):
    assert local_target(target) == target


def _login(client, email: str, next_: str):
    token = f.csrf_token(client)
    return client.post("/login", query_string={"next": next_},
                       data={"email": email, "password": PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("next_", ["/\t/attacker.example/phish", "/\n/x", "/\\attacker.example", "//attacker.example"])
def test_login_never_redirects_off_site_nor_fails(app, client, next_):
    with app.test_request_context():
        email = f.user(f.organisation("跳转测试大学")).email
        db.session.commit()
    response = _login(client, email, next_)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and not location.path.startswith("//")
    assert "attacker" not in response.headers["Location"]


def test_a_listing_action_ignores_a_foreign_back_target(app, client):
    with app.test_request_context():
        uni = f.organisation("跳转测试二大学")
        listing = f.listing(uni, f.point(), published=False)
        email, listing_id = f.user(uni).email, listing.id
        db.session.commit()
    f.login(client, email)
    token = f.csrf_token(client, "/account")
    response = client.post(f"/listings/{listing_id}/submit",
                           data={"csrf_token": token, "back": "/\t/attacker.example/phish"})
    assert response.status_code == 302
    assert "attacker" not in response.headers["Location"]
    assert urlsplit(response.headers["Location"]).path == f"/listings/{listing_id}/edit"


def test_every_redirect_to_a_requested_target_goes_through_the_one_helper():
    """`redirect(request.args…)` or `redirect(request.form…)` without local_target would reopen the hole."""
    root = Path(__file__).resolve().parents[2]
    direct = re.compile(r"redirect\((?![^\n]*local_target)[^\n]*request\.(args|form|values|referrer|headers)")
    found = [f"{path.relative_to(root)}:{n}" for package in ("market", "listings", "matching")
             for path in (root / package).rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if direct.search(line)]
    assert found == []
