"""The outbox: side effects written in the same transaction as the change, applied after commit."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Callable

from flask import g, has_request_context
from sqlalchemy import String, and_, event, func, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.core.db import Base, utcnow
from market.core.extensions import db

log = logging.getLogger(__name__)
BATCH = 2000
# topic → handler(keys, bulk); features register theirs (search indexing, match notices).
HANDLERS: dict[str, Callable[[list[str], bool], None]] = {}
# topic → (consecutive failures, monotonic time before which requests leave it alone).
_BACKOFF: dict[str, tuple[int, float]] = {}
MAX_BACKOFF = 300.0


class OutboxEntry(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    # Set when the entry can never be applied as it stands (a dead letter): it is no longer tried,
    # holds nothing else up, and waits with its error for `flask mail status` / `flask mail retry`.
    parked_at: Mapped[datetime | None] = mapped_column(index=True)



class PermanentError(Exception):
    """Raised by a handler for entries that can never be applied as they stand (bad data).

    `keys` names them when the handler applied every other key of its batch; without keys the
    outbox tries the batch's keys one by one to find the bad ones.
    """

    def __init__(self, message: str, keys: list[str] | None = None) -> None:
        super().__init__(message)
        self.keys = keys


def handles(topic: str):
    """Register the function that applies the outbox entries of `topic` (idempotently)."""
    def register(fn: Callable[[list[str], bool], None]):
        HANDLERS[topic] = fn
        return fn
    return register


def enqueue(session: Session, topic: str, obj) -> None:
    """Queue `obj` (anything with an `id` once flushed) for `topic`; the row is written at commit.

    Writing the outbox row at commit time spares a flush per change (an import of 10,000
    listings would otherwise flush 10,000 times to learn their ids).
    """
    session.info.setdefault("outbox", []).append((topic, obj))
    _ask_for_processing()


def _ask_for_processing() -> None:
    """Process the outbox once this request has committed (a rolled-back one leaves nothing)."""

    if has_request_context():
        g.outbox_pending = True


class OutboxError(RuntimeError):
    """Some entries could not be applied; they stay pending and are retried."""


def process_outbox(limit: int | None = None, *, bulk: bool = False, backoff: bool = False) -> int:
    """Apply pending entries topic by topic, in batches; returns how many were applied.

    A failing topic (say, the search node is down) does not hold up the others; its entries
    keep their place with the error noted, and OutboxError is raised at the end.
    `bulk` (command line only) lets handlers use several processes for big batches.
    With `backoff` (after each request), a topic that failed is left alone for 1, 2, 4, …
    up to 300 seconds, so that requests do not each wait on a service that is down.
    Handlers are idempotent: applying an entry twice leaves the same state.
    """

    done, failed = 0, []
    while True:
        before = done
        for topic, handler in list(HANDLERS.items()):
            if topic in failed or (backoff and _BACKOFF.get(topic, (0, 0.0))[1] > time.monotonic()):
                continue
            while limit is None or done < limit:
                # On PostgreSQL concurrent workers skip each other's batches instead of doing them
                # twice (SQLite has one writer and ignores the clause).
                entries = db.session.scalars(
                    select(OutboxEntry).where(OutboxEntry.topic == topic, OutboxEntry.processed_at.is_(None),
                                              OutboxEntry.parked_at.is_(None))
                    .order_by(OutboxEntry.id).limit(BATCH).with_for_update(skip_locked=True)).all()
                if not entries:
                    break
                try:
                    handler(list(dict.fromkeys(e.key for e in entries)), bulk)
                except PermanentError as err:
                    # Bad data in some entries: park them with their error, apply the others.
                    db.session.rollback()
                    done += _apply_around_dead_letters(topic, handler, [e.id for e in entries], err, bulk)
                    continue
                except Exception as err:
                    db.session.rollback()
                    log.exception("outbox topic %s failed", topic)
                    for e in db.session.scalars(select(OutboxEntry).where(
                            OutboxEntry.id.in_([e.id for e in entries]))):
                        e.attempts += 1
                        e.last_error = str(err)[:500]
                    db.session.commit()
                    failed.append(topic)
                    count = _BACKOFF.get(topic, (0, 0.0))[0] + 1
                    _BACKOFF[topic] = (count, time.monotonic() + min(MAX_BACKOFF, 2.0 ** (count - 1)))
                    break
                _BACKOFF.pop(topic, None)
                now = utcnow()
                for e in entries:
                    e.processed_at = now
                db.session.commit()
                done += len(entries)
        # A handler may queue entries of a topic already passed (a notice queues its e-mail).
        if done == before or (limit is not None and done >= limit):
            break
    if failed:
        raise OutboxError(f"outbox topics failed: {', '.join(failed)}")
    return done


def _apply_around_dead_letters(topic: str, handler, ids: list[int], err: PermanentError, bulk: bool) -> int:
    """Park the entries `err` is about and apply the rest of the batch; returns how many were applied."""
    entries = db.session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(ids))).all()
    now = utcnow()
    if err.keys is not None:
        bad = {str(k): str(err) for k in err.keys}
    else:  # find the bad keys: each key alone
        bad = {}
        for key in dict.fromkeys(e.key for e in entries):
            try:
                handler([key], bulk)
            except PermanentError as one:
                bad[key] = str(one)
            except Exception as one:  # not bad data: left pending, retried as usual
                bad[key] = ""
                log.warning("outbox topic %s key %s failed: %s", topic, key, one)
    applied = 0
    for e in entries:
        if e.key not in bad:
            e.processed_at = now
            applied += 1
        elif bad[e.key]:
            e.attempts += 1
            e.last_error = bad[e.key][:500]
            e.parked_at = now
            log.error("outbox topic %s entry %s parked: %s", topic, e.id, bad[e.key])
    db.session.commit()
    return applied


def outbox_status(topic_prefix: str = "") -> dict:
    """Pending, failing and parked entries per topic, and the parked ones with their errors."""
    is_parked = OutboxEntry.parked_at.is_not(None)
    is_failing = and_(OutboxEntry.parked_at.is_(None), OutboxEntry.attempts > 0)
    rows = db.session.execute(
        select(OutboxEntry.topic, func.count(), func.count().filter(is_failing), func.count().filter(is_parked))
        .where(OutboxEntry.processed_at.is_(None), OutboxEntry.topic.startswith(topic_prefix))
        .group_by(OutboxEntry.topic))
    counts = {topic: {"pending": total - failing - parked, "failing": failing, "parked": parked}
              for topic, total, failing, parked in rows}
    parked = db.session.scalars(select(OutboxEntry).where(
        OutboxEntry.parked_at.is_not(None), OutboxEntry.processed_at.is_(None),
        OutboxEntry.topic.startswith(topic_prefix)).order_by(OutboxEntry.id).limit(100)).all()
    return {"topics": counts, "parked": [{"id": e.id, "topic": e.topic, "key": e.key, "attempts": e.attempts,
                                           "parked_at": e.parked_at, "error": e.last_error} for e in parked]}


def retry_parked(ids: list[int] | None = None, topic_prefix: str = "") -> int:
    """Put parked entries back in the queue (after the data was fixed); returns how many."""
    query = select(OutboxEntry).where(OutboxEntry.parked_at.is_not(None), OutboxEntry.processed_at.is_(None),
                                      OutboxEntry.topic.startswith(topic_prefix))
    if ids:
        query = query.where(OutboxEntry.id.in_(ids))
    entries = db.session.scalars(query).all()
    for e in entries:
        e.parked_at, e.attempts = None, 0
    return len(entries)


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


@event.listens_for(Session, "after_soft_rollback")
def _forget_queued(session: Session, previous_transaction) -> None:
    # Only the whole transaction's rollback forgets the queue. A savepoint's rollback (a refused
    # row of an import, a demo declaration the checks refuse) keeps what the outer transaction
    # queued; what the savepoint itself undid is skipped at commit, being no longer persistent.
    if not previous_transaction.nested:
        session.info.pop("outbox", None)
