"""Marshmallow schemas for the listings JSON API: query arguments, request bodies, responses.

Input schemas check shape and format only; ownership, state and uniqueness rules stay in the
services. Output schemas dump models (or search hits) so that models carry no serialisers.
"""

from __future__ import annotations

from marshmallow import fields, pre_dump, validate

from listings.vocabulary import DealMode, LegalStatus, ListingStatus, Maturity, PatentType, PricingMethod
from market.core.schemas import (  # noqa: F401
    MAX_INT,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_PRICE_FEN,
    NO_NUL,
    NOT_BLANK,
    BaseSchema,
    JsonBoolean,
    PagingArgsSchema,
    Storable,
    TrimmedString,
    UtcDateTime,
    _values,
    ascii_digits,
    load_args,
    localise,
    printable,
    text_field,
)
from market.search.backend import SORTS

# The shapes listings.numbers accepts; the check character itself is checked by the server.
APPLICATION_NUMBER = r"^ *(?:(?:[Cc][Nn]|[Zz][Ll]) ?)?(?:\d{4} ?\d ?\d{7}|\d{2} ?\d ?\d{5})(?:\.?[0-9Xx])? *$"




def application_number_field() -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=40), printable, ascii_digits],
                         metadata={"pattern": APPLICATION_NUMBER,
                                   "description": "申请号 in any usual form: 202010123456.2, "
                                                  "CN2020101234562, ZL 2020 1 0123456.2 …"})


# -- query arguments -------------------------------------------------------------------------


def _facet_field(name: str) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(max=200)), load_default=list,
                       metadata={"description": f"Keep hits whose {name} is any of these values "
                                                "(repeat the parameter for several)."})


class SearchArgsSchema(PagingArgsSchema):
    q = fields.String(load_default="", validate=validate.Length(max=500),
                      metadata={"description": "Words to look for, Chinese or English."})
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    patent_type = _facet_field("patent type (INVENTION, UTILITY_MODEL, DESIGN)")
    industry = _facet_field("industry tag")
    ipc_section = _facet_field("IPC section (e.g. H)")
    ipc_class = _facet_field("IPC class (e.g. H01)")
    mode = _facet_field("deal mode")
    owner_type = _facet_field("owner's organisation type")
    owner = _facet_field("owner name")
    point = _facet_field("point name")
    legal_status = _facet_field("legal status")
    price_band = _facet_field("price band (NEGOTIABLE, FREE, LT_100K, …)")


class ListingArgsSchema(PagingArgsSchema):
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "With a token: every listing of your organisation, "
                                                   "in any status."})
    status = fields.String(load_default=None, validate=validate.OneOf(_values(ListingStatus)),
                           metadata={"description": "With mine: only listings in this status."})


class PatentArgsSchema(PagingArgsSchema):
    owner = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_INT),
                           metadata={"description": "Organisation id of a patentee."})


# -- request bodies --------------------------------------------------------------------------

def _price_field() -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_PRICE_FEN),
                          metadata={"description": "Asking price in fen (分), a whole number; "
                                                   "null with price_negotiable for 面议."})


class ListingUpdateSchema(BaseSchema):
    """The offer fields of a listing; in a PATCH every field is optional."""

    point_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_INT))
    modes = fields.List(fields.String(validate=validate.OneOf(_values(DealMode))),
                        validate=validate.Length(max=len(DealMode)))
    asking_price_fen = _price_field()
    price_negotiable = JsonBoolean()
    pricing_method = fields.String(validate=validate.OneOf(_values(PricingMethod)))
    problem_solved = text_field(5000)
    advantages = text_field(5000)
    applications = text_field(5000)
    maturity = fields.String(allow_none=True, validate=validate.OneOf(_values(Maturity)))


class ListingInputSchema(ListingUpdateSchema):
    application_number = application_number_field()
    point_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_INT))
    modes = fields.List(fields.String(validate=validate.OneOf(_values(DealMode))), load_default=list,
                        validate=validate.Length(max=len(DealMode)))
    asking_price_fen = fields.Integer(strict=True, allow_none=True, load_default=None,
                                      validate=validate.Range(min=0, max=MAX_PRICE_FEN),
                                      metadata={"description": "Asking price in fen (分)."})
    price_negotiable = JsonBoolean(load_default=False)
    package_numbers = fields.List(
        fields.String(validate=[validate.Length(min=1, max=40), printable, ascii_digits]), load_default=list,
        validate=validate.Length(max=49),
        metadata={"description": "A package (专利包) at one price: the application numbers of the further "
                                 "patents, stored and of the same patentees; application_number leads it."})


