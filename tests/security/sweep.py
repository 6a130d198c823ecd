"""Visit routes as the world's actors, each request undone afterwards, and say what it changed.

Every request runs inside a SAVEPOINT of the test's connection that is rolled back after it, and
each actor's session cookie is put back before each request: the requests are independent of
each other and of their order (a logout, a password change or an accepted offer leaves nothing
behind). The database is compared with the world as built, table by table, row by row.
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from market.core import outbox
from market.core.extensions import db, limiter
from tests import factories as f
from tests.security.world import World

# Bookkeeping that changes on reads or logins, not the state an action may change.
VOLATILE = {("api_tokens", "last_used_at"), ("users", "last_login_at")}
LOGIN = "L"  # a 302 to the login page


@dataclass(frozen=True)
class Outcome:
    status: int | str  # the status, or LOGIN for a redirect to the login page
    changed: list[str]  # the tables whose rows differ from the world's
    location: str = ""
    body: str = ""
    headers: dict = field(default_factory=dict)
    mimetype: str = ""


def fresh_client(app):
    """A test client whose every request runs in a context of its own (like the `client` fixture)."""
    client = app.test_client()
    send = client.open
    client.open = lambda *a, **k: contextvars.Context().run(send, *a, **k)
    return client


class Sweep:
    def __init__(self, app, world: World) -> None:
        self.app = app
        self.world = world
        self.connection = db.session.session_factory.kw["bind"]
        self.clients: dict[str, tuple] = {}
        self.queries, digests = [], []
        for table in db.metadata.sorted_tables:
            columns = ", ".join(c.name for c in table.columns if (table.name, c.name) not in VOLATILE)
            order = ", ".join(c.name for c in table.primary_key.columns) or "1"
            self.queries.append((table.name, f"SELECT {columns} FROM {table.name} ORDER BY {order}"))
            digests.append(f"(SELECT md5(coalesce(string_agg(ROW({columns})::text, '|' ORDER BY {order}), '')) "
                           f"FROM {table.name})")
        self.digest = ("SELECT " + ", ".join(digests)) if self.connection.dialect.name == "postgresql" else None
        self.baseline = self.snapshot()

    # -- the database ------------------------------------------------------------------------
    def snapshot(self) -> dict[str, list]:
        # Straight through the driver's cursor: a thousand snapshots, thirty tables each. On
        # PostgreSQL one statement digests every table on the server (one round trip, not thirty).
        cursor = self.connection.connection.cursor()
        try:
            if self.digest is not None:
                cursor.execute(self.digest)
                return {name: [value] for (name, _), value in zip(self.queries, cursor.fetchone(), strict=True)}
            tables = {}
            for name, query in self.queries:
                cursor.execute(query)
                tables[name] = [tuple(r) for r in cursor.fetchall()]
            return tables
        finally:
            cursor.close()

    def changed_tables(self) -> list[str]:
        now = self.snapshot()
        return sorted(name for name, rows in now.items() if rows != self.baseline.get(name))

    # -- the actors ----------------------------------------------------------------------------
    def client(self, actor: str):
        """The actor's client, its session cookie and CSRF token (logged in once, through the form)."""
        if actor not in self.clients:
            client = fresh_client(self.app)
            person = self.world.actors[actor]
            if person.email:
                f.login(client, person.email)
            token = f.csrf_token(client, "/account" if person.email else "/login")
            self.clients[actor] = (client, client.get_cookie("session").value, token)
        return self.clients[actor]

    def request(self, actor: str, method: str, path: str, body: dict | None = None, *,
                check: bool | None = None, csrf: bool = True) -> Outcome:
        """One request as `actor`, then undone; HTML forms get the CSRF token (unless `csrf` is False),
        the API a bearer token.

        The outbox's side effects (search index, e-mail) are not run: only the database is looked at,
        and the outbox rows a request writes are in it. `check` compares the database with the
        world's (by default for every method but GET).
        """
        client, cookie, token = self.client(actor)
        client.set_cookie("session", cookie)
        limiter.reset()  # the sweep logs in and posts far more often than any limit allows
        kwargs: dict = {}
        if path.startswith("/api/"):
            bearer = self.world.actors[actor].token
            if bearer:
                kwargs["headers"] = {"Authorization": f"Bearer {bearer}"}
            if method not in ("GET", "HEAD"):
                kwargs["json"] = body or {}
        elif method not in ("GET", "HEAD"):
            kwargs["data"] = {**(body or {}), **({"csrf_token": token} if csrf else {})}
        savepoint = self.connection.begin_nested()
        handlers = dict(outbox.HANDLERS)
        outbox.HANDLERS.clear()
        try:
            response = client.open(path, method=method, buffered=True, **kwargs)
            changed = self.changed_tables() if (method != "GET" if check is None else check) else []
        finally:
            outbox.HANDLERS.update(handlers)
            savepoint.rollback()
        status: int | str = response.status_code
        location = response.headers.get("Location", "")
        if status == 302 and urlsplit(location).path == "/login":
            status = LOGIN
        return Outcome(status, changed, location, _text(response), dict(response.headers), response.mimetype)


def _text(response) -> str:
    if response.mimetype not in ("text/html", "application/json"):
        return ""
    return re.sub(r"\s+", " ", response.get_data(as_text=True))[:20_000]


def fill(value, ids: dict):
    """A path or body with the world's ids put in; a value that is one whole "{name}" keeps the id's type
    (JSON bodies want integers)."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value
