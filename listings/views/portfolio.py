"""我的挂牌: a patentee's listings a page at a time, searched and filtered, and acted on in bulk."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from listings import services
from listings.models import Listing, Patent
from listings.views.blueprint import bp
from listings.views.manage import ACTIONS
from listings.vocabulary import DealMode, ListingStatus
from market.core.extensions import db
from market.core.i18n import t
from market.web.actions import run_action
from market.web.redirects import local_target

PER_PAGE = 25
# What a bulk action does, said before it is done: (label, consequence) in both languages.
BULK = {
    "submit": (("提交审核", "Submit for review"),
               ("所选挂牌将提交所属网点审核，审核期间不能修改。", "They go to their points for review and cannot be "
                                                     "changed meanwhile.")),
    "suspend": (("暂停展示", "Suspend"),
                ("所选挂牌将暂时从货架撤下，之后可恢复上架。", "They leave the shelf for now; you can resume them later.")),
    "resume": (("恢复上架", "Resume"),
               ("所选挂牌将重新上架，对所有访客可见。", "They go back on the shelf, visible to every visitor.")),
    "withdraw": (("下架", "Withdraw"),
                 ("所选挂牌将永久下架，不能恢复；如需再次挂牌须重新创建。",
                  "They leave the shelf for good; listing again needs a new listing.")),
}


def _filters() -> dict:
    args = request.args
    return {"q": (args.get("q") or "").strip()[:100],
            "status": args.get("status") if args.get("status") in ListingStatus.__members__ else "",
            "mode": args.get("mode") if args.get("mode") in DealMode.__members__ else ""}


@bp.get("/my/listings")
@login_required
def my_listings():
    chosen = _filters()
    # The page shows each row's patent and point: loaded with the page, not one query per row.
    query = select(Listing).join(Patent, Listing.patent_id == Patent.id).options(
        contains_eager(Listing.patent), selectinload(Listing.point)).where(
        Listing.organisation_id == current_user.organisation_id)
    if chosen["status"]:
        query = query.where(Listing.status == chosen["status"])
    if chosen["mode"]:
        # modes is a JSON list; its text holds each mode in quotes on SQLite and PostgreSQL alike.
        query = query.where(cast(Listing.modes, String).contains(f'"{chosen["mode"]}"', autoescape=True))
    if chosen["q"]:
        # A number is found with or without its dot and CN prefix.
        digits = chosen["q"].upper().removeprefix("CN").replace(".", "")
        query = query.where(or_(Patent.title.contains(chosen["q"], autoescape=True),
                                func.replace(Patent.application_number, ".", "").contains(digits, autoescape=True)))
    page = request.args.get("page", "1")
    result = db.paginate(query.order_by(Listing.updated_at.desc(), Listing.id.desc()),
                         page=int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1,
                         per_page=PER_PAGE, error_out=False, count=True)
    total = db.session.scalar(select(func.count(Listing.id)).where(
        Listing.organisation_id == current_user.organisation_id))
    return render_template("listings/mine.html", result=result, listings=result.items, chosen=chosen,
                           status=chosen["status"], statuses=list(ListingStatus), modes=list(DealMode),
                           total=total, bulk=BULK,
                           page_url=lambda page: url_for("listings.my_listings", page=page,
                                                         **{k: v for k, v in chosen.items() if v}))


@bp.post("/my/listings/bulk")
@login_required
def bulk_listings():
    """First a page that says what will happen to how many and which listings; then it is done."""
    action = request.form.get("action", "")
    back = local_target(request.form.get("back")) or url_for("listings.my_listings")
    ids = [int(i) for i in request.form.getlist("listing_ids") if i.isdigit()][:500]
    listings = db.session.scalars(select(Listing).where(
        Listing.id.in_(ids), Listing.organisation_id == current_user.organisation_id).order_by(Listing.id)).all()
    if action not in BULK or not listings:
        flash(t("请先勾选挂牌并选择要执行的操作", "Tick some listings and choose what to do"), "error")
        return redirect(back)
    if request.form.get("confirmed") != "1":
        return render_template("listings/bulk_confirm.html", listings=listings, action=action,
                               words=BULK[action], back=back)
    act, _ = ACTIONS[action]
    note = request.form.get("note", "")[:500]
    done = run_action(lambda: services.each_listing(listings, lambda listing: act(current_user, listing, note)))
    if done.ok:
        (zh, en), _ = BULK[action]
        flash(t(f"已对 {len(listings)} 项挂牌执行“{zh}”", f"{en}: done for {len(listings)} listings"), "success")
    else:
        flash(done.message, "error")
    return redirect(back)
