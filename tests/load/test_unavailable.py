"""A service the app depends on is down: 503 with Retry-After and a clear message, never a stack trace.

Each outage is real: a database URL, a search cluster or a Stripe address where nothing listens.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import settings as config
from market import create_app
from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.search.elastic import ElasticsearchBackend
from market.search.http import ElasticClient
from tests.deals.open_licence import world as wb
from tests.services.postgres import free_port
from tests.services.required import service_url
from tests.services.stripe_mock import StripeMock

DB_DOWN_ZH = "数据库暂时不可用，请稍后重试"


@pytest.fixture(scope="session")
def stripe_mock_url():
    yield from service_url("TEST_STRIPE_MOCK_URL", "stripe-mock", lambda: StripeMock().start())


@pytest.fixture(scope="module")
def dead_database_app(tmp_path_factory):
    """The app on a PostgreSQL address where no server listens."""
    settings = config.TestSettings(str(tmp_path_factory.mktemp("dead-db")))
    settings.SQLALCHEMY_DATABASE_URI = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/market"
    return create_app(settings)


def _no_trace(text: str) -> None:
    assert "Traceback" not in text and "psycopg" not in text and "sqlalchemy" not in text.lower()


@pytest.mark.parametrize("path", ["/patents/202010123456.2", "/open-licences", "/statistics/public"])
def test_pages_answer_503_with_retry_advice_while_the_database_is_down(dead_database_app, path):
    response = dead_database_app.test_client().get(path)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 10
    text = response.get_data(as_text=True)
    assert DB_DOWN_ZH in text and "请稍后重试。如果问题持续，请联系平台运营方。" in text
    assert response.mimetype == "text/html"
    _no_trace(text)


def test_pages_answer_in_english_when_asked(dead_database_app):
    response = dead_database_app.test_client().get("/patents/202010123456.2?lang=en")
    assert response.status_code == 503
    assert "The database is temporarily unavailable; please retry shortly" in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/patents/202010123456.2"),
                                          ("GET", "/api/v1/open-licences"),
                                          ("POST", "/api/v1/open-licences/1/take")])
def test_the_api_answers_503_in_its_error_shape_while_the_database_is_down(dead_database_app, method, path):
    response = dead_database_app.test_client().open(path, method=method,
                                                    headers={"Authorization": "Bearer psm_no_such_token"})
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 10
    assert response.get_json() == {"error": {"code": "database_unavailable", "message": DB_DOWN_ZH}}


def test_search_answers_503_when_no_index_can_answer(app, client, session):
    app.extensions["search"] = ElasticsearchBackend(ElasticClient(f"http://127.0.0.1:{free_port()}", timeout=2))
    response = client.get("/api/v1/search?q=电池")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 10
    assert response.get_json()["error"] == {"code": "search_unavailable", "message": "检索服务暂时不可用，请稍后重试"}
    page = client.get("/search?q=电池")
    assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 10 and "检索服务暂时不可用，请稍后重试" in page.get_data(as_text=True)
    _no_trace(page.get_data(as_text=True))


def _taken(client, w) -> tuple[dict, dict]:
    decl = wb.announced(w)
    headers = {"Authorization": "Bearer " + issue_api_token(w.buyer_user, "test")[1]}
    licence = client.post(f"/api/v1/open-licences/{decl.id}/take", headers=headers).get_json()
    return licence, headers


def test_checkout_answers_503_while_stripe_is_unreachable(app, client, session, monkeypatch):
    for key, value in {"PAYMENT_PROVIDER": "stripe", "STRIPE_API_KEY": "sk_test_123", "STRIPE_TIMEOUT": 2,
                       "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}"}.items():
        monkeypatch.setitem(app.config, key, value)
    licence, headers = _taken(client, wb.world())
    payment = licence["payments"][0]
    response = client.post(f"/api/v1/deals/{licence['id']}/payments/{payment['id']}/checkout", json={},
                           headers=headers)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 10
    assert response.get_json() == {"error": {"code": "payment_unavailable", "message": "支付服务暂不可用，请稍后重试"}}
    from market.payments.models import Payment

    session.expire_all()
    stored = session.get(Payment, payment["id"])
    assert (stored.status, stored.provider_ref) == ("DUE", None)


def test_checkout_by_api_opens_a_payment_intent_and_a_repeat_continues_it(app, client, session, monkeypatch,
                                                                        stripe_mock_url):
    for key, value in {"PAYMENT_PROVIDER": "stripe", "STRIPE_API_KEY": "sk_test_123",
                       "STRIPE_API_BASE": stripe_mock_url}.items():
        monkeypatch.setitem(app.config, key, value)
    licence, headers = _taken(client, wb.world())
    url = f"/api/v1/deals/{licence['id']}/payments/{licence['payments'][0]['id']}/checkout"
    first = client.post(url, json={"method": "card"}, headers=headers)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["provider"] == "stripe" and body["provider_ref"].startswith("pi_") and body["client_secret"]
    assert (body["method"], body["status"], body["instructions"]) == ("card", "DUE", None)
    again = client.post(url, json={"method": "card"}, headers=headers).get_json()
    assert (again["provider_ref"], again["client_secret"]) == (body["provider_ref"], body["client_secret"])


def test_checkout_by_api_offline_gives_the_bank_transfer(client, session):
    w = wb.world()
    w.uni.bank_account_name, w.uni.bank_name, w.uni.bank_account_no = w.uni.name, "中国工商银行上海宝山支行", "1001000000001"
    licence, headers = _taken(client, w)
    payment = licence["payments"][0]
    response = client.post(f"/api/v1/deals/{licence['id']}/payments/{payment['id']}/checkout", json={},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["provider"], body["method"]) == ("offline", "bank_transfer")
    assert body["instructions"]["amount_fen"] == 5_000_000 and body["instructions"]["currency"] == "CNY"
    assert body["instructions"]["account_number"] == "1001000000001"
    assert body["instructions"]["reference"] == body["provider_ref"]


def test_only_the_payer_checks_out(client, session):
    w = wb.world(enterprises=2)
    licence, _ = _taken(client, w)
    url = f"/api/v1/deals/{licence['id']}/payments/{licence['payments'][0]['id']}/checkout"
    seller = {"Authorization": "Bearer " + issue_api_token(w.uni_user, "test")[1]}
    stranger = {"Authorization": "Bearer " + issue_api_token(w.enterprises[1][1], "test")[1]}
    assert client.post(url, json={}, headers=seller).status_code == 403
    assert client.post(url, json={}, headers=stranger).status_code == 404
    assert client.post(url, json={}).status_code == 401
    assert client.post(f"/api/v1/deals/{licence['id']}/payments/999999/checkout", json={},
                       headers=seller).status_code == 404


def test_a_connection_lost_after_the_last_query_leaves_the_reply_as_it_was(make_app, tmp_path):
    """The connection dies between the request's last query and the session's close.

    The close's rollback then fails in a teardown, outside every error handler, and the WSGI
    server used to replace the page already made with its own bare 500 (CI's load run met it
    when PostgreSQL stopped during a slow search page)."""
    app = make_app(config.TestSettings(str(tmp_path)))
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs a server connection that another session can terminate")

    def query_then_lose_the_connection():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return "made"

    app.add_url_rule("/_probe", view_func=query_then_lose_the_connection)
    response = app.test_client().get("/_probe")
    assert response.status_code == 200 and response.get_data(as_text=True) == "made"
    with app.app_context():  # the pool replaced the dead connection; the next request is served
        assert db.session.execute(sa.text("SELECT 1")).scalar_one() == 1
