"""Demands and matches on the JSON API (routes on market.web.api.bp)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from listings.schemas import MAX_INT
from listings.services import get_listing
from market.core.errors import DomainError, NotFound
from market.core.extensions import db
from market.web.api import body_of, route
from market.web.openapi import describe
from matching import services
from matching.advice import headline, next_steps
from matching.engine import MatchOutcome
from matching.models import Demand
from matching.recommend import matches_for_demand, matches_for_text
from matching.schemas import (
    DealRequestInput,
    DemandInput,
    DemandOut,
    DismissInput,
    InquiryOut,
    MatchListOut,
    MatchQuery,
    OwnDemandOut,
)
from matching.vocabulary import DemandStatus, Visibility


def _me():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _dump_matches(outcome: MatchOutcome, *, watched: bool) -> dict:
    zh, en = headline(outcome.state)
    return MatchListOut().dump({
        "state": outcome.state, "message": {"zh": zh, "en": en},
        "items": [{"listing_id": m.listing_id, "application_number": m.application_number, "title": m.title,
                   "score": round(m.score, 4), "grade": m.grade, "confidence": m.confidence,
                   "reasons": [r.__dict__ for r in m.reasons], "lacks": m.lacks} for m in outcome.matches],
        "next_steps": [step.__dict__ for step in next_steps(outcome, watched=watched)]})


def _watched(demand: Demand) -> bool:
    """New listings are announced to open and matched demands (recommend.notify_enterprises_of_listing)."""
    return demand.status in (DemandStatus.OPEN, DemandStatus.MATCHED)


def _demand(id: int) -> Demand:
    if id > MAX_INT:
        raise NotFound("demand_not_found", "需求不存在", "No such demand")
    return services.get_demand(id, _me())


def _dump_demand(demand: Demand) -> dict:
    schema = OwnDemandOut() if services.owns_demand(_me(), demand) else DemandOut()
    return schema.dump(demand)


@route("/matches", methods=("POST",), summary="Rank published patents against a text, with reasons, each "
       "graded match or weak; state says whether anything fits (usable before posting a demand)", tag="matching",
       body=MatchQuery, response=MatchListOut)
def match_text():
    args = body_of(MatchQuery())
    return _dump_matches(matches_for_text(args["text"], limit=args["limit"], filters=args["filters"],
                                          modes=args["modes"], budget_min_fen=args["budget_min_fen"],
                                          budget_max_fen=args["budget_max_fen"]), watched=False)


@route("/demands", summary="Open demands you may see (public ones; patentees also see those for patentees)",
       tag="matching", response=DemandOut, many=True)
def demand_list():
    visible = [Visibility.PUBLIC]
    if services.sees_patentee_demands(_me()):
        visible.append(Visibility.PATENTEES)
    demands = db.session.scalars(select(Demand).where(
        Demand.status.in_([DemandStatus.OPEN, DemandStatus.MATCHED]), Demand.visibility.in_(visible))
        .order_by(Demand.created_at.desc()).limit(200)).all()
    return DemandOut(many=True).dump(demands)


@route("/demands", methods=("POST",), summary="Post a technology demand of your organisation", tag="matching",
       auth=True, body=DemandInput, response=OwnDemandOut, status=201)
def demand_create():
    demand = services.post_demand(_me(), body_of(DemandInput()))
    db.session.commit()
    return OwnDemandOut().dump(demand), 201


@route("/demands/<int:id>", summary="One demand (its existing basis only for its own enterprise)",
       tag="matching", response=OwnDemandOut)
def demand_get(id: int):
    return _dump_demand(_demand(id))


@route("/demands/<int:id>/matches", summary="Ranked patents for one of your demands, with reasons",
       tag="matching", auth=True, response=MatchListOut)
def demand_matches(id: int):
    demand = _demand(id)
    if not services.owns_demand(_me(), demand):
        raise NotFound("demand_not_found", "需求不存在", "No such demand")
    limit = request.args.get("limit", "10")
    if not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= 50:
        raise DomainError("bad_query", "参数 limit 须为 1 到 50 的整数", "limit must be 1 to 50", field="limit",
                          status=400)
    return _dump_matches(matches_for_demand(demand, limit=int(limit)), watched=_watched(demand))


@route("/demands/<int:id>/matches/<int:listing_id>/dismiss", methods=("POST",), tag="matching", auth=True,
       summary="Say why a proposed patent does not fit; it is not proposed again", body=DismissInput,
       response=MatchListOut)
def demand_dismiss(id: int, listing_id: int):
    demand = _demand(id)
    args = body_of(DismissInput())
    services.dismiss_match(_me(), demand, listing_id, args["reason"], args["reason_text"])
    db.session.commit()
    return _dump_matches(matches_for_demand(demand), watched=_watched(demand))


@route("/listings/<int:id>/requests", methods=("POST",), tag="matching", auth=True,
       summary="Ask the patentee for a deal in one of the modes the listing offers", body=DealRequestInput,
       response=InquiryOut, status=201)
def listing_request(id: int):
    args = body_of(DealRequestInput())
    listing = get_listing(id) if id <= MAX_INT else None
    if listing is None:
        raise NotFound("listing_not_found", "挂牌不存在", "No such listing")
    inquiry = services.request_deal(_me(), listing, args["mode"], args["message"])
    db.session.commit()
    return InquiryOut().dump(inquiry), 201


# Its own enterprise also gets the existing basis, which nobody else may see.
describe("demand_get", errors=[404], any_of=[OwnDemandOut, DemandOut])
describe("demand_matches", errors=[400, 404])
