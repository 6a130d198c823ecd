"""Rate limits on a real Redis: shared by app servers, and still holding while Redis is away.

Run by tests/security/test_rate_limits_on_redis.py in an interpreter of its own: the limiter is one
extension object per process, and these cases point it at a Redis they stop, which must not leak
into the rest of the suite. Each "server" is an app built afresh, as a new process builds its own
limiter and its own connection.
"""

from __future__ import annotations

import contextvars
import time

import pytest
import redis as redis_client
from flask_migrate import upgrade

from config import settings
from market import create_app
from market.core.extensions import db
from tests import factories as f
from tests.services.redis_server import RedisServer

WRONG = "wrong-Passw0rd1"


@pytest.fixture(scope="module")
def redis():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def server(redis, tmp_path, monkeypatch):
    """Build one app server on the shared Redis and SQLite database; the first also seeds the owner."""
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", redis.url)
    made = []

    def build():
        app = create_app(settings.TestSettings(str(tmp_path)))
        app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
        made.append(app)
        with app.app_context():
            if len(made) == 1:
                upgrade()
                f.user(f.organisation("限流共享大学"), email="owner@redis.test")
                db.session.commit()
        return app

    with redis_client.from_url(redis.url) as fresh:
        fresh.flushall()
    yield build
    for app in made:
        with app.app_context():
            db.engine.dispose()


def attempt(app, address: str, password: str = WRONG) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    send = client.open
    client.open = lambda *a, **k: contextvars.Context().run(send, *a, **k)
    token = f.csrf_token(client)
    return client.post("/login", data={"email": "owner@redis.test", "password": password,
                                       "csrf_token": token}).status_code


def test_a_second_server_sees_the_failed_logins_counted_by_the_first(server):
    first = server()
    assert [attempt(first, f"198.51.100.{n}") for n in range(1, 7)] == [422] * 6
    second = server()  # its own limiter and connection, as another process has
    codes = [attempt(second, f"198.51.100.{n}") for n in range(7, 13)]
    # 4 more failures reach the account's limit of 10; with per-process memory it would take 10.
    assert codes == [422] * 4 + [429, 429]


def test_while_redis_is_away_logins_answer_and_the_limits_still_hold(server, redis):
    app = server()
    assert attempt(app, "198.51.100.1") == 422
    redis.pause()
    try:
        codes = [attempt(app, f"198.51.100.{n}") for n in range(2, 14)]
    finally:
        redis.start()
    # Never a 500: every attempt is answered, and the account is throttled from this process's memory.
    assert 500 not in codes and codes[-2:] == [429, 429], codes
    # Back on Redis once it answers again: the limiter rechecks it with a growing pause (1 s, 2 s, 4 s…).
    back = redis_client.from_url(redis.url)
    deadline = time.monotonic() + 40
    while not back.keys("LIMITS*") and time.monotonic() < deadline:
        assert attempt(app, "203.0.113.9") in (422, 429)
        time.sleep(0.5)
    assert back.keys("LIMITS*"), "the limiter never returned to Redis"
    back.close()
