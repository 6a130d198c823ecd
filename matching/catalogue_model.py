"""The catalogue's field model, built when the index is built or the app starts serving — never on a user's request.

Training the field model (matching.field_model) reads and segments a few thousand abstracts: about
a second at 10,000 listings, 6–10 s at 100,000. A request that had to wait for it would be the
first enterprise of the day waiting ten seconds, so the model is built:

- when the app starts serving: its first request starts a background thread and goes on (an app
  that only runs a command — `flask db upgrade`, `flask demo seed`, `flask routes` — serves
  nothing and builds nothing: it would read tables a migration is changing, for a model it drops);
- when `flask search reindex` or the demo seed rebuilds the index (in that command, which waits);
- when the index changes through the outbox and the published catalogue has grown or shrunk by
  more than FIELD_MODEL_DRIFT since the model was built (in a background thread);
- when a request finds the catalogue drifted (another worker process published listings): it
  starts a background build and goes on with the model it has.

A request never trains: it takes the model built for its search index, or waits a bounded time
(MATCHING_MODEL_WAIT seconds) for a build already under way. Models are kept per search backend
object, so that each index (one per app, one per test) has the model of its own catalogue.

`MATCHING_MODEL_BACKGROUND = False` (tests) builds in the caller's thread at those same points
instead of in a thread: a test's database lives in one uncommitted transaction that another
thread cannot share. Requests still never build.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import func, select

from listings.models import Listing, Patent
from listings.signals import catalogue_indexed
from listings.vocabulary import ListingStatus
from market.core.extensions import db
from market.search.service import search_backend
from matching.field_model import FieldModel, sample_step, train_field_model

log = logging.getLogger(__name__)

# The model is learnt again when the published catalogue has grown or shrunk by this share.
FIELD_MODEL_DRIFT = 0.1


@dataclass
class _Entry:
    count: int = 0
    model: FieldModel | None = None
    building: threading.Thread | None = None


_entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _entry(backend) -> _Entry:
    with _lock:
        entry = _entries.get(backend)
        if entry is None:
            entry = _entries[backend] = _Entry()
        return entry


def published_count() -> int:
    return db.session.scalar(select(func.count(Listing.id)).where(Listing.status == ListingStatus.PUBLISHED)) or 0


def train_from_catalogue() -> tuple[int, FieldModel | None]:
    """(published listings, model of every n-th of them); (0, None) for an empty catalogue."""
    published = Listing.status == ListingStatus.PUBLISHED
    count = published_count()
    if not count:
        return 0, None
    step = sample_step(count)
    ids = db.session.scalars(select(Listing.id).where(published).order_by(Listing.id)).all()[::step]
    rows = []
    for start in range(0, len(ids), 1000):
        rows += db.session.execute(
            select(Patent.title, Patent.abstract, Patent.ipc_all).join(Listing, Listing.patent_id == Patent.id)
            .where(Listing.id.in_(ids[start:start + 1000])).order_by(Listing.id)).all()
    return count, train_field_model((f"{title}\n{abstract or ''}", ipc or []) for title, abstract, ipc in rows)


def build_now(backend=None) -> FieldModel | None:
    """Build the model of the current app's catalogue in this thread (commands, tests, the warm-up)."""
    backend = backend or search_backend()
    count, model = train_from_catalogue()
    entry = _entry(backend)
    with _lock:
        entry.count, entry.model = count, model
    return model


def _build_in_background(app: Flask, backend) -> None:
    """Start one background build for this index, unless one is running."""
    entry = _entry(backend)
    with _lock:
        if entry.building is not None and entry.building.is_alive():
            return

        def run() -> None:
            try:
                with app.app_context():
                    try:
                        build_now(backend)
                    finally:
                        db.session.remove()
            except Exception as err:  # the old model stays; the next change or start tries again
                # (at the start of a command such as `flask db upgrade` the tables may not exist yet)
                log.warning("matching: the catalogue model was not built: %s", str(err).splitlines()[0][:200])

        entry.building = threading.Thread(target=run, name="field-model", daemon=True)
        entry.building.start()


def refresh(app: Flask | None = None) -> None:
    """Build the model again if the catalogue drifted from it: in a thread, or here in test mode."""
    app = app or current_app._get_current_object()
    backend = app.extensions["search"]
    entry = _entry(backend)
    count = published_count()
    if entry.model is not None and abs(count - entry.count) <= FIELD_MODEL_DRIFT * entry.count:
        return
    if entry.model is None and not count:
        return
    if app.config.get("MATCHING_MODEL_BACKGROUND", True):
        _build_in_background(app, backend)
    else:
        build_now(backend)


def warm_when_serving(app: Flask) -> None:
    """Registered by the factory: the first request the app serves starts a background build."""
    if not (app.config.get("MATCHING_WARM_AT_START", True) and app.config.get("MATCHING_MODEL_BACKGROUND", True)):
        return
    started = threading.Event()

    @app.before_request
    def _warm() -> None:
        if not started.is_set():  # two first requests at once start one build (_build_in_background)
            started.set()
            _build_in_background(app, app.extensions["search"])


@catalogue_indexed.connect
def _on_catalogue_indexed(sender, rebuilt: bool = False, **_: object) -> None:
    """The index changed: a rebuilt index gets its model at once, a changed one when it drifted."""
    if rebuilt:
        build_now()
    else:
        refresh()


def field_model() -> FieldModel | None:
    """The field model of this app's catalogue, for a request: never trained here.

    Waits (at most MATCHING_MODEL_WAIT seconds) for a build under way when there is no model yet;
    with the catalogue drifted, asks for a background build and answers with the model it has.
    """
    app = current_app._get_current_object()
    backend = app.extensions["search"]
    entry = _entry(backend)
    background = app.config.get("MATCHING_MODEL_BACKGROUND", True)
    if background:
        count = published_count()
        stale = entry.model is None or abs(count - entry.count) > FIELD_MODEL_DRIFT * entry.count
        if stale and count:
            _build_in_background(app, backend)
        building = entry.building
        if entry.model is None and building is not None:
            building.join(timeout=float(app.config.get("MATCHING_MODEL_WAIT", 20.0)))
    return entry.model
