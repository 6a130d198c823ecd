"""The declarative base, shared column helpers and the naming convention Alembic needs."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# On SQLite, a transaction that will write takes the write lock when it begins (BEGIN IMMEDIATE),
# where the busy timeout makes it wait its turn. One that reads first and writes later would
# otherwise fail at once with "database is locked" when another writer committed in between
# (SQLite cannot wait in that case): concurrent clicks on one licence, or ten parallel API writes
# whose rate limiter looked the token up before the view ran. Requests that change data (POST,
# PUT, PATCH, DELETE) write from their first statement on, whatever runs first; WRITE_INTENT marks
# other work that will write (the audit log of an export, a GET).
WRITE_INTENT: ContextVar[bool] = ContextVar("write_intent", default=False)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long a writer waits for the one before it on SQLite, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def intends_to_write() -> bool:
    """Whether the transaction about to begin belongs to work that changes data."""
    if WRITE_INTENT.get():
        return True
    return has_request_context() and request.method not in READ_METHODS


@contextmanager
def write_intent():
    """Transactions begun inside take the write lock at once (for a GET that must write: an audit entry)."""
    token = WRITE_INTENT.set(True)
    try:
        yield
    finally:
        WRITE_INTENT.reset(token)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timestamps are stored in UTC; legal dates are plain dates in Asia/Shanghai."""
    return datetime.now(UTC).replace(tzinfo=None)


def tune_sqlite(engine) -> None:
    """Make SQLite behave like the server databases the code also runs on.

    pysqlite opens transactions lazily and on its own terms, which breaks SAVEPOINT (used for
    each import row); we take over BEGIN ourselves, as the SQLAlchemy documentation advises.
    Foreign keys are off by default in SQLite and WAL lets readers work during a write.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if intends_to_write() else "BEGIN")


def transaction_memo(session: Session | scoped_session, name: str) -> dict:
    """A dict that lives as long as the session's current transaction: what this transaction holds
    (its row locks) or has read once (a registration, which the ORM would not read afresh within
    the transaction anyway). A commit or rollback starts a new transaction, and an empty memo.

    The innermost savepoint counts as a transaction of its own: rolling one back releases the row
    locks taken in it (PostgreSQL), so nothing learnt inside a savepoint outlives it.
    """
    if isinstance(session, scoped_session):  # db.session: the request's own Session
        session = session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    memo = session.info.get(name)
    if memo is None or memo[0] is not transaction:
        memo = session.info[name] = (transaction, {})
    return memo[1]
