"""The one search document per listing, and queueing its index update through the outbox."""

from __future__ import annotations

from typing import Any

from listings.classification import parse_ipc
from listings.models import Listing
from listings.vocabulary import ListingStatus
from market.core.extensions import db
from market.core.outbox import enqueue

TOPIC = "search.listing"
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
    patent = listing.patent
    sections, classes = [], []
    for symbol in patent.ipc_all or []:
        ipc = parse_ipc(symbol)
        if ipc.section not in sections:
            sections.append(ipc.section)
        if ipc.ipc_class and ipc.ipc_class not in classes:
            classes.append(ipc.ipc_class)
    owners = patent.owners
    owner_types = list(dict.fromkeys(
        o.organisation.org_type for o in owners if o.organisation is not None)) or [listing.organisation.org_type]
    published = listing.published_at
    body = "\n".join(x for x in (patent.abstract, listing.problem_solved, listing.advantages,
                                 listing.applications) if x)
    codes = [patent.application_number.replace(".", ""), *(s.replace(" ", "").replace("/", "")
                                                             for s in patent.ipc_all or [])]
    codes += [s.split(" ")[0] for s in patent.ipc_all or []]
    return {
        "id": listing.id,
        "patent_id": patent.id,
        "application_number": patent.application_number,
        "title": patent.title,
        "title_en": patent.title_en,
        "abstract": patent.abstract,
        "body": body,
        "codes": list(dict.fromkeys(codes)),
        "patent_type": patent.patent_type,
        "ipc": patent.ipc_all or [],
        "ipc_main": patent.ipc_main,
        "locarno": patent.locarno,
        "ipc_sections": sections,
        "ipc_classes": classes,
        "industries": patent.industry_tags or [],
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
