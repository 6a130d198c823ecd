"""The app's search backend, and applying outbox entries to it after commit."""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy import func, select

from listings.search import TOPIC
from market.db import utcnow
from market.extensions import db
from market.outbox import OutboxEntry, handles
from market.search.backend import SearchBackend

log = logging.getLogger(__name__)
BATCH = 2000


def init_search(app: Flask) -> None:
    kind = app.config["SEARCH_BACKEND"]
    if kind != "embedded":
        raise RuntimeError(f"unknown SEARCH_BACKEND {kind!r}; this build has 'embedded'")
    from market.search.embedded import EmbeddedSearch

    app.extensions["search"] = EmbeddedSearch(app.config["SEARCH_INDEX_PATH"])


def document_loads() -> tuple:
    """Everything listing_document reads, loaded in a few queries instead of one per listing."""
    from sqlalchemy.orm import joinedload, selectinload

    from listings.models import Listing, Patent, PatentOwner

    return (selectinload(Listing.patent).selectinload(Patent.owners).joinedload(PatentOwner.organisation),
            joinedload(Listing.organisation), joinedload(Listing.point))


def search_backend() -> SearchBackend:
    return current_app.extensions["search"]


@handles(TOPIC)
def index_listings(keys: list[str], bulk: bool) -> None:
    """Bring the index in step with these listings: published ones in, the others out."""
    from listings.models import Listing
    from listings.search import is_searchable, listing_document

    ids = sorted(int(k) for k in keys)
    listings = {l.id: l for l in db.session.scalars(select(Listing).where(Listing.id.in_(ids))
                                                     .options(*document_loads()))}
    backend = search_backend()
    backend.index([listing_document(listings[i]) for i in ids if is_searchable(listings.get(i))], bulk=bulk)
    backend.delete([i for i in ids if not is_searchable(listings.get(i))])


def reindex() -> int:
    """Rebuild the embedded index from the database (the outbox is then fully applied)."""
    from listings.models import Listing
    from listings.search import listing_document
    from listings.vocabulary import ListingStatus

    backend = search_backend()
    # Entries written while we rebuild stay pending and are applied by the next drain.
    last_entry = db.session.scalar(select(func.max(OutboxEntry.id))) or 0
    backend.clear()
    count = 0
    ids = db.session.scalars(select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)
                             .order_by(Listing.id)).all()
    for start in range(0, len(ids), BATCH):
        chunk = db.session.scalars(select(Listing).where(Listing.id.in_(ids[start:start + BATCH]))
                                   .options(*document_loads())).all()
        backend.index([listing_document(l) for l in chunk], bulk=True)
        count += len(chunk)
        db.session.expunge_all()
    db.session.execute(OutboxEntry.__table__.update().where(
        OutboxEntry.processed_at.is_(None), OutboxEntry.id <= last_entry).values(processed_at=utcnow()))
    db.session.commit()
    return count


def index_status() -> dict:
    from listings.models import Listing
    from listings.vocabulary import ListingStatus

    published = set(db.session.scalars(select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)))
    indexed = search_backend().ids()
    backlog = db.session.scalar(select(func.count(OutboxEntry.id)).where(OutboxEntry.processed_at.is_(None)))
    return {"published_listings": len(published), "indexed_documents": len(indexed),
            "missing_from_index": len(published - indexed), "stale_in_index": len(indexed - published),
            "outbox_backlog": backlog, "in_step": published == indexed and backlog == 0}