class ReviewSchema(BaseSchema):
    approve = JsonBoolean(required=True)
    note = text_field(500, load_default="")


class ReasonSchema(BaseSchema):
    reason = text_field(500, load_default="")


def _names(max_items: int, description: str) -> fields.List:
    return fields.List(TrimmedString(validate=[validate.Length(min=1, max=200), printable],
                                     metadata={"pattern": NOT_BLANK}),
                       load_default=list, validate=validate.Length(max=max_items),
                       metadata={"description": description})


class PatentInputSchema(BaseSchema):
    """Bibliographic fields; clean_patent checks numbers, classifications and dates."""

    application_number = application_number_field()
    patent_type = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(_values(PatentType)))
    title = text_field(500, required=True)
    title_en = text_field(500, load_default="")
    abstract = text_field(20_000, load_default="")
    first_claim = text_field(20_000, load_default="")
    agent = text_field(200, load_default="")
    filing_date = fields.Date(load_default=None, allow_none=True)
    grant_date = fields.Date(load_default=None, allow_none=True)
    ipc = fields.List(fields.String(validate=[validate.Length(max=40), printable]), load_default=list,
                      validate=validate.Length(max=50),
                      metadata={"description": "IPC symbols, the main one first."})
    locarno = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=20), printable])
    publication_numbers = fields.List(fields.String(validate=[validate.Length(max=30), printable]),
                                      load_default=list, validate=validate.Length(max=20))
    owners = _names(20, "Patentees in register order, used on first registration only (yours is "
                        "added if missing); later they change by recorded transfer.")
    inventors = _names(100, "Inventors in register order.")
    legal_status = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(_values(LegalStatus)))


# -- responses -------------------------------------------------------------------------------

class PatentOwnerSchema(BaseSchema):
    position = fields.Integer()
    name = fields.String()
    organisation_id = fields.Integer(allow_none=True)


class PatentSchema(BaseSchema):
    id = fields.Integer()
    application_number = fields.String()
    patent_no = fields.String()
    patent_type = fields.String(validate=validate.OneOf(_values(PatentType)))
    title = fields.String()
    title_en = fields.String()
    abstract = fields.String()
    first_claim = fields.String()
    filing_date = fields.Date(allow_none=True)
    grant_date = fields.Date(allow_none=True)
    last_protected_day = fields.Date(allow_none=True)
    publication_numbers = fields.List(fields.String())
    ipc_main = fields.String(allow_none=True)
    ipc_all = fields.List(fields.String())
    locarno = fields.String(allow_none=True)
    inventors = fields.List(fields.String())
    agent = fields.String()
    legal_status = fields.String(validate=validate.OneOf(_values(LegalStatus)))
    lapse_reason = fields.String(allow_none=True)
    legal_status_date = fields.Date(allow_none=True)
    industry_tags = fields.List(fields.String())
    flags = fields.Method("active_flags", metadata={
        "json_schema": {"type": "array", "items": {"type": "string"},
                        "description": "Encumbrances and rights in force today."}})
    owners = fields.List(fields.Nested(PatentOwnerSchema))
    owners_source = fields.String(metadata={"description": "Where the owners came from: REGISTER (the CNIPA "
                                            "register import), EXPORT (a CNIPA/CNKI export file) or USER (typed)."})
    legal_status_source = fields.String(metadata={"description": "Where the legal status came from (as owners_source)."})
    dates_source = fields.String(metadata={"description": "Where the filing and grant dates came from."})
    status_checked_at = UtcDateTime(allow_none=True, metadata={
        "description": "When the legal status was last checked against its source."})
    register_checked_at = UtcDateTime(allow_none=True, metadata={
        "description": "When the CNIPA register (status import) last confirmed this patent; null if never."})
    unconfirmed = fields.List(fields.String(), metadata={
        "description": "What the CNIPA register has not confirmed (owners, legal_status, dates): shown as "
                       "待国知局登记簿核实 (awaiting the CNIPA register)."})
    updated_at = UtcDateTime()

    def active_flags(self, patent) -> list[str]:
        return sorted(patent.active_flags())


