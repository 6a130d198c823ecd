"""The outbox: side effects written in the same transaction as the change, applied after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.db import Base, utcnow


class OutboxEntry(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    processed_at: Mapped[datetime | None] = mapped_column(index=True)


def enqueue(session: Session, topic: str, obj) -> None:
    """Queue `obj` (anything with an `id` once flushed) for `topic`; the row is written at commit.

    Writing the outbox row at commit time spares a flush per change (an import of 10,000
    listings would otherwise flush 10,000 times to learn their ids).
    """
    session.info.setdefault("outbox", []).append((topic, obj))


@event.listens_for(Session, "before_commit")
def _write_queued(session: Session) -> None:
    queued = session.info.pop("outbox", None)
    if not queued:
        return
    session.flush()
    written: set[tuple[str, int]] = set()
    for topic, obj in queued:
        # A change undone by its savepoint leaves an object that is no longer persistent.
        if not inspect(obj).persistent or (topic, obj.id) in written:
            continue
        written.add((topic, obj.id))
        session.add(OutboxEntry(topic=topic, key=str(obj.id)))


@event.listens_for(Session, "after_rollback")
def _forget_queued(session: Session) -> None:
    session.info.pop("outbox", None)
