"""The supply side of the JSON API: search, patents and listings (routes on market.web.api.bp)."""

from __future__ import annotations

from contextlib import contextmanager

from flask import request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from listings import packages, services
from listings.models import Listing, Patent, PatentOwner
from listings.numbers import parse_application_number
from listings.patent_input import clean_patent, default_status
from listings.patents import get_patent, upsert_patent
from listings.schemas import (
    APPLICATION_NUMBER,
    MAX_INT,
    ListingArgsSchema,
    ListingInputSchema,
    ListingSchema,
    ListingUpdateSchema,
    PatentArgsSchema,
    PatentInputSchema,
    PatentSchema,
    ReasonSchema,
    ReviewSchema,
    SearchArgsSchema,
    SearchResultSchema,
    load_args,
)
from listings.vocabulary import LegalStatus, ListingStatus
from market.accounts.models import User
from market.accounts.permissions import can_manage_listing, can_review_listing, require_supplier
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.i18n import get_lang
from market.search.backend import FACETS, SearchQuery
from market.search.service import search_backend
from market.web.api import ApiValidationError, body_of, paginated, route
from market.web.openapi import describe, query_params

# Fields of a listing's offer; a PATCH starts from these so that omitted fields keep their value.
OFFER_FIELDS = ("point_id", "modes", "asking_price_fen", "price_negotiable", "pricing_method",
                "problem_solved", "advantages", "applications", "maturity")


def _me() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _application_number(raw: str, *, status: int) -> str:
    """The normalised number; a wrong one is refused with the parser's message (naming the fix)."""
    try:
        return parse_application_number(raw).normalised
    except DomainError as err:
        raise DomainError(err.code, err.zh, err.en, field=err.field, status=status) from None
    except ValueError:  # digits of other scripts pass the parser's pattern but have no check value
        raise DomainError("apn_shape", "申请号只能包含数字 0-9、X、点号和 CN/ZL 前缀",
                          "An application number has only the digits 0-9, X, a dot and a CN/ZL prefix",
                          field="application_number", status=status) from None


def _visible_listing(listing_id: int) -> Listing:
    """A listing the caller may see: published ones, or any of its own or its point's."""
    if listing_id > MAX_INT:  # beyond the id column; the database would fail, not miss
        raise NotFound("listing_not_found", "挂牌不存在", "No such listing")
    listing = services.get_listing(listing_id)
    user = _me()
    if listing.status != ListingStatus.PUBLISHED and not (
            can_manage_listing(user, listing) or can_review_listing(user, listing)):
        raise NotFound("listing_not_found", "挂牌不存在", "No such listing")
    return listing


def _body(schema) -> dict:
    try:
        return body_of(schema)
    except RecursionError:  # json.loads gives up on deep nesting with this, not a ValueError
        raise DomainError("invalid_json", "请求体 JSON 嵌套过深", "The JSON body is nested too deeply",
                          status=400) from None


def _optional_body(schema) -> dict:
    return _body(schema) if request.get_data(cache=True).strip() else schema.load({})


@contextmanager
def _first_writer_wins():
    """A unique row another request wrote a moment earlier (same patent, same number) is a 409."""
    try:
        yield
    except IntegrityError:
        db.session.rollback()
        raise Conflict("concurrent_change", "另一请求刚刚写入了同一记录，请刷新后重试",
                       "Another request has just written the same record; reload and retry") from None


def _page(stmt, schema, args: dict) -> dict:
    """One page of `stmt` in the paginated envelope; a page past the end is empty, not a 404."""
    page = db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False)
    return paginated(schema.dump(page.items), page.total or 0, args["page"], args["per_page"])


# -- search ----------------------------------------------------------------------------------
# Made once: a schema's construction copies its fields, which cost more than a small query.
SEARCH_ARGS, SEARCH_RESULT = SearchArgsSchema(), SearchResultSchema()


