"""The one search document per listing, its index updates through the outbox, and full rebuilds."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from listings.classification import parse_ipc
from listings.models import Listing, ListingPatent, Patent, PatentOwner
from listings.signals import catalogue_indexed
from listings.vocabulary import ListingStatus
from market.core.db import utcnow
from market.core.extensions import db
from market.core.outbox import OutboxEntry, enqueue, handles
from market.search.backend import SearchError
from market.search.fts import segmented_ahead
from market.search.service import search_backend

TOPIC = "search.listing"
BATCH = 2000
# Price bands in fen: (upper bound exclusive, key).
PRICE_BANDS = ((1, "FREE"), (10_000_000, "LT_100K"), (50_000_000, "100K_500K"),
               (100_000_000, "500K_1M"), (500_000_000, "1M_5M"), (None, "GE_5M"))
PRICE_BAND_LABELS = {
    "NEGOTIABLE": ("面议", "Negotiable"), "FREE": ("免费", "Free"), "LT_100K": ("10万元以下", "Under ¥100k"),
    "100K_500K": ("10–50万元", "¥100k–500k"), "500K_1M": ("50–100万元", "¥500k–1m"),
    "1M_5M": ("100–500万元", "¥1m–5m"), "GE_5M": ("500万元以上", "¥5m and above"),
}


def price_band(price_fen: int | None, negotiable: bool) -> str:
    if price_fen is None:
        return "NEGOTIABLE"
    for bound, key in PRICE_BANDS:
        if bound is None or price_fen < bound:
            return key
    return "GE_5M"


TOPIC_PUBLISHED = "listing.published"


def queue_listing(listing: Listing, *, published: bool = False) -> None:
    """Write the index update in the caller's transaction; it is applied after commit.

    A listing that just reached the shelf is also announced (matching tells the enterprises
    whose demands it fits).
    """
    enqueue(db.session(), TOPIC, listing)
    if published:
        enqueue(db.session(), TOPIC_PUBLISHED, listing)


def listing_document(listing: Listing) -> dict[str, Any]:
    """The listing's one search document; a package's carries every member's text, numbers and classes,
    so any member's words or number find the package (one result per package)."""
    patent = listing.patent
    members = listing.members
    ipc_all = list(dict.fromkeys(s for p in members for s in p.ipc_all or []))
    sections, classes = [], []
    for symbol in ipc_all:
        ipc = parse_ipc(symbol)
        if ipc.section not in sections:
            sections.append(ipc.section)
        if ipc.ipc_class and ipc.ipc_class not in classes:
            classes.append(ipc.ipc_class)
    owners = patent.owners
    owner_types = list(dict.fromkeys(
        o.organisation.org_type for o in owners if o.organisation is not None)) or [listing.organisation.org_type]
    published = listing.published_at
    further = [x for p in members[1:] for x in (p.title, p.abstract)]
    body = "\n".join(x for x in (patent.abstract, listing.problem_solved, listing.advantages,
                                 listing.applications, *further) if x)
    codes = [*(p.application_number.replace(".", "") for p in members),
             *(s.replace(" ", "").replace("/", "") for s in ipc_all)]
    codes += [s.split(" ")[0] for s in ipc_all]
    return {
        "id": listing.id,
        "patent_id": patent.id,
        "application_number": patent.application_number,
        "title": patent.title,
        "title_en": patent.title_en,
        "abstract": patent.abstract,
        "body": body,
        "codes": list(dict.fromkeys(codes)),
        "members": [{"application_number": p.application_number, "title": p.title} for p in members],
        "patent_type": patent.patent_type,
        "ipc": ipc_all,
        "ipc_main": patent.ipc_main,
        "locarno": patent.locarno,
        "ipc_sections": sections,
        "ipc_classes": classes,
        "industries": list(dict.fromkeys(t for p in members for t in p.industry_tags or [])),
        "modes": listing.modes,
        "owner_types": owner_types,
        "owners": [o.name for o in owners] or [listing.organisation.name],
        "organisation": listing.organisation.name,
        "organisation_id": listing.organisation_id,
        "point": listing.point.name,
        "point_id": listing.point_id,
        "legal_status": patent.legal_status,
        "filing_date": patent.filing_date.isoformat() if patent.filing_date else None,
        "last_protected_day": patent.last_protected_day.isoformat() if patent.last_protected_day else None,
        "price_fen": listing.asking_price_fen,
        "price_negotiable": listing.price_negotiable,
        "price_band": price_band(listing.asking_price_fen, listing.price_negotiable),
        "published_at": published.isoformat() if published else None,
        "sort_newest": published.timestamp() if published else 0.0,
    }


