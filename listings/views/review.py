"""The point operator's review queue for listings attributed to its points."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from listings import services
from listings.models import Listing, Patent
from listings.views.blueprint import bp
from listings.views.manage import visible_listing
from listings.vocabulary import ListingStatus
from market.accounts.permissions import can_review_listing
from market.accounts.points.models import Point
from market.core.extensions import db
from market.core.i18n import t
from market.web.actions import run_action


@bp.get("/review")
@login_required
def review_queue():
    if not current_user.organisation.is_point_operator:
        abort(403)
    status = request.args.get("status", ListingStatus.SUBMITTED)
    points = db.session.scalars(select(Point).where(Point.operator_id == current_user.organisation_id)).all()
    # Each card shows the patent, its owners and flags (the shelf blockers) and the lister: loaded
    # with the queue, not a few queries per card.
    patent = selectinload(Listing.patent)
    query = select(Listing).where(Listing.point_id.in_([p.id for p in points])).options(
        patent.selectinload(Patent.owners), patent.selectinload(Patent.flags), selectinload(Listing.organisation))
    if status in ListingStatus.__members__:
        query = query.where(Listing.status == status)
    listings = db.session.scalars(query.order_by(Listing.submitted_at).limit(500)).all()
    return render_template("listings/review.html", listings=listings, points=points, status=status,
                           statuses=list(ListingStatus), blockers=services.shelf_blockers)


@bp.post("/listings/<int:listing_id>/review")
@login_required
def review(listing_id: int):
    listing = visible_listing(listing_id)
    if not can_review_listing(current_user, listing):
        abort(403)
    approve = request.form.get("decision") == "approve"
    done = run_action(lambda: services.review_listing(current_user, listing, approve=approve,
                                                      note=request.form.get("note", "")[:500]))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("已上架" if approve else "已驳回", "Published" if approve else "Rejected"), "success")
    return redirect(url_for("listings.review_queue"))


@bp.post("/review/bulk")
@login_required
def review_bulk():
    """Approve the ticked listings: first a page that says how many and which, then the approval."""
    if not current_user.organisation.is_point_operator:
        abort(403)
    ids = [int(i) for i in request.form.getlist("listing_ids") if i.isdigit()][:500]
    listings = db.session.scalars(select(Listing).join(Point, Listing.point_id == Point.id).where(
        Listing.id.in_(ids), Point.operator_id == current_user.organisation_id).order_by(Listing.id)).all()
    if len(listings) != len(set(ids)):
        abort(403)  # a listing of another point, or none at all
    if not listings:
        flash(t("请先勾选要通过的挂牌", "Tick the listings to approve first"), "error")
        return redirect(url_for("listings.review_queue"))
    if request.form.get("confirmed") != "1":
        return render_template("listings/review_confirm.html", listings=listings)
    done = run_action(lambda: services.review_listings(current_user, listings))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t(f"已通过并上架 {len(listings)} 项挂牌", f"Approved and published {len(listings)} listings"),
              "success")
    return redirect(url_for("listings.review_queue"))