@route("/search", summary="Search published listings (full text, facets, highlights)", tag="search",
       params=query_params(SearchArgsSchema), response=SearchResultSchema)
def search_listings():
    args = load_args(SEARCH_ARGS, request.args)
    query = SearchQuery(text=args["q"], sort=args["sort"], page=args["page"], per_page=args["per_page"],
                        filters={f: args[f] for f in FACETS if args.get(f)})
    return SEARCH_RESULT.dump(search_backend().search(query))


# -- patents ---------------------------------------------------------------------------------

@route("/patents/<app_no>", summary="One patent by application number, in any usual form",
       tag="patents", response=PatentSchema)
def patent_get(app_no: str):
    return PatentSchema().dump(get_patent(_application_number(app_no, status=400)))


describe("patent_get", path_schemas={"app_no": {"pattern": APPLICATION_NUMBER}})


@route("/patents", summary="Patents, optionally of one owner organisation", tag="patents",
       params=query_params(PatentArgsSchema), response=PatentSchema, paginated=True)
def patent_list():
    args = load_args(PatentArgsSchema(), request.args)
    stmt = select(Patent).options(selectinload(Patent.owners), selectinload(Patent.flags)).order_by(Patent.id)
    if args["owner"] is not None:
        stmt = stmt.where(Patent.owners.any(PatentOwner.organisation_id == args["owner"]))
    return _page(stmt, PatentSchema(many=True), args)


@route("/patents", methods=("POST",), summary="Register a patent of your organisation (or update it)",
       tag="patents", auth=True, body=PatentInputSchema, response=PatentSchema, status=201)
def patent_register():
    user = _me()
    data = _body(PatentInputSchema())
    require_supplier(user)
    clean = clean_patent({**data, "ipc": ";".join(data["ipc"]),
                          "publication_number": ";".join(data["publication_numbers"])})
    if not clean.ok:
        problems: dict[str, list[str]] = {}
        for p in clean.problems:
            problems.setdefault(p.field, []).append(p.message(get_lang()))
        raise ApiValidationError(problems)
    org = user.organisation
    try:
        existing = get_patent(clean.values["application_number"])
    except NotFound:
        existing = None
    owners = None
    if existing is None:
        owners = list(data["owners"])
        if org.name.lower() not in {o.lower() for o in owners}:
            owners.append(org.name)
    elif not any(o.organisation_id == org.id or o.name.lower() == org.name.lower()
                 for o in existing.owners):
        raise Forbidden("not_patentee", "该专利已由其他专利权人登记，只有专利权人可以修改",
                        "This patent is registered to other patentees; only they can change it")
    status = LegalStatus(data["legal_status"]) if data["legal_status"] else None
    if status is None and existing is None:
        status = default_status(clean.values)
    with _first_writer_wins():
        patent, created = upsert_patent(clean.values, owners=owners, inventors=data["inventors"] or None,
                                        legal_status=status)
        db.session.commit()
    return PatentSchema().dump(patent), 201 if created else 200


describe("patent_register", also={200: "Updated: the caller's organisation is a patentee; "
                                         "owners are kept (they change through recorded transfers)"})


# -- listings --------------------------------------------------------------------------------

@route("/listings", summary="Published listings; with ?mine=1 and a token, all of your organisation's",
       params=query_params(ListingArgsSchema), tag="listings", response=ListingSchema, paginated=True)
def listing_list():
    args = load_args(ListingArgsSchema(), request.args)
    stmt = select(Listing).options(selectinload(Listing.patent), selectinload(Listing.organisation),
                                   selectinload(Listing.point))
    if args["mine"]:
        user = _me()
        if user is None:
            raise DomainError("unauthorised", "查看本机构挂牌需要有效的 API 令牌",
                              "A valid API token is required for your own listings", status=401)
        stmt = stmt.where(Listing.organisation_id == user.organisation_id)
        if args["status"]:
            stmt = stmt.where(Listing.status == args["status"])
        stmt = stmt.order_by(Listing.updated_at.desc(), Listing.id.desc())
    else:
        stmt = stmt.where(Listing.status == ListingStatus.PUBLISHED).order_by(
            Listing.published_at.desc(), Listing.id.desc())
    return _page(stmt, ListingSchema(many=True), args)


