"""Pages of the chain's points."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from market.accounts.points.models import Point
from market.core.extensions import db
from market.search.backend import SearchQuery
from market.search.service import search_backend

bp = Blueprint("chain", __name__)


@bp.get("/points")
def points():
    points = db.session.scalars(select(Point).order_by(Point.id)).all()
    counts = dict(search_backend().search(SearchQuery(per_page=1, facets=("point",))).facets["point"])
    return render_template("chain/points.html", points=points, counts=counts)


@bp.get("/points/<int:point_id>")
def point(point_id: int):
    point = db.session.get(Point, point_id)
    if point is None:
        abort(404)
    result = search_backend().search(SearchQuery(filters={"point": [point.name]}, sort="newest",
                                                 per_page=24, facets=("industry", "mode")))
    return render_template("chain/point.html", point=point, result=result)