class ListingMemberSchema(BaseSchema):
    application_number = fields.String()
    patent_no = fields.String()
    title = fields.String()
    patent_type = fields.String()
    legal_status = fields.String()


class ListingSchema(BaseSchema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(_values(ListingStatus)))
    status_note = fields.String()
    patent_id = fields.Integer()
    application_number = fields.String(attribute="patent.application_number")
    title = fields.String(attribute="patent.title")
    patent_type = fields.String(attribute="patent.patent_type")
    legal_status = fields.String(attribute="patent.legal_status")
    organisation_id = fields.Integer()
    organisation = fields.String(attribute="organisation.name")
    point_id = fields.Integer()
    point = fields.String(attribute="point.name")
    is_package = JsonBoolean(metadata={"description": "True for a package (专利包) of several patents."})
    members = fields.List(fields.Nested(lambda: ListingMemberSchema()), metadata={
        "description": "Every patent the listing sells, the lead (application_number) first."})
    modes = fields.List(fields.String())
    asking_price_fen = fields.Integer(allow_none=True)
    price_negotiable = JsonBoolean()
    pricing_method = fields.String()
    problem_solved = fields.String()
    advantages = fields.String()
    applications = fields.String()
    maturity = fields.String(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    published_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class HighlightsSchema(BaseSchema):
    title = fields.String(metadata={"description": "HTML: escaped text with <mark> around matches."})
    abstract = fields.String()


class SearchHitSchema(BaseSchema):
    """One hit; `doc` is the search document built by listings.search.listing_document."""

    listing_id = fields.Integer(attribute="id")
    application_number = fields.String(attribute="doc.application_number")
    title = fields.String(attribute="doc.title")
    patent_type = fields.String(attribute="doc.patent_type")
    modes = fields.List(fields.String(), attribute="doc.modes")
    price_fen = fields.Integer(attribute="doc.price_fen", allow_none=True)
    price_negotiable = fields.Boolean(attribute="doc.price_negotiable")
    owners = fields.List(fields.String(), attribute="doc.owners")
    point = fields.String(attribute="doc.point")
    legal_status = fields.String(attribute="doc.legal_status")
    industries = fields.List(fields.String(), attribute="doc.industries")
    ipc = fields.List(fields.String(), attribute="doc.ipc")
    members = fields.List(fields.Nested(lambda: HitMemberSchema()), attribute="doc.members", metadata={
        "description": "The patents the listing sells, the lead first; more than one for a package (专利包)."})
    highlights = fields.Nested(HighlightsSchema)
    score = fields.Float()


class HitMemberSchema(BaseSchema):
    application_number = fields.String()
    title = fields.String()


class FacetCountSchema(BaseSchema):
    value = fields.String()
    count = fields.Integer()


class FacetCounts(fields.List):
    """A facet's (value, count) pairs as FacetCountSchema objects; documented as that list.

    Written straight, not through a nested schema per value: a catalogue query returns a few
    hundred facet values, and marshmallow's per-field machinery cost more than the engine's query.
    """

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(FacetCountSchema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else [{"value": str(v), "count": int(c)} for v, c in value]


class SearchResultSchema(BaseSchema):
    items = fields.List(fields.Nested(SearchHitSchema), attribute="hits")
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    facets = fields.Dict(keys=fields.String(), values=FacetCounts(),
                         metadata={"description": "Per facet, its values with hit counts."})
    relaxed = fields.Boolean(metadata={"description": "True when no listing had every word and "
                                                      "listings with any of them are shown."})
    degraded = fields.Boolean(metadata={"description": "True when the search cluster could not answer "
                                                       "and the local standby index did."})

    @pre_dump
    def facet_dicts(self, result, **kwargs) -> dict:
        # The backend counts facets as (value, count) pairs; the API names them (FacetCounts).
        return {"hits": result.hits, "total": result.total, "page": result.page,
                "per_page": result.per_page, "pages": result.pages, "relaxed": result.relaxed,
                "degraded": result.degraded,
                "facets": result.facets}
