"""The declarative base, shared column helpers and the naming convention Alembic needs."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Set for requests that change data (POST, PUT, PATCH, DELETE): on SQLite their transactions
# take the write lock when they begin. A transaction that reads first and writes later would
# otherwise fail at once with "database is locked" when another writer committed in between
# (SQLite cannot wait in that case), which concurrent clicks on one licence do all the time.
WRITE_INTENT: ContextVar[bool] = ContextVar("write_intent", default=False)


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
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if WRITE_INTENT.get() else "BEGIN")
