"""The app's search backend, and applying outbox entries to it after commit."""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import func, select

from listings.search import TOPIC
from market.core.db import utcnow
from market.core.extensions import db
from market.core.outbox import OutboxEntry, handles
from market.search.backend import SearchBackend, SearchError

BATCH = 2000


def init_search(app: Flask) -> None:
    """The embedded index, or an Elasticsearch cluster (with the embedded index as fallback)."""
    from market.search.embedded import EmbeddedSearch

    kind = app.config["SEARCH_BACKEND"]
    embedded = EmbeddedSearch(app.config["SEARCH_INDEX_PATH"])
    if kind == "embedded":
        app.extensions["search"] = embedded
        return
    if kind != "elasticsearch" or not app.config.get("ELASTICSEARCH_URL"):
        raise RuntimeError(f"SEARCH_BACKEND {kind!r} needs ELASTICSEARCH_URL; the backends are"
                           " 'embedded' and 'elasticsearch'")
    from market.search.elastic import ElasticsearchBackend
    from market.search.fallback import FallbackSearch
    from market.search.http import ElasticClient

    # Nothing is sent to the cluster here: the app starts even while the cluster is down.
    client = ElasticClient(app.config["ELASTICSEARCH_URL"], username=app.config.get("ELASTICSEARCH_USERNAME"),
                           password=app.config.get("ELASTICSEARCH_PASSWORD"),
                           ca_certs=app.config.get("ELASTICSEARCH_CA_CERTS"),
                           timeout=app.config.get("ELASTICSEARCH_TIMEOUT", 10.0))
    app.extensions["elasticsearch"] = client
    app.extensions["search"] = FallbackSearch(
        ElasticsearchBackend(client, prefix=app.config.get("ELASTICSEARCH_INDEX_PREFIX", "")), embedded)


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


def _published_documents():
    """Search documents of every published listing, in batches."""
    from listings.models import Listing
    from listings.search import listing_document
    from listings.vocabulary import ListingStatus

    ids = db.session.scalars(select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)
                             .order_by(Listing.id)).all()
    for start in range(0, len(ids), BATCH):
        chunk = db.session.scalars(select(Listing).where(Listing.id.in_(ids[start:start + BATCH]))
                                   .options(*document_loads())).all()
        yield [listing_document(l) for l in chunk]
        db.session.expunge_all()


def reindex() -> int:
    """Rebuild the index from the database (the outbox is then fully applied).

    A backend with `rebuild` (Elasticsearch) fills a new index behind its alias and switches
    over atomically, so searches never see a half-built index; the embedded one is cleared
    and refilled in place.
    """
    backend = search_backend()
    # Entries written while we rebuild stay pending and are applied by the next drain.
    last_entry = db.session.scalar(select(func.max(OutboxEntry.id))) or 0
    rebuild = getattr(backend, "rebuild", None)
    if rebuild is not None:
        count = rebuild(_published_documents())
    else:
        backend.clear()
        count = 0
        for docs in _published_documents():
            backend.index(docs, bulk=True)
            count += len(docs)
    # Entries another process applied to the old index during the rebuild: apply them again.
    again = db.session.scalars(select(OutboxEntry.key).where(
        OutboxEntry.topic == TOPIC, OutboxEntry.id > last_entry, OutboxEntry.processed_at.is_not(None))).all()
    if again:
        index_listings(list(dict.fromkeys(again)), True)
    db.session.execute(OutboxEntry.__table__.update().where(
        OutboxEntry.processed_at.is_(None), OutboxEntry.id <= last_entry).values(processed_at=utcnow()))
    db.session.commit()
    return count


def index_status() -> dict:
    from listings.models import Listing
    from listings.vocabulary import ListingStatus

    published = set(db.session.scalars(select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)))
    backlog = db.session.scalar(select(func.count(OutboxEntry.id)).where(OutboxEntry.processed_at.is_(None)))
    failing = db.session.scalar(select(func.count(OutboxEntry.id)).where(
        OutboxEntry.processed_at.is_(None), OutboxEntry.attempts > 0))
    backend = search_backend()
    status = {"backend": current_app.config["SEARCH_BACKEND"], "published_listings": len(published),
              "outbox_backlog": backlog, "outbox_failing": failing}
    primary = getattr(backend, "primary", None)
    if primary is not None:
        status["cluster"] = getattr(primary.client, "base", "")
        status["alias"] = primary.alias
    try:
        if primary is not None:
            status["indices"] = primary.indices()
        indexed = backend.ids()
    except SearchError as err:
        status.update(error=str(err), in_step=False)
        return status
    status.update({"indexed_documents": len(indexed), "missing_from_index": len(published - indexed),
                   "stale_in_index": len(indexed - published), "in_step": published == indexed and backlog == 0})
    return status
