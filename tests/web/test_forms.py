"""Forms keep every input and show every error beside its field at once, in the page's language (issue 15 #6)."""

from __future__ import annotations

import re

import pytest

from market.core.extensions import db
from tests import factories as f


@pytest.fixture
def enterprise(app):
    with app.test_request_context():
        user = f.user(f.organisation("沪东电池有限公司", org_type="PRIVATE"))
        db.session.commit()
        return user.email


def _post_demand(client, lang="zh", **overrides):
    data = {"csrf_token": f.csrf_token(client, "/demands/new"), "title": "需要耐高温锂电池隔膜",
            "problem": "现有隔膜高温收缩导致短路，寻求耐高温隔膜技术方案。", "budget_min": "10", "budget_max": "50",
            "modes": ["LICENSE_ORDINARY"], "visibility": "PUBLIC", "timeline": "半年内"}
    data.update(overrides)
    return client.post(f"/demands/new?lang={lang}", data=data)


def _error_of(page: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="err-{name}">(.*?)</p>', page, re.S)
    assert match, f"no error shown beside {name}"
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_a_chinese_page_shows_length_limits_in_chinese_with_the_limit(client, enterprise):
    f.login(client, enterprise)
    page = _post_demand(client, problem="太短").get_data(as_text=True)
    error = _error_of(page, "problem")
    assert "10" in error and "5,000" in error
    assert not re.search(r"[A-Za-z]{3,}", error), error  # no marshmallow English in a Chinese page


def test_an_english_page_shows_the_same_error_in_english(client, enterprise):
    f.login(client, enterprise)
    page = _post_demand(client, lang="en", problem="太短").get_data(as_text=True)
    error = _error_of(page, "problem")
    assert "10" in error and "5,000" in error and not re.search(r"[\u4e00-\u9fff]", error), error


def test_a_too_large_budget_says_too_large_and_names_the_limit(client, enterprise):
    f.login(client, enterprise)
    page = _post_demand(client, budget_max="99999999").get_data(as_text=True)
    error = _error_of(page, "budget_max")
    assert "过大" in error and "过小" not in error
    assert "10,000,000" in error  # the limit, in the 万元 the field is typed in


def test_every_error_shows_at_once_and_every_input_stays(client, enterprise):
    f.login(client, enterprise)
    page = _post_demand(client, title="x", problem="太短", budget_max="abc", timeline="一年内").get_data(as_text=True)
    for name in ("title", "problem", "budget_max"):
        _error_of(page, name)
    assert 'value="x"' in page and ">太短</textarea>" in page and 'value="abc"' in page and 'value="一年内"' in page


def test_the_api_says_too_large_not_too_small(client, app, enterprise):
    from market.accounts.models import User
    from market.accounts.services import issue_api_token

    with app.test_request_context():
        token = issue_api_token(db.session.query(User).filter_by(email=enterprise).one(), "t")[1]
        db.session.commit()
    response = client.post("/api/v1/demands", headers={"Authorization": f"Bearer {token}"}, json={
        "title": "需要耐高温锂电池隔膜", "problem": "现有隔膜高温收缩导致短路，寻求耐高温隔膜技术方案。",
        "budget_max_fen": 10**14})
    message = str(response.get_json()["error"]["fields"]["budget_max_fen"])
    assert response.status_code == 422 and "过大" in message and "过小" not in message


def _register(client, lang="zh", **overrides):
    data = {"csrf_token": f.csrf_token(client, "/register"), "name": "新注册科技有限公司", "org_type": "PRIVATE",
            "uscc": "", "address": "上海市宝山区新路1号", "contact_name": "王经理", "user_name": "王经理",
            "email": "new@example.test", "password": "short"}
    data.update(overrides)
    return client.post(f"/register?lang={lang}", data=data)


def test_registration_shows_every_problem_in_one_submit(client, app):
    with app.test_request_context():
        f.user(f.organisation("已注册大学"), email="taken@example.test")
        db.session.commit()
    page = _register(client, email="taken@example.test", name="已注册大学").get_data(as_text=True)
    # A weak password, a missing credit code, a name and an e-mail already registered: all four at once.
    for name in ("password", "uscc", "name", "email"):
        _error_of(page, name)
    assert 'value="上海市宝山区新路1号"' in page and 'value="taken@example.test"' in page


def test_registration_on_an_english_page_speaks_english(client):
    page = _register(client, lang="en", name="x").get_data(as_text=True)
    error = _error_of(page, "name")
    assert "2" in error and not re.search(r"[\u4e00-\u9fff]", error), error


@pytest.fixture
def patentee(app):
    with app.test_request_context():
        uni = f.organisation("沪北理工大学")
        point = f.point()
        user = f.user(uni)
        db.session.commit()
        return {"email": user.email, "point_id": point.id}


def test_a_new_listing_shows_every_patent_and_offer_problem_at_once(client, patentee):
    f.login(client, patentee["email"])
    page = client.post("/listings/new", data={
        "csrf_token": f.csrf_token(client, "/listings/new"), "application_number": "2020100012345.1",
        "title": "", "filing_date": "2020-13-01", "ipc": "zzz", "asking_price_yuan": "999999999999999",
        "modes": ["TRANSFER"], "point_id": str(patentee["point_id"]), "abstract": "保留的摘要"}).get_data(as_text=True)
    for name in ("application_number", "title", "filing_date", "ipc", "asking_price_yuan"):
        _error_of(page, name)
    assert "过大" in _error_of(page, "asking_price_yuan") and "100,000,000,000" in _error_of(page, "asking_price_yuan")
    assert 'value="2020100012345.1"' in page and "保留的摘要" in page and 'value="zzz"' in page
