"""HTML views of the demand side: the demand board, posting demands, matches and acting on them,
deal requests, demands that fit a patentee's listings, and the inbox."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select, update

from listings.industries import all_industries
from listings.models import Listing
from listings.services import get_listing
from listings.vocabulary import DealMode, ListingStatus
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import t
from market.core.money import wan_plain
from market.core.notifications import Notification
from market.core.schemas import load
from market.deals.models import Deal
from market.web.actions import run_action
from matching import services
from matching.advice import headline, next_steps
from matching.models import Demand, Inquiry, MatchFeedback
from matching.recommend import demands_for_patentee, matches_for_demand
from matching.schemas import DealRequestInput, DemandInput, DismissInput, form_to_demand_data
from matching.vocabulary import DemandStatus, DismissReason, MatchState, Visibility

bp = Blueprint("matching", __name__)


def _user():
    return current_user if current_user.is_authenticated else None


def _choices() -> dict:
    return {"modes": list(DealMode), "industries": all_industries(), "visibilities": list(Visibility)}


@bp.get("/demands")
def board():
    """The public demand board; patentees also see demands shown to patentees only."""
    visible = [Visibility.PUBLIC]
    if services.sees_patentee_demands(_user()):
        visible.append(Visibility.PATENTEES)
    query = select(Demand).where(Demand.status.in_([DemandStatus.OPEN, DemandStatus.MATCHED]),
                                 Demand.visibility.in_(visible))
    q = request.args.get("q", "").strip()[:100]
    if q:
        for word in q.split():
            like = f"%{word}%"
            query = query.where(or_(Demand.title.like(like), Demand.problem.like(like),
                                    Demand.expected_outcome.like(like)))
    industry = request.args.get("industry")
    # Industries are a JSON list, filtered here rather than in SQL; so filter before the cut.
    demands = db.session.scalars(query.order_by(Demand.created_at.desc())).all()
    if industry:
        demands = [d for d in demands if industry in (d.industries or [])]
    demands = demands[:200]
    return render_template("matching/board.html", demands=demands, q=q, industry=industry,
                           industries=all_industries())


@bp.get("/my/demands")
@login_required
def my_demands():
    demands = db.session.scalars(select(Demand).where(Demand.organisation_id == current_user.organisation_id)
                                 .order_by(Demand.created_at.desc())).all()
    return render_template("matching/mine.html", demands=demands)


@bp.route("/demands/new", methods=["GET", "POST"])
@login_required
def new_demand():
    errors: dict = {}
    values = request.form if request.method == "POST" else {}
    if request.method == "POST":
        data, errors = form_to_demand_data(request.form)
        fields, schema_errors = load(DemandInput(), data)
        errors = {**schema_errors, **errors}
        if not errors:
            done = run_action(lambda: services.post_demand(current_user, fields))
            errors = done.field_errors("title")
            if done.ok:
                flash(t("需求已发布，下面是为您匹配的专利", "Demand posted; here are the matching patents"), "success")
                return redirect(url_for("matching.demand", demand_id=done.value.id))
    return render_template("matching/form.html", demand=None, values=values, errors=errors,
                           **_choices()), 422 if errors else 200


@bp.route("/demands/<int:demand_id>/edit", methods=["GET", "POST"])
@login_required
def edit_demand(demand_id: int):
    demand = services.get_demand(demand_id, current_user)
    if not services.owns_demand(current_user, demand):
        abort(403)
    errors: dict = {}
    if request.method == "POST":
        values = request.form
        data, errors = form_to_demand_data(request.form)
        fields, schema_errors = load(DemandInput(), data)
        errors = {**schema_errors, **errors}
        if not errors:
            done = run_action(lambda: services.update_demand(current_user, demand, fields))
            errors = done.field_errors("title")
            if done.ok:
                flash(t("已保存", "Saved"), "success")
                return redirect(url_for("matching.demand", demand_id=demand.id))
    else:
        values = {"title": demand.title, "problem": demand.problem, "expected_outcome": demand.expected_outcome,
                  "existing_basis": demand.existing_basis, "timeline": demand.timeline,
                  "visibility": demand.visibility, "modes": demand.modes, "industries": demand.industries,
                  "budget_min": _wan(demand.budget_min_fen), "budget_max": _wan(demand.budget_max_fen)}
    return render_template("matching/form.html", demand=demand, values=values, errors=errors,
                           **_choices()), 422 if errors else 200


def _wan(fen: int | None) -> str:
    return "" if fen is None else wan_plain(fen)


@bp.get("/demands/<int:demand_id>")
def demand(demand_id: int):
    user = _user()
    try:
        demand = services.get_demand(demand_id, user)
    except DomainError:
        abort(404)
    owner = services.owns_demand(user, demand)
    outcome, feedback = None, {}
    if owner:
        outcome = matches_for_demand(demand, limit=10)
        feedback = {f.listing_id: f for f in db.session.scalars(
            select(MatchFeedback).where(MatchFeedback.demand_id == demand.id))}
    watched = demand.status in (DemandStatus.OPEN, DemandStatus.MATCHED)
    return render_template("matching/demand.html", demand=demand, owner=owner,
                           matches=outcome.matches if outcome else [],
                           match_state=outcome.state if outcome else None,
                           headline=headline(outcome.state) if outcome else None,
                           steps=next_steps(outcome, watched=watched) if outcome else [],
                           feedback=feedback, reasons=list(DismissReason), states=MatchState)


@bp.post("/demands/<int:demand_id>/status")
@login_required
def demand_status(demand_id: int):
    demand = services.get_demand(demand_id, current_user)
    try:
        done = run_action(lambda: services.set_demand_status(current_user, demand, request.form.get("status", "")),
                          abort_on=(403,))
    except ValueError:
        abort(400)
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("需求状态已更新", "Demand updated"), "success")
    return redirect(url_for("matching.demand", demand_id=demand.id))


@bp.post("/demands/<int:demand_id>/matches/<int:listing_id>/<any(save, dismiss):action>")
@login_required
def match_action(demand_id: int, listing_id: int, action: str):
    demand = services.get_demand(demand_id, current_user)
    if not services.owns_demand(current_user, demand):
        abort(403)
    def record():
        if action == "save":
            services.save_match(current_user, demand, listing_id)
            return
        form, errors = load(DismissInput(), request.form)
        if errors:
            raise DomainError("bad_reason", t("请选择不合适的原因", "Choose why the match does not fit"),
                              "Choose why the match does not fit", field="reason")
        services.dismiss_match(current_user, demand, listing_id, form["reason"], form["reason_text"])

    done = run_action(record, abort_on=(403, 404))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("已收藏" if action == "save" else "已记录，该专利不会再为此需求推荐",
                "Saved" if action == "save" else "Noted; this patent will not be proposed again"), "success")
    return redirect(url_for("matching.demand", demand_id=demand.id))


@bp.post("/listings/<int:listing_id>/request")
@login_required
def request_deal(listing_id: int):
    """Start a deal on a listing, from its page or from a match."""
    listing = get_listing(listing_id)
    if listing.status != ListingStatus.PUBLISHED:
        abort(404)
    form, errors = load(DealRequestInput(), request.form)
    demand = None
    if request.form.get("demand_id", "").isdigit():
        demand = services.get_demand(int(request.form["demand_id"]), current_user)
    def request_it():
        if errors:
            raise DomainError("bad_mode", t("请选择交易方式", "Choose a mode"), "Choose a mode", field="mode")
        return services.request_deal(current_user, listing, form["mode"], form["message"], demand)

    done = run_action(request_it, abort_on=(403,))
    if not done.ok:
        flash(done.message, "error")
    else:
        deal_id = db.session.scalar(select(Deal.id).where(Deal.inquiry_id == done.value.id))
        if deal_id is not None:
            flash(t("交易已发起，可在此报价和洽谈", "Deal requested; make offers and negotiate here"), "success")
            return redirect(url_for("deals.deal", deal_id=deal_id))
        flash(t("请求已发送给专利权人，回复会出现在“交易请求”中", "Sent to the patentee; the reply will appear under requests"),
              "success")
    back = url_for("matching.demand", demand_id=demand.id) if demand else url_for(
        "listings.patent", app_no=listing.patent.application_number)
    return redirect(back)


@bp.get("/inquiries")
@login_required
def inquiries():
    org_id = current_user.organisation_id
    sent = db.session.scalars(select(Inquiry).where(Inquiry.organisation_id == org_id)
                              .order_by(Inquiry.created_at.desc()).limit(200)).all()
    received = db.session.scalars(select(Inquiry).join(Listing).where(Listing.organisation_id == org_id)
                                  .order_by(Inquiry.created_at.desc()).limit(200)).all()
    # A licence, transfer or equity request became a negotiated deal: the page shows it as that deal.
    ids = [q.id for q in (*sent, *received)]
    deals = {d.inquiry_id: d for d in db.session.scalars(select(Deal).where(Deal.inquiry_id.in_(ids)))} if ids else {}
    return render_template("matching/inquiries.html", sent=sent, received=received, deals=deals)


@bp.post("/inquiries/<int:inquiry_id>/answer")
@login_required
def answer(inquiry_id: int):
    inquiry = db.session.get(Inquiry, inquiry_id)
    if inquiry is None or inquiry.listing.organisation_id != current_user.organisation_id:
        abort(404)
    done = run_action(lambda: services.answer_inquiry(current_user, inquiry, request.form.get("reply", ""),
                                                      close="close" in request.form))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("已回复", "Answered"), "success")
    return redirect(url_for("matching.inquiries"))


# Listings with fitting demands, this many a page.
DEMAND_MATCH_PAGE = 50


@bp.get("/my/demand-matches")
@login_required
def demand_matches():
    """For a patentee: its published listings that demands fit, with those demands; the same decision
    as the match notices in its inbox (recommend.listings_fitting)."""
    rows = demands_for_patentee(current_user.organisation_id)
    total = len(rows)
    pages = max(1, -(-total // DEMAND_MATCH_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    shown = rows[(page - 1) * DEMAND_MATCH_PAGE:page * DEMAND_MATCH_PAGE]
    return render_template("matching/demand_matches.html", rows=shown,
                           page=page, pages=pages, total=total, per_page=DEMAND_MATCH_PAGE,
                           dismissals=services.dismissal_summary(current_user.organisation_id),
                           reasons={r.value: r for r in DismissReason})


@bp.get("/inbox")
@login_required
def inbox():
    notes = db.session.scalars(select(Notification).where(
        Notification.organisation_id == current_user.organisation_id)
        .order_by(Notification.created_at.desc()).limit(200)).all()
    return render_template("matching/inbox.html", notes=notes)


@bp.post("/inbox/read")
@login_required
def mark_read():
    db.session.execute(update(Notification).where(
        Notification.organisation_id == current_user.organisation_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for("matching.inbox"))
