"""Shared fixtures: one app per test session, each test inside a rolled-back transaction.

The database is SQLite by default; set TEST_DATABASE_URL to run the same suite on PostgreSQL
(`.ci/run` does both). The schema is built by the Alembic migrations, so they are tested too.
"""

from __future__ import annotations

import contextlib
import contextvars
from pathlib import Path

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug import security

from config.settings import TestSettings
from market import create_app
from market.core.extensions import db, limiter
from market.search.embedded import EmbeddedSearch

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (../shared/data is absent)")
    return path


# scrypt, werkzeug's default, costs a quarter to half a second per hash (and per check) here, and
# the suite creates and logs in thousands of users: most of a deal test's time went there. werkzeug
# checks any hash by the method named in it, so every code path stays the real one; the default
# method itself is tested in tests/accounts/test_accounts.py.
QUICK_HASH_METHOD = "pbkdf2:sha256:1000"


def quick_hash(password: str) -> str:
    return security.generate_password_hash(password, method=QUICK_HASH_METHOD)


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes():
    """For the whole session, session fixtures (the browser tests' seeded app) included."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("market.accounts.auth.generate_password_hash", quick_hash)
        yield


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(TestSettings(str(instance)))
    with app.app_context():
        from flask_migrate import upgrade

        if db.engine.dialect.name == "postgresql":
            # A clean schema for each run on the throwaway test server.
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter's own cleanup


@pytest.fixture
def make_app():
    """Build an app of the test's own; its pooled connections are closed when the test ends.

    An app left to the garbage collector drops its open PostgreSQL connections at a random later
    moment, and psycopg's ResourceWarning then fails whichever test happens to be running.
    """
    made = []

    def build(settings):
        made.append(create_app(settings))
        return made[-1]

    yield build
    for built in made:
        with built.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(request, tmp_path):
    """Run the test in a transaction that is rolled back; give it an empty search index.

    Pure unit tests (no app, client or session fixture) skip all of this.
    """
    if not {"app", "client", "session", "runner"} & set(request.fixturenames):
        yield
        return
    with isolated(request.getfixturevalue("app"), tmp_path):
        yield


@contextlib.contextmanager
def isolated(app, tmp_path: Path):
    """Everything inside runs in one transaction that is rolled back at the end, commits included."""
    # No app context stays pushed during the test: Flask would reuse it for every request
    # of the test client, and `g` (CSRF token, language) would leak from one request to the next.
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    original_search = app.extensions.get("search")
    # A plain Session: Flask-SQLAlchemy's own picks the engine in get_bind and would
    # bypass the connection holding the outer transaction.
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id)
    app.extensions["search"] = EmbeddedSearch(str(tmp_path / "search.sqlite3"))
    limiter.reset()
    try:
        yield
    finally:
        # Each request's session was closed when its app context ended (Flask-SQLAlchemy).
        with app.app_context():
            db.session.remove()
        db.session = original
        app.extensions["search"] = original_search
        outer.rollback()
        connection.close()


@pytest.fixture
def session(app):
    """The database session (inside the test's rolled-back transaction)."""
    with app.test_request_context():
        yield db.session


@pytest.fixture
def client(app):
    """A test client whose requests get their own app context, like real ones.

    Flask reuses an app context that is already pushed (the `session` fixture holds one), and
    `g` (Flask-Login's user, the language, the CSRF token) would then leak between requests.
    Running each request in an empty contextvars.Context gives it a context of its own.
    """
    client = app.test_client()
    send = client.open

    def open_fresh(*args, **kwargs):
        return contextvars.Context().run(send, *args, **kwargs)

    client.open = open_fresh
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
