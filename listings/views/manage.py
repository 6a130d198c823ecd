"""A patentee's own listings: create, edit, submit for review, withdraw, suspend, resume."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from listings import packages, services
from listings import patents as patent_service
from listings.importing.columns import split_people
from listings.industries import all_industries
from listings.models import Listing, Patent
from listings.patent_input import clean_patent
from listings.views.blueprint import bp
from listings.views.forms import ListingForm, NewPatentForm, form_data
from listings.vocabulary import DealMode, LegalStatus, ListingStatus, Maturity, PricingMethod
from market.accounts.permissions import can_manage_listing, can_review_listing, require_supplier
from market.accounts.points.models import Point
from market.core.errors import DomainError, NotFound
from market.core.extensions import db
from market.core.i18n import t
from market.core.money import yuan_plain
from market.core.schemas import load
from market.web.actions import run_action
from market.web.redirects import local_target


def _choices() -> dict:
    # 开放许可 is not a choice: it follows an announced declaration (the form explains where to declare).
    return {"modes": [m for m in DealMode if m.value in services.TYPED_MODES], "pricing_methods": list(PricingMethod), "maturities": list(Maturity),
            "points": db.session.scalars(select(Point).order_by(Point.id)).all(),
            "industries": all_industries()}


@bp.route("/listings/new", methods=["GET", "POST"])
@login_required
def new_listing():
    require_supplier(current_user)
    errors: dict = {}
    values = form_data(request.form) if request.method == "POST" else {"modes": [], "price_negotiable": True}
    if request.method == "POST":
        patent_in, patent_errors = load(NewPatentForm(), request.form)
        offer, offer_errors = load(ListingForm(), values)
        errors = {**_patent_problems(patent_in), **patent_errors, **offer_errors}
        if not errors:
            done = run_action(lambda: _create(patent_in, offer))
            errors = done.field_errors("application_number")
            if done.ok:
                flash(t("挂牌草稿已保存，检查无误后请提交审核", "Draft saved; submit it for review when ready"),
                      "success")
                return redirect(url_for("listings.edit_listing", listing_id=done.value.id))
    return render_template("listings/form.html", listing=None, values=values, errors=errors,
                           **_choices()), 422 if errors else 200


def _patent_problems(patent_in: dict) -> dict[str, list[str]]:
    """Every problem of a patent typed in by hand, at once (a stored patent is taken as it is)."""
    if not patent_in.get("application_number"):
        return {}
    clean = clean_patent(patent_in)
    number = clean.values.get("application_number")
    if number and db.session.scalar(select(Patent.id).where(Patent.application_number == number)):
        return {}
    problems: dict[str, list[str]] = {}
    for p in clean.problems:
        problems.setdefault(p.field or "application_number", []).append(t(p.zh, p.en))
    return problems


def _create(patent_in: dict, offer: dict) -> Listing:
    """Use the stored patent when the organisation owns it; otherwise record it from the form."""
    org = current_user.organisation
    clean = clean_patent(patent_in)
    number = clean.values.get("application_number")
    existing = db.session.scalar(select(Patent).where(Patent.application_number == number)) if number else None
    if existing is None:
        if not clean.ok:
            p = clean.problems[0]
            raise DomainError("invalid_patent", p.zh, p.en, field=p.field)
        status = LegalStatus(patent_in["legal_status"]) if patent_in.get("legal_status") in LegalStatus.__members__ \
            else (LegalStatus.VALID if clean.values.get("grant_date") else LegalStatus.PENDING)
        existing, _ = patent_service.upsert_patent(
            clean.values, owners=[org.name], inventors=split_people(patent_in.get("inventors")),
            legal_status=status)
    further = packages.split_numbers(patent_in.get("package_numbers"))
    if further:
        # A package: the patent typed above leads it, the others must already be on record.
        listing = packages.create_package(current_user, [existing, *packages.stored_members(further)], org, offer)
    else:
        listing = services.create_listing(current_user, existing, org, offer)
    if offer.get("industry_tags"):
        patent_service.set_industry_tags(existing, offer["industry_tags"])
    return listing


def visible_listing(listing_id: int) -> Listing:
    """The listing if the user may see it (on the shelf, or its organisation's or its point's); else 404.

    Like the API's: another organisation's draft or submitted listing does not exist for the user,
    where a 403 would tell that it does.
    """
    listing = services.get_listing(listing_id)
    if listing.status != ListingStatus.PUBLISHED and not (
            can_manage_listing(current_user, listing) or can_review_listing(current_user, listing)):
        raise NotFound("listing_not_found", "挂牌不存在", "No such listing")  # word for word a missing id's answer
    return listing


def _own(listing_id: int) -> Listing:
    listing = visible_listing(listing_id)
    if not can_manage_listing(current_user, listing):
        abort(403)
    return listing


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit_listing(listing_id: int):
    listing = _own(listing_id)
    errors: dict = {}
    if request.method == "POST":
        values = form_data(request.form)
        offer, errors = load(ListingForm(), values)
        if not errors:
            def update():
                services.update_listing(current_user, listing, offer)
                if offer.get("industry_tags") is not None and offer["industry_tags"] != listing.patent.industry_tags:
                    patent_service.set_industry_tags(listing.patent, offer["industry_tags"])

            done = run_action(update)
            errors = done.field_errors("modes")
            if done.ok:
                flash(t("已保存", "Saved"), "success")
                return redirect(url_for("listings.edit_listing", listing_id=listing.id))
    else:
        values = {"modes": listing.modes, "price_negotiable": listing.price_negotiable,
                  "asking_price_yuan": "" if listing.asking_price_fen is None else yuan_plain(listing.asking_price_fen),
                  "pricing_method": listing.pricing_method, "point_id": str(listing.point_id),
                  "problem_solved": listing.problem_solved, "advantages": listing.advantages,
                  "applications": listing.applications, "maturity": listing.maturity or "",
                  "industry_tags": listing.patent.industry_tags}
    return render_template("listings/form.html", listing=listing, values=values, errors=errors,
                           blockers=services.shelf_blockers(listing.patent, listing.modes),
                           **_choices()), 422 if errors else 200


ACTIONS = {
    "submit": (lambda user, listing, note: services.submit_listing(user, listing), ("已提交审核", "Submitted for review")),
    "recall": (lambda user, listing, note: services.recall_listing(user, listing), ("已撤回审核，可继续编辑", "Recalled to draft")),
    "withdraw": (services.withdraw_listing, ("已下架", "Withdrawn")),
    "suspend": (services.suspend_listing, ("已暂停", "Suspended")),
    "resume": (lambda user, listing, note: services.resume_listing(user, listing), ("已恢复上架", "Back on the shelf")),
}


@bp.post("/listings/<int:listing_id>/<any(submit, recall, withdraw, suspend, resume):action>")
@login_required
def listing_action(listing_id: int, action: str):
    listing = visible_listing(listing_id)
    act, (zh, en) = ACTIONS[action]
    note = request.form.get("note", "")[:500]
    done = run_action(lambda: act(current_user, listing, note), abort_on=(403,))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t(zh, en), "success")
    return redirect(local_target(request.form.get("back")) or url_for("listings.edit_listing", listing_id=listing.id))