describe("listing_list", errors=(401,), optional_auth=True)


@route("/listings/<int:id>", summary="One listing (unpublished ones only for its owner and point)",
       tag="listings", response=ListingSchema)
def listing_get(id: int):
    return ListingSchema().dump(_visible_listing(id))


describe("listing_get", optional_auth=True)


@route("/listings", methods=("POST",), tag="listings", auth=True,
       summary="Put one of your organisation's patents, or a package of them, on a point's shelf (as a draft)",
       body=ListingInputSchema, response=ListingSchema, status=201)
def listing_create():
    user = _me()
    data = _body(ListingInputSchema())
    patent = get_patent(_application_number(data.pop("application_number"), status=422))
    further = data.pop("package_numbers", [])
    with _first_writer_wins():
        if further:
            members = [patent, *packages.stored_members(further)]
            listing = packages.create_package(user, members, user.organisation, data)
        else:
            listing = services.create_listing(user, patent, user.organisation, data)
        db.session.commit()
    return ListingSchema().dump(listing), 201


@route("/listings/<int:id>", methods=("PATCH",), summary="Change the offer of your organisation's listing",
       auth=True, body=ListingUpdateSchema, tag="listings", response=ListingSchema)
def listing_update(id: int):
    listing = _visible_listing(id)
    data = _body(ListingUpdateSchema())
    offer = {key: getattr(listing, key) for key in OFFER_FIELDS} | data
    listing = services.update_listing(_me(), listing, offer)
    db.session.commit()
    return ListingSchema().dump(listing)


@route("/listings/<int:id>/submit", methods=("POST",), summary="Send a draft to the point for review",
       auth=True, tag="listings", response=ListingSchema)
def listing_submit(id: int):
    listing = services.submit_listing(_me(), _visible_listing(id))
    db.session.commit()
    return ListingSchema().dump(listing)


@route("/listings/<int:id>/withdraw", methods=("POST",), summary="Take a listing off the shelf for good",
       auth=True, body=ReasonSchema, tag="listings", response=ListingSchema)
def listing_withdraw(id: int):
    listing = _visible_listing(id)
    reason = _optional_body(ReasonSchema())["reason"]
    listing = services.withdraw_listing(_me(), listing, reason)
    db.session.commit()
    return ListingSchema().dump(listing)


@route("/listings/<int:id>/suspend", methods=("POST",), summary="Pause a published listing",
       auth=True, body=ReasonSchema, tag="listings", response=ListingSchema)
def listing_suspend(id: int):
    listing = _visible_listing(id)
    reason = _optional_body(ReasonSchema())["reason"]
    listing = services.suspend_listing(_me(), listing, reason)
    db.session.commit()
    return ListingSchema().dump(listing)


describe("listing_withdraw", body_required=False)
describe("listing_suspend", body_required=False)


@route("/listings/<int:id>/resume", methods=("POST",), summary="Put a suspended listing back on the shelf",
       auth=True, tag="listings", response=ListingSchema)
def listing_resume(id: int):
    listing = services.resume_listing(_me(), _visible_listing(id))
    db.session.commit()
    return ListingSchema().dump(listing)


@route("/listings/<int:id>/review", methods=("POST",), tag="listings", auth=True,
       summary="Publish or reject a submitted listing (the operator of its point)",
       body=ReviewSchema, response=ListingSchema)
def listing_review(id: int):
    listing = _visible_listing(id)
    data = _body(ReviewSchema())
    listing = services.review_listing(_me(), listing, approve=data["approve"], note=data["note"])
    db.session.commit()
    return ListingSchema().dump(listing)
