"""Points (网点) of the chain on the JSON API (routes on market.web.api.bp)."""

from __future__ import annotations

from marshmallow import fields
from sqlalchemy import func, select

from listings.models import Listing
from listings.schemas import MAX_INT
from listings.vocabulary import ListingStatus
from market.accounts.points.models import Point
from market.core.errors import NotFound
from market.core.extensions import db
from market.core.schemas import BaseSchema
from market.web.api import route


class PointSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    district = fields.String()
    address = fields.String()
    operator_id = fields.Integer()
    operator = fields.String(attribute="operator.name")
    published_listings = fields.Integer(metadata={"description": "Listings on this point's shelf now."})


def _published_counts(point_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Listing.point_id, func.count(Listing.id))
        .where(Listing.point_id.in_(point_ids), Listing.status == ListingStatus.PUBLISHED)
        .group_by(Listing.point_id))
    return dict(rows.tuples().all())


def _dump(points: list[Point]) -> list[dict]:
    counts = _published_counts([p.id for p in points])
    out = PointSchema(many=True, exclude=("published_listings",)).dump(points)
    for row in out:
        row["published_listings"] = counts.get(row["id"], 0)
    return out


@route("/points", summary="Every point of the chain, with its number of published listings",
       tag="points", response=PointSchema, many=True)
def point_list():
    return _dump(list(db.session.scalars(select(Point).order_by(Point.district, Point.name))))


@route("/points/<int:id>", summary="One point, with its number of published listings", tag="points",
       response=PointSchema)
def point_get(id: int):
    point = db.session.get(Point, id) if id <= MAX_INT else None
    if point is None:
        raise NotFound("point_not_found", "网点不存在", "No such point")
    return _dump([point])[0]
