"""CSRF, login rate limiting, ownership checks, bad uploads and errors as pages, not 500s."""

from __future__ import annotations

import io

import pytest

from market.core.extensions import db
from tests import factories as f


@pytest.fixture
def two_universities(app):
    with app.test_request_context():
        a, b = f.organisation("甲大学"), f.organisation("乙大学")
        point = f.point()
        listing = f.listing(a, point)
        users = f.user(a), f.user(b)
        db.session.commit()
        return {"listing_id": listing.id, "a": users[0].email, "b": users[1].email, "point_id": point.id}


def test_a_form_post_without_csrf_token_is_refused(client, two_universities):
    response = client.post("/login", data={"email": two_universities["a"], "password": f.PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_login_is_rate_limited(client, two_universities):
    token = f.csrf_token(client)
    codes = [client.post("/login", data={"email": "x@example.test", "password": "wrong-passw0rd",
                                         "csrf_token": token}).status_code for _ in range(12)]
    assert codes[0] == 422 and codes[-1] == 429


def test_wrong_password_gets_one_message_for_both_cases(client, two_universities):
    token = f.csrf_token(client)
    page = client.post("/login", data={"email": "nobody@example.test", "password": "x", "csrf_token": token})
    assert "电子邮箱或密码不正确" in page.get_data(as_text=True)


def test_session_cookie_is_http_only_and_same_site(client, two_universities):
    response = f.login(client, two_universities["a"])
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_patentee_cannot_edit_another_organisations_listing(client, two_universities):
    f.login(client, two_universities["b"])
    listing_id = two_universities["listing_id"]
    assert client.get(f"/listings/{listing_id}/edit").status_code == 403
    token = f.csrf_token(client, "/account")
    assert client.post(f"/listings/{listing_id}/withdraw", data={"csrf_token": token}).status_code == 403


def test_security_headers_are_set(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.csv", "空"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "image.csv", "不是"),
    (b"a,b\n1,2\n", "notes.docx", "不支持"),
])
def test_bad_uploads_get_a_clear_message(client, two_universities, data, name, message):
    f.login(client, two_universities["a"])
    token = f.csrf_token(client, "/imports/new")
    response = client.post("/imports/new", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_an_upload_over_the_limit_is_refused(client, app, two_universities):
    f.login(client, two_universities["a"])
    token = f.csrf_token(client, "/imports/new")
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    # A hand-built multipart body: the test client then streams it from memory instead of
    # spooling it to a temporary file that the refused request would never close.
    body = (f'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            'Content-Type: text/csv\r\n\r\n').encode() + big + b"\r\n--B--\r\n"
    response = client.post("/imports/new", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)


def test_another_organisations_import_batch_is_not_found(client, app, two_universities):
    f.login(client, two_universities["a"])
    token = f.csrf_token(client, "/imports/new")
    response = client.post("/imports/new", data={
        "csrf_token": token, "file": (io.BytesIO("申请号,名称\n".encode()), "x.csv")},
        content_type="multipart/form-data")
    url = response.headers["Location"]
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    f.login(client, two_universities["b"])
    assert client.get(url).status_code == 404


def test_registration_errors_are_in_chinese_and_keep_the_input(client):
    token = f.csrf_token(client, "/register")
    page = client.post("/register", data={"csrf_token": token, "name": "沪东新材料有限公司", "org_type": "PRIVATE",
                                          "uscc": "913101130000000000", "address": "上海市宝山区测试路1号",
                                          "contact_name": "王", "email": "w@example.test",
                                          "user_name": "王", "password": "good-Passw0rd"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "校验" in text and "沪东新材料有限公司" in text


@pytest.mark.parametrize("path", ["/", "/search?q=锂电池", "/search?q=&sort=bogus&page=-3", "/points", "/login",
                                  "/register", "/api/v1/docs", "/search?lang=en&q=battery"])
def test_public_pages_render(client, path):
    assert client.get(path).status_code == 200


def test_an_unknown_patent_number_is_a_404_page(client):
    response = client.get("/patents/202010123456.7")
    assert response.status_code == 404 and "不存在" in response.get_data(as_text=True)


def test_a_patentee_records_an_evaluation_report_for_its_utility_model(client, app):
    with app.test_request_context():
        owner, other = f.organisation("丙大学"), f.organisation("丁大学")
        number = f.listing(owner, f.point(), patent_kw={"type_code": "2"}).patent.application_number
        owner_email, other_email = f.user(owner).email, f.user(other).email
        db.session.commit()
    form = {"report_no": "PJ2024001", "issued_on": "2024-05-01", "conclusion": "NO_DEFECT"}
    f.login(client, other_email)
    token = f.csrf_token(client, "/account")
    assert client.post(f"/patents/{number}/evaluation-reports", data={**form, "csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    f.login(client, owner_email)
    token = f.csrf_token(client, "/account")
    client.post(f"/patents/{number}/evaluation-reports", data={**form, "csrf_token": token})
    assert "PJ2024001" in client.get(f"/patents/{number}").get_data(as_text=True)


def test_a_form_or_query_carrying_nul_is_refused_with_a_message_and_stores_nothing(client, app):
    """PostgreSQL cannot store U+0000: pages refuse it before any view runs (never a 500)."""
    with app.test_request_context():
        ent = f.organisation(org_type="PRIVATE")
        email = f.user(ent).email
        db.session.commit()
    f.login(client, email)
    token = f.csrf_token(client, "/demands/new")
    page = client.post("/demands/new", data={"csrf_token": token, "title": "需要\x00隔膜", "problem": "锂电池隔膜耐高温" * 5})
    assert page.status_code == 400 and "U+0000" in page.get_data(as_text=True)
    assert "需要" not in client.get("/my/demands").get_data(as_text=True)
    assert client.get("/search?q=%00").status_code == 400
