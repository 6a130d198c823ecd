"""Web security: CSRF on every form, cookies, session rotation, passwords, rate limits, headers, uploads.

The route lists come from the app's URL map and the matrix's table, so a new form or page is
covered as soon as it exists.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from config.settings import Settings
from market.core.extensions import db, limiter
from market.deals.models import DealDocument
from tests import factories as f
from tests.security.sweep import Sweep, fill, fresh_client
from tests.security.test_authorisation_matrix import ROUTES
from tests.security.world import ACTORS, PDF, build

CSRF_MESSAGE = "表单已过期或来源无效，请刷新页面后重试"
# Stripe signs its webhook; it has no session to hold a token (market/payments/webhooks.py).
CSRF_EXEMPT = {"/payments/stripe/webhook"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture
def sweep(app):
    with app.test_request_context():
        world = build()
        db.session.remove()
    return Sweep(app, world)


def _html_forms(app) -> list[tuple[str, str]]:
    """(method, rule) of every state-changing route outside the JSON API."""
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static" and not rule.rule.startswith("/api/")
                  for method in rule.methods - {"GET", "HEAD", "OPTIONS"})


# -- CSRF -------------------------------------------------------------------------------------

def test_every_form_without_its_csrf_token_is_refused_and_changes_nothing(app, sweep):
    rows = {(method, rule): (path, body) for method, rule, path, body, _ in ROUTES}
    forms = [form for form in _html_forms(app) if form[1] not in CSRF_EXEMPT]
    assert len(forms) > 50  # the URL map drives this test; an empty list would prove nothing
    failures = []
    for method, rule in forms:
        path, body = rows[(method, rule)]
        # Patentee A may do the most; the login and registration forms are refused the same way.
        for actor in ("pat_a", "anon"):
            out = sweep.request(actor, method, fill(path, sweep.world.ids), fill(body, sweep.world.ids),
                                csrf=False, check=True)
            if out.status != 400 or CSRF_MESSAGE not in out.body or out.changed:
                failures.append(f"{method} {rule} as {actor}: {out.status} changed={out.changed}")
    assert not failures, "\n".join(failures)


def test_the_one_form_without_csrf_is_the_signed_stripe_webhook(app, sweep):
    out = sweep.request("anon", "POST", "/payments/stripe/webhook", {}, check=True)
    assert out.status == 400 and CSRF_MESSAGE not in out.body and out.changed == []


def test_a_token_from_before_login_does_not_work_after_it(app, sweep):
    client = fresh_client(app)
    before = f.csrf_token(client)
    f.login(client, sweep.world.actors["ent_a"].email)
    refused = client.post("/account/tokens", data={"name": "x", "csrf_token": before})
    assert refused.status_code == 400 and CSRF_MESSAGE in refused.get_data(as_text=True)


# -- cookies and sessions ---------------------------------------------------------------------

def test_production_session_cookies_are_secure_http_only_and_same_site(monkeypatch, tmp_path):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = Settings(str(tmp_path))
    assert (settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE) \
        == (True, True, "Lax")
    assert (settings.REMEMBER_COOKIE_SECURE, settings.REMEMBER_COOKIE_HTTPONLY) == (True, True)


def test_the_login_cookie_carries_secure_http_only_and_same_site(app, sweep):
    client = fresh_client(app)
    token = f.csrf_token(client)
    app.config["SESSION_COOKIE_SECURE"] = True  # production's value (the test settings serve plain HTTP)
    try:
        response = client.post("/login", data={"email": sweep.world.actors["ent_a"].email, "password": f.PASSWORD,
                                               "csrf_token": token})
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags


def test_the_session_is_replaced_at_login_and_the_old_one_is_not_logged_in(app, sweep):
    client = fresh_client(app)
    f.csrf_token(client)  # an anonymous session, such as one an attacker could plant
    planted = client.get_cookie("session").value
    f.login(client, sweep.world.actors["ent_a"].email)
    logged_in = client.get_cookie("session").value
    assert logged_in != planted
    assert client.get("/account").status_code == 200
    client.set_cookie("session", planted)
    assert client.get("/account").headers["Location"].startswith("/login")


def test_changing_the_password_ends_the_other_sessions(app, sweep):
    email = sweep.world.actors["ent_a"].email
    other, mine = fresh_client(app), fresh_client(app)
    f.login(other, email)
    f.login(mine, email)
    response = mine.post("/account/password", data={"current": f.PASSWORD, "new": "changed-Passw0rd9",
                                                      "csrf_token": f.csrf_token(mine, "/account")})
    assert response.status_code == 302
    assert mine.get("/account").status_code == 200
    assert other.get("/account").headers["Location"].startswith("/login")


def test_the_api_ignores_a_browser_session(app, sweep):
    """The API is exempt from CSRF, so only a bearer token may act there, never a session cookie."""
    client = fresh_client(app)
    f.login(client, sweep.world.actors["ent_a"].email)
    assert client.get("/api/v1/me").status_code == 401
    taken = client.post(f"/api/v1/open-licences/{sweep.world.decl}/take", json={})
    assert taken.status_code == 401


# -- passwords --------------------------------------------------------------------------------

WEAK = ["short1A", "onlyletterspassword", "1234567890123", ""]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_everywhere_one_is_set(app, sweep, password):
    ids = sweep.world.ids
    member = sweep.request("pat_a", "POST", "/account/members",
                           {"email": "weak@example.test", "name": "弱", "password": password}, check=True)
    change = sweep.request("pat_a", "POST", "/account/password", {"current": f.PASSWORD, "new": password}, check=True)
    reset = sweep.request("anon", "POST", f"/password/reset/{ids['reset_token']}",
                          {"password": password, "password_again": password}, check=True)
    register = sweep.request("anon", "POST", "/register", {
        "name": "弱密码科技有限公司", "org_type": "PRIVATE", "uscc": f.uscc(), "contact_name": "王",
        "address": "上海市宝山区测试路1号",
        "email": "weak-reg@example.test", "user_name": "王", "password": password}, check=True)
    assert [member.status, change.status, reset.status, register.status] == [302, 302, 422, 422]
    assert [member.changed, change.changed, reset.changed, register.changed] == [[], [], [], []]
    if password:  # an empty one is refused earlier, as a missing field
        assert "密码至少 10 位" in reset.body and "密码至少 10 位" in register.body


# -- rate limits ------------------------------------------------------------------------------

def test_logins_are_limited_per_e_mail_across_addresses(app, sweep):
    email = sweep.world.actors["ent_a"].email
    limiter.reset()
    codes = []
    for n in range(12):  # a different address each time: only the per-e-mail limit can stop this
        client = fresh_client(app)
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        token = f.csrf_token(client)
        codes.append(client.post("/login", data={"email": email, "password": "wrong-Passw0rd1",
                                                 "csrf_token": token}).status_code)
    assert codes[:10] == [422] * 10 and codes[10:] == [429, 429]


def test_reset_requests_are_limited_per_e_mail(app, sweep):
    limiter.reset()
    codes = []
    for n in range(7):
        client = fresh_client(app)
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        token = f.csrf_token(client, "/password/forgot")
        codes.append(client.post("/password/forgot", data={"email": "target@example.test",
                                                           "csrf_token": token}).status_code)
    assert codes == [200] * 5 + [429, 429]


def test_the_api_is_limited_per_token(app, sweep):
    actors = sweep.world.actors
    app.config["API_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        client = fresh_client(app)
        a = {"Authorization": f"Bearer {actors['ent_a'].token}"}
        b = {"Authorization": f"Bearer {actors['ent_b'].token}"}
        first = [client.get("/api/v1/me", headers=a).status_code for _ in range(4)]
        other_token = client.get("/api/v1/me", headers=b).status_code  # the same address, its own allowance
        anonymous = [client.get("/api/v1/points").status_code for _ in range(4)]
        # Made-up tokens share the address's allowance (used up just above), not one each.
        made_up = client.get("/api/v1/points", headers={"Authorization": "Bearer psm_made-up"})
    finally:
        app.config["API_RATE_LIMIT"] = "600 per minute"
        limiter.reset()
    assert first == [200, 200, 200, 429] and other_token == 200
    assert anonymous == [200, 200, 200, 429] and made_up.status_code == 429
    # Seconds until the window ends: 60 at most, less when the window began a moment earlier.
    assert 1 <= int(made_up.headers["Retry-After"]) <= 60


# -- security headers on every page -----------------------------------------------------------

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_every_page_carries_the_security_headers_and_no_inline_code(app, sweep):
    pages = [(rule, path, expected.split()) for method, rule, path, _, expected in ROUTES if method == "GET"]
    assert len(pages) > 70
    failures = []
    for rule, path, expected in pages:
        # As the first actor the table lets in (the page itself, not a redirect to it).
        actor = next((a for a, want in zip(ACTORS, expected) if want == "200"), "anon")
        out = sweep.request(actor, "GET", fill(path, sweep.world.ids))
        headers = out.headers
        csp = headers.get("Content-Security-Policy", "")
        problems = []
        if "unsafe-inline" in csp or "script-src 'self'" not in csp or "frame-ancestors 'none'" not in csp \
                or "object-src 'none'" not in csp:
            problems.append(f"CSP {csp!r}")
        if headers.get("X-Content-Type-Options") != "nosniff" or headers.get("X-Frame-Options") != "DENY":
            problems.append("X-Content-Type-Options/X-Frame-Options")
        if out.mimetype == "text/html" and INLINE.search(out.body):
            problems.append(f"inline code: {INLINE.search(out.body).group(0)!r}")
        if problems:
            failures.append(f"GET {rule} as {actor} ({out.status}): " + "; ".join(problems))
    assert not failures, "\n".join(failures)


# -- uploads ----------------------------------------------------------------------------------

def _upload(app, sweep, content: bytes, name: str):
    client, cookie, token = sweep.client("ent_a")
    client.set_cookie("session", cookie)
    return client.post(f"/deals/{sweep.world.neg_deal}/uploads",
                       data={"kind": "OTHER", "csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def _documents(app) -> list[tuple[str, str]]:
    with app.test_request_context():
        return [(d.filename, d.stored_as) for d in db.session.scalars(db.select(DealDocument).order_by(DealDocument.id))]


def test_a_png_renamed_pdf_is_refused(app, sweep):
    before = _documents(app)
    page = _upload(app, sweep, PNG, "合同.pdf").get_data(as_text=True)
    assert "文件内容是 PNG，与文件名的扩展名“.pdf”不符。" in page
    assert _documents(app) == before


def test_an_html_file_is_refused_whatever_its_name(app, sweep):
    before = _documents(app)
    page = _upload(app, sweep, b"<html><script>alert(1)</script></html>" * 4, "合同.pdf").get_data(as_text=True)
    assert "只接受 PDF、PNG 或 JPEG 文件。" in page and _documents(app) == before


def test_an_upload_over_the_limit_is_refused(app, sweep):
    before = _documents(app)
    limit = app.config["UPLOAD_MAX_BYTES"]
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    try:
        page = _upload(app, sweep, PDF + b"0" * (1024 * 1024), "合同.pdf")
    finally:
        app.config["UPLOAD_MAX_BYTES"] = limit
    assert "文件不能超过 1 MB。" in page.get_data(as_text=True) and _documents(app) == before


def test_an_upload_is_stored_outside_the_web_root_and_served_only_through_the_deal(app, sweep):
    _upload(app, sweep, PDF + b"\n% padding for a real-looking file\n", "合同.pdf")
    name, stored = _documents(app)[-1]
    path = (Path(app.instance_path) / "uploads" / "deals" / stored).resolve()
    static = Path(app.static_folder).resolve()
    assert name == "合同.pdf" and path.is_file() and static not in path.parents
    client = fresh_client(app)
    assert client.get(f"/static/{stored}").status_code == 404
    assert client.get(f"/static/../instance/uploads/deals/{stored}").status_code == 404
