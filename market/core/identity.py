"""Which database this is: a random identity written once, when the schema is first built.

Everything kept outside the database that describes its rows (the search index, above all)
records this identity, so that an index built from one database is never read as another's:
pointing DATABASE_URL at a new database with the same instance folder would otherwise show the
old database's listings, each a 404 when opened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, select
from sqlalchemy.orm import Mapped, mapped_column

from market.core.db import Base, utcnow
from market.core.extensions import db


class DatabaseIdentity(Base):
    """One row, written by migration 0021 with a fresh UUID (restoring a backup keeps it)."""

    __tablename__ = "database_identity"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def database_identity() -> str | None:
    """This database's identity, or None when its schema predates migration 0021."""
    return db.session.scalar(select(DatabaseIdentity.value).where(DatabaseIdentity.id == 1))
