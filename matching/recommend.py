"""Matches for demands and demands for listings, through the engine; match notices via the outbox."""

from __future__ import annotations

from sqlalchemy import select

from listings.models import Listing
from listings.search import TOPIC_PUBLISHED, document_loads, listing_document
from listings.vocabulary import ListingStatus
from market.core.extensions import db
from market.core.notifications import notify
from market.core.outbox import handles
from market.search.service import search_backend
from matching.catalogue_model import field_model
from matching.confidence import STATE_MATCH
from matching.engine import DemandProfile, Match, MatchOutcome, default_weights, match_demand, rank_demands
from matching.models import Demand
from matching.services import TOPIC_DEMAND, excluded_listing_ids
from matching.terms import Reason
from matching.vocabulary import DemandStatus, Visibility

NOTIFY_TOP = 5


def profile_of(demand: Demand) -> DemandProfile:
    return DemandProfile(text=demand.text, modes=list(demand.modes or []), budget_min_fen=demand.budget_min_fen,
                         budget_max_fen=demand.budget_max_fen, industries=list(demand.industries or []),
                         district=demand.organisation.district or None,
                         exclude_listing_ids=excluded_listing_ids(demand) if demand.id else set())


def matches_for_demand(demand: Demand, limit: int = 10) -> MatchOutcome:
    return match_demand(search_backend(), profile_of(demand), limit=limit, field_model=field_model())


def matches_for_text(text: str, *, limit: int = 10, filters: dict[str, list[str]] | None = None,
                     modes: list[str] | None = None, budget_min_fen: int | None = None,
                     budget_max_fen: int | None = None) -> MatchOutcome:
    profile = DemandProfile(text=text, modes=modes or [], budget_min_fen=budget_min_fen,
                            budget_max_fen=budget_max_fen, filters=filters or {},
                            industries=(filters or {}).get("industry", []))
    return match_demand(search_backend(), profile, limit=limit, field_model=field_model())


def _demand_dict(demand: Demand) -> dict:
    return {"id": demand.id, "title": demand.title, "text": demand.text, "modes": demand.modes or [],
            "budget_min_fen": demand.budget_min_fen, "budget_max_fen": demand.budget_max_fen,
            "industries": demand.industries or []}


def listings_fitting(demand: Demand) -> list[Match]:
    """The one decision that a demand matches a listing, for telling its patentee.

    The demand's own matches (what its enterprise sees), kept where the engine is confident and the
    score clears the patentees' notice bar, the best NOTIFY_TOP, none of the demand's own
    organisation. The match notices and the patentee's 需求匹配 page both read this, so the page
    lists what the inbox announced; a second scorer had disagreed with the notices.
    """
    threshold = default_weights().notify_patentees_above
    outcome = matches_for_demand(demand, limit=NOTIFY_TOP)
    return [m for m in outcome.matches if m.grade == STATE_MATCH and m.score >= threshold
            and m.doc.get("organisation_id") != demand.organisation_id]


def demands_for_patentee(organisation_id: int) -> list[tuple[Listing, list[tuple[Demand, float, list[Reason]]]]]:
    """The organisation's published listings that demands fit, each with those demands, best first.

    Every demand a patentee may see counts (public or shown to patentees, open or already matched:
    the board shows both); each is matched once (listings_fitting), whatever the number of listings.
    """
    demands = db.session.scalars(select(Demand).where(
        Demand.status.in_([DemandStatus.OPEN, DemandStatus.MATCHED]),
        Demand.visibility.in_([Visibility.PUBLIC, Visibility.PATENTEES]),
        Demand.organisation_id != organisation_id).order_by(Demand.created_at.desc(), Demand.id.desc()))
    fits: dict[int, list[tuple[Demand, float, list[Reason]]]] = {}
    for demand in demands:
        for match in listings_fitting(demand):
            if match.doc.get("organisation_id") == organisation_id:
                fits.setdefault(match.listing_id, []).append((demand, match.score, match.reasons))
    if not fits:
        return []
    # The search document may lag the shelf by an outbox run: only what is published and ours now.
    listings = db.session.scalars(select(Listing).where(
        Listing.id.in_(fits), Listing.organisation_id == organisation_id,
        Listing.status == ListingStatus.PUBLISHED)).all()
    rows = [(listing, sorted(fits[listing.id], key=lambda f: -f[1])) for listing in listings]
    rows.sort(key=lambda row: (-row[1][0][1], row[0].id))
    return rows


@handles(TOPIC_DEMAND)
def notify_patentees_of_demand(keys: list[str], bulk: bool) -> None:
    """A new or changed demand: tell the owners of the listings it fits (listings_fitting)."""
    for demand in db.session.scalars(select(Demand).where(Demand.id.in_([int(k) for k in keys]))):
        if demand.status != DemandStatus.OPEN or demand.visibility == Visibility.PRIVATE:
            continue  # a private demand is matched for its owner only, never announced
        for match in listings_fitting(demand):
            owner = match.doc.get("organisation_id")
            notify(owner, "demand_matches_listing",
                   (f"新的技术需求“{demand.title}”与您的专利“{match.title}”相符",
                    f"A new demand “{demand.title}” fits your patent “{match.title}”"),
                   body=("；".join(r.zh for r in match.reasons[:3]), "; ".join(r.en for r in match.reasons[:3])),
                   link=f"/demands/{demand.id}", dedupe_key=f"demand:{demand.id}:listing:{match.listing_id}")


@handles(TOPIC_PUBLISHED)
def notify_enterprises_of_listing(keys: list[str], bulk: bool) -> None:
    """A listing reached the shelf: tell enterprises whose demands it fits (listings_fitting).

    The demands a listing might fit are found cheaply first (rank_demands over all watched demands);
    each is then decided by the one decision, so an enterprise is only told of a patent its demand
    page proposes. Each demand is matched once per batch, however many listings the batch holds.
    """
    # The notice goes to the demand's own enterprise, so private and matched demands count too.
    demands = list(db.session.scalars(select(Demand).where(
        Demand.status.in_([DemandStatus.OPEN, DemandStatus.MATCHED])).order_by(Demand.id)))
    if not demands:
        return
    dicts = [_demand_dict(d) for d in demands]
    by_id = {d.id: d for d in demands}
    decided: dict[int, dict[int, Match]] = {}
    listings = db.session.scalars(select(Listing).where(Listing.id.in_([int(k) for k in keys]))
                                  .options(*document_loads()))
    for listing in listings:
        if listing.status != ListingStatus.PUBLISHED:
            continue
        for demand_id, _score, _reasons in rank_demands(listing_document(listing), dicts, limit=NOTIFY_TOP):
            demand = by_id[demand_id]
            if demand.organisation_id == listing.organisation_id:
                continue
            if demand_id not in decided:
                decided[demand_id] = {m.listing_id: m for m in listings_fitting(demand)}
            match = decided[demand_id].get(listing.id)
            if match is None:
                continue
            notify(demand.organisation_id, "listing_matches_demand",
                   (f"新上架专利“{listing.patent.title}”可能满足您的需求“{demand.title}”",
                    f"A new patent “{listing.patent.title}” may meet your demand “{demand.title}”"),
                   body=("；".join(r.zh for r in match.reasons[:3]), "; ".join(r.en for r in match.reasons[:3])),
                   link=f"/demands/{demand.id}", dedupe_key=f"listing:{listing.id}:demand:{demand.id}")
