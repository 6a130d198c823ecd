"""The catalogue: Chinese full-text search with facets, and the patent page."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from listings import vocabulary as v
from listings.industries import all_industries, industry_label
from listings.numbers import parse_application_number
from listings.patents import add_evaluation_report as add_evaluation_report_to
from listings.patents import confirm_status_by_point, get_patent, may_confirm_status, status_confirmable
from listings.search import PRICE_BAND_LABELS
from listings.services import shelf_blockers
from listings.term import format_remaining
from listings.views.blueprint import bp
from listings.views.forms import EvaluationReportForm
from listings.vocabulary import ListingStatus
from market.accounts.permissions import can_manage_listing, can_review_listing
from market.core.errors import DomainError
from market.core.i18n import get_lang, t
from market.core.schemas import load
from market.search.backend import FACETS, SORTS, SearchQuery
from market.search.service import search_backend
from market.web.actions import run_action

PER_PAGE = 20
FACET_VALUES_SHOWN = 30


@bp.get("/search")
def search():
    text = request.args.get("q", "").strip()[:200]
    sort = request.args.get("sort", "relevance")
    if sort not in SORTS:
        sort = "relevance"
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    filters = {f: request.args.getlist(f) for f in FACETS if request.args.getlist(f)}
    result = search_backend().search(SearchQuery(text=text, filters=filters, sort=sort, page=page,
                                                 per_page=PER_PAGE))
    # A person scans a facet's top values; hundreds of owners only slow the page down.
    # Selected values stay visible even when they are not among the top ones.
    result.facets = {f: [(v, c) for i, (v, c) in enumerate(values)
                         if i < FACET_VALUES_SHOWN or v in filters.get(f, [])]
                     for f, values in result.facets.items()}
    return render_template("listings/search.html", q=text, sort=sort, sorts=SORTS, filters=filters,
                           result=result, facet_label=facet_label, url_with=url_with,
                           price_band_labels=PRICE_BAND_LABELS)


def facet_label(facet: str, value: str) -> str:
    """Display text of a facet value (enum labels, industry names, price bands)."""

    lang = get_lang()
    enums = {"patent_type": v.PatentType, "mode": v.DealMode, "owner_type": v.OrgType,
             "legal_status": v.LegalStatus}
    if facet in enums and value in enums[facet].__members__:
        return enums[facet][value].label(lang)
    if facet == "industry" and value in all_industries():
        return industry_label(value, lang)
    if facet == "price_band" and value in PRICE_BAND_LABELS:
        zh, en = PRICE_BAND_LABELS[value]
        return en if lang == "en" else zh
    return value


def url_with(**changes) -> str:
    """The search URL with some parameters changed; `toggle=(facet, value)` flips a filter."""
    args = request.args.to_dict(flat=False)
    toggle = changes.pop("toggle", None)
    if toggle:
        facet, value = toggle
        values = args.get(facet, [])
        args[facet] = [x for x in values if x != value] if value in values else [*values, value]
        args.pop("page", None)
    for key, value in changes.items():
        args[key] = [str(value)]
    return url_for("listings.search", **{k: v for k, v in args.items() if v})


def _patent_or_404(app_no: str):
    """The patent behind a URL's number in any spelling; 404 for a malformed or unknown one."""
    try:
        return get_patent(parse_application_number(app_no).normalised)
    except DomainError:
        abort(404)


@bp.get("/patents/<app_no>")
def patent(app_no: str):
    patent = _patent_or_404(app_no)
    user = current_user if current_user.is_authenticated else None
    listing = patent.live_listing
    visible = listing is not None and (listing.status == ListingStatus.PUBLISHED or
                                       can_manage_listing(user, listing) or can_review_listing(user, listing))
    is_owner = user is not None and user.organisation_id in {o.organisation_id for o in patent.owners}
    if not visible and not is_owner:
        # Only what is on the shelf is public; an owner still sees its own unlisted patents.
        abort(404)
    similar = []
    if listing is not None and listing.status == ListingStatus.PUBLISHED:
        similar = [h for h in search_backend().similar(f"{patent.title} {patent.abstract}", limit=7)
                   if h.id != listing.id][:6]
    return render_template(
        "listings/patent.html", patent=patent, listing=listing if visible else None,
        remaining=format_remaining(patent.last_protected_day, date.today(), get_lang())
        if patent.last_protected_day else "",
        blockers=shelf_blockers(patent, listing.modes if listing else []), flags=patent.active_flags(),
        can_manage=listing is not None and can_manage_listing(user, listing), similar=similar,
        is_owner=is_owner,
        can_confirm_status=may_confirm_status(user, patent) and status_confirmable(patent))


@bp.post("/patents/<app_no>/legal-status/confirm")
@login_required
def confirm_legal_status(app_no: str):
    """The listing's point checked the CNIPA register and confirms the status shown (R-DI-1)."""
    patent = _patent_or_404(app_no)
    if not may_confirm_status(current_user, patent):
        abort(403)
    done = run_action(lambda: confirm_status_by_point(current_user, patent))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("已确认法律状态与国知局登记簿一致", "Legal status confirmed against the CNIPA register"), "success")
    return redirect(url_for("listings.patent", app_no=patent.application_number))


@bp.post("/patents/<app_no>/evaluation-reports")
@login_required
def add_evaluation_report(app_no: str):
    """A patentee records the 专利权评价报告 of its utility model or design (PL 50; IR 62)."""
    patent = _patent_or_404(app_no)
    if current_user.organisation_id not in {o.organisation_id for o in patent.owners}:
        abort(403)
    form, errors = load(EvaluationReportForm(), request.form)
    def record():
        if errors:
            field, messages = next(iter(errors.items()))
            raise DomainError("invalid_report", f"{field}: {messages[0]}", f"{field}: {messages[0]}")
        add_evaluation_report_to(patent, **form)

    done = run_action(record)
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("评价报告已登记", "Evaluation report recorded"), "success")
    return redirect(url_for("listings.patent", app_no=patent.application_number))


@bp.app_template_global("industry_label")
def industry_label_in_page(code: str) -> str:
    """An industry's name in the page's language (every template; the code itself if unknown)."""
    try:
        return industry_label(code, get_lang())
    except KeyError:
        return code
