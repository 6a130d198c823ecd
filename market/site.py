"""The home page with its shelves, and each role's dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from listings.models import Listing
from listings.vocabulary import DealMode, ListingStatus
from market.accounts.models import Organisation
from market.accounts.points.models import Point
from market.core.extensions import db
from market.deals.views.dashboard import deals_dashboard
from market.search.backend import SearchQuery
from market.search.service import search_backend

bp = Blueprint("site", __name__)


@bp.get("/")
def home():
    backend = search_backend()
    newest = backend.search(SearchQuery(sort="newest", per_page=8, facets=("industry", "point")))
    open_licence = backend.search(SearchQuery(filters={"mode": [DealMode.OPEN_LICENSE]}, sort="newest",
                                              per_page=8, facets=()))
    points = db.session.scalars(select(Point).order_by(Point.id)).all()
    return render_template("site/home.html", newest=newest, open_licence=open_licence,
                           industries=newest.facets.get("industry", []),
                           point_counts=dict(newest.facets.get("point", [])), points=points)


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask here whatever the page links; the icon is the SVG."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/dashboard")
@login_required
def dashboard():
    org = current_user.organisation
    if org.is_bureau:
        # The bureau's work is the district's figures; organisation approval is one click away.
        return redirect(url_for("statistics.dashboard"))
    if org.is_point_operator:
        return redirect(url_for("listings.review_queue"))
    counts = dict(db.session.execute(
        select(Listing.status, func.count(Listing.id)).where(Listing.organisation_id == org.id)
        .group_by(Listing.status)).all())
    return render_template("site/dashboard.html", org=org, counts=counts, statuses=list(ListingStatus),
                           **deals_dashboard(org.id))


@bp.get("/healthz")
def healthz():
    db.session.execute(select(func.count(Organisation.id)))
    return {"status": "ok"}