def is_searchable(listing: Listing | None) -> bool:
    return listing is not None and listing.status == ListingStatus.PUBLISHED


def document_loads() -> tuple:
    """Everything listing_document reads, loaded in a few queries instead of one per listing."""
    return (selectinload(Listing.patent).selectinload(Patent.owners).joinedload(PatentOwner.organisation),
            selectinload(Listing.further_members).joinedload(ListingPatent.patent),
            joinedload(Listing.organisation), joinedload(Listing.point))


@handles(TOPIC)
def index_listings(keys: list[str], bulk: bool) -> None:
    """Bring the index in step with these listings: published ones in, the others out."""

    ids = sorted(int(k) for k in keys)
    listings = {l.id: l for l in db.session.scalars(select(Listing).where(Listing.id.in_(ids))
                                                     .options(*document_loads()))}
    backend = search_backend()
    backend.index([listing_document(listings[i]) for i in ids if is_searchable(listings.get(i))], bulk=bulk)
    backend.delete([i for i in ids if not is_searchable(listings.get(i))])
    catalogue_indexed.send(backend, rebuilt=False)


def published_documents():
    """Search documents of every published listing, in batches."""

    ids = db.session.scalars(select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)
                             .order_by(Listing.id)).all()
    for start in range(0, len(ids), BATCH):
        chunk = db.session.scalars(select(Listing).where(Listing.id.in_(ids[start:start + BATCH]))
                                   .options(*document_loads())).all()
        yield [listing_document(l) for l in chunk]
        db.session.expunge_all()


def reindex() -> int:
    """Rebuild the index from the database (the outbox is then fully applied); the caller commits.

    A backend with `rebuild` (Elasticsearch) fills a new index behind its alias and switches
    over atomically, so searches never see a half-built index; the embedded one is cleared
    and refilled in place.
    """
    backend = search_backend()
    # Entries written while we rebuild stay pending and are applied by the next drain.
    last_entry = db.session.scalar(select(func.max(OutboxEntry.id))) or 0
    rebuild = getattr(backend, "rebuild", None)
    # The next batches are segmented in worker processes while this one is read and written.
    batches = segmented_ahead(published_documents())
    if rebuild is not None:
        count = rebuild(batches)
    else:
        backend.clear()
        count = 0
        for docs in batches:
            backend.index(docs, bulk=True)
            count += len(docs)
        prepare = getattr(backend, "prepare_similar", None)  # the embedded index's stored postings
        if prepare is not None:
            prepare()
    # Entries another process applied to the old index during the rebuild: apply them again.
    again = db.session.scalars(select(OutboxEntry.key).where(
        OutboxEntry.topic == TOPIC, OutboxEntry.id > last_entry, OutboxEntry.processed_at.is_not(None))).all()
    if again:
        index_listings(list(dict.fromkeys(again)), True)
    db.session.execute(OutboxEntry.__table__.update().where(
        OutboxEntry.topic == TOPIC, OutboxEntry.processed_at.is_(None), OutboxEntry.parked_at.is_(None),
        OutboxEntry.id <= last_entry).values(processed_at=utcnow()))
    catalogue_indexed.send(backend, rebuilt=True)
    return count


def index_status() -> dict:
    published = set(db.session.scalars(select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)))
    waiting = (OutboxEntry.processed_at.is_(None), OutboxEntry.parked_at.is_(None))
    backlog = db.session.scalar(select(func.count(OutboxEntry.id)).where(*waiting))
    failing = db.session.scalar(select(func.count(OutboxEntry.id)).where(*waiting, OutboxEntry.attempts > 0))
    backend = search_backend()
    status = {"backend": current_app.config["SEARCH_BACKEND"], "published_listings": len(published),
              "outbox_backlog": backlog, "outbox_failing": failing}
    primary = getattr(backend, "primary", None)
    if primary is not None:
        status["cluster"] = getattr(primary.client, "base", "")
        status["alias"] = primary.alias
    try:
        if hasattr(backend, "status"):  # which database each store of the index was built from
            status["ownership"] = backend.status()
        if primary is not None:
            status["indices"] = primary.indices()
        indexed = backend.ids()
    except SearchError as err:
        status.update(error=str(err), in_step=False)
        return status
    status.update({"indexed_documents": len(indexed), "missing_from_index": len(published - indexed),
                   "stale_in_index": len(indexed - published), "in_step": published == indexed and backlog == 0})
    return status
