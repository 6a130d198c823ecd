"""Statistics on the JSON API (routes on market.web.api.bp): the same figures as the dashboard.

Money is integer fen. The scope rules are the dashboard's: the bureau sees the district, a point
operator its points, an organisation its own deals; `scope=district` from anyone else is a 403.
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from marshmallow import fields, validate

from listings.industries import MAPPING_VERSION
from listings.schemas import MAX_PAGE
from market.core.audit import AuditAction
from market.core.audit import record as audit
from market.core.db import write_intent
from market.core.extensions import db
from market.core.i18n import get_lang
from market.core.schemas import BaseSchema
from market.core.time import today_local
from market.statistics import dimensions, geography, kept, services
from market.statistics.measures import COLUMNS, Column, Figures
from market.web.api import route
from market.web.openapi import query_params

_FILTER_HELP = "Filter: a key of this dimension (see the dashboard's tables, or /statistics/pivot?by=…)."


def _filter(name: str, description: str = _FILTER_HELP) -> fields.String:
    """A filter's documented keys, so that clients (and the fuzzer) send ones the dimension has."""
    dimension = dimensions.get(name)
    return fields.String(validate=validate.OneOf((dimension.filter_keys or dimension.keys)()),
                         metadata={"description": description})


class StatsArgsSchema(BaseSchema):
    period = fields.String(metadata={"description": "2024, 2024-Q2, 2024-H1, 2024-05, ytd or YYYY-MM-DD..YYYY-MM-DD "
                                                    "(default: year to date)"})
    from_ = fields.Date(data_key="from", metadata={"description": "Start date (with `to`), inclusive."})
    to = fields.Date(metadata={"description": "End date (with `from`), inclusive."})
    basis = fields.String(validate=validate.OneOf(["filing", "effective"]), metadata={
        "description": "Licences counted on the filing date (`filing`, default) or the contract effective date "
                       "(`effective`)."})
    scope = fields.String(validate=validate.OneOf(["district", "point", "org"]), metadata={
        "description": "district (bureau only), point (point operators) or org (default: the widest the caller "
                       "may see)."})
    type = _filter("type", "Deal type, or DEALS / LICENCES for the groups.")
    patent_type = _filter("patent_type")
    supplier_type = _filter("supplier_type")
    demander_type = _filter("demander_type")
    point = fields.String(metadata={"pattern": r"^(NONE|[1-9][0-9]{0,9})$",
                                    "description": "A point id, or NONE for deals no point is credited with."})
    industry = _filter("industry", "A strategic emerging industry code (e.g. NGIT), or NONE.")
    ipc_section = _filter("ipc_section", "A–H, LOCARNO (designs) or NONE.")
    supplier_geo = _filter("supplier_geo")
    demander_geo = _filter("demander_geo")
    evidence = _filter("evidence", "Evidence level: VERIFIED (CNIPA register or the point), DOCUMENTED, "
                                   "or SELF_DECLARED.")


class PivotArgsSchema(StatsArgsSchema):
    by = fields.String(required=True, validate=validate.OneOf(list(dimensions.DIMENSIONS)),
                       metadata={"description": "The dimension to break down by."})


class DealArgsSchema(StatsArgsSchema):
    page = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "Page (50 rows each)."})


class FiguresSchema(BaseSchema):
    transactions = fields.Integer(metadata={"description": "次: number of deals (or declarations)."})
    patents = fields.Integer(metadata={"description": "件: distinct patents."})
    contract_fen = fields.Integer(metadata={"description": "Contract amount in fen (equity: agreed value)."})
    received_fen = fields.Integer(metadata={"description": "Payments dated up to the period end, in fen."})


class PeriodSchema(BaseSchema):
    key = fields.String()
    label = fields.String()
    start = fields.Date()
    end = fields.Date()


class ComparisonSchema(BaseSchema):
    period = fields.Nested(PeriodSchema)
    totals = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema))


class RevisionSchema(BaseSchema):
    change = fields.String(metadata={"description": "VOID, LATE_BASIS, LATE_PAYMENT or ENDED (terminated or rescinded)"})
    deal_id = fields.Integer(allow_none=True)
    reference = fields.String(allow_none=True)
    stat_type = fields.String()
    basis_date = fields.Date()
    occurred_on = fields.Date()
    recorded_at = fields.DateTime()
    amount_fen = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class ServiceFiguresSchema(BaseSchema):
    licences = fields.Integer(metadata={"description": "Open licences counted in the period that chose a service (次)."})
    contract_fen = fields.Integer(metadata={"description": "技术服务金额: the services' agreed amounts, in fen."})
    received_fen = fields.Integer(metadata={"description": "Service fees received by the period's end, in fen."})


class SummarySchema(BaseSchema):
    period = fields.Nested(PeriodSchema)
    basis = fields.String()
    scope = fields.String()
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    totals = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema),
                         metadata={"description": "By column: DEALS, TRANSFER, LICENCES, LICENSE_ORDINARY, "
                                                  "LICENSE_SOLE, LICENSE_EXCLUSIVE, OPEN_LICENSE, OPEN_DECLARATION, EQUITY, and "
                                                  "LICENCE_FILINGS (备案次数: licences filed with CNIPA in the period "
                                                  "by filing date, not part of DEALS)."})
    year_ago = fields.Nested(ComparisonSchema, allow_none=True)
    previous = fields.Nested(ComparisonSchema, allow_none=True)
    closed = fields.Boolean()
    at_close = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema), allow_none=True)
    technical_services = fields.Nested(ServiceFiguresSchema, metadata={
        "description": "Technical services chosen with the open licences counted (issue 14): a figure of its own, "
                       "never part of OPEN_LICENSE's amounts, which are the patent fee."})
    revisions = fields.List(fields.Nested(RevisionSchema))
    rules = fields.List(fields.List(fields.String()))
    industry_mapping = fields.String()
    geography_table = fields.String()


class PivotRowSchema(BaseSchema):
    key = fields.String()
    label = fields.String()
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema))


class PivotSchema(BaseSchema):
    dimension = fields.String()
    title = fields.String()
    period = fields.Nested(PeriodSchema)
    rows = fields.List(fields.Nested(PivotRowSchema))
    totals = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema))
    overlapping = fields.Boolean(metadata={"description": "Rows may overlap (industries): do not add them up."})


class LedgerLineSchema(BaseSchema):
    seq = fields.Integer()
    kind = fields.String()
    occurred_on = fields.Date()
    amount_fen = fields.Integer(allow_none=True)
    evidence = fields.Dict()
    note = fields.String()
    basis = fields.Boolean(metadata={"description": "This line dates the deal into the period."})


class FactSchema(BaseSchema):
    deal_id = fields.Integer(allow_none=True)
    declaration_id = fields.Integer(allow_none=True)
    reference = fields.String(allow_none=True)
    type = fields.String()
    basis_date = fields.Date()
    application_number = fields.String()
    supplier = fields.String()
    demander = fields.String(allow_none=True)
    point_id = fields.Integer(allow_none=True)
    contract_fen = fields.Integer()
    received_fen = fields.Integer()
    keys = fields.Dict(keys=fields.String(), values=fields.String())
    ledger = fields.List(fields.Nested(LedgerLineSchema))


class FactPageSchema(BaseSchema):
    items = fields.List(fields.Nested(FactSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


class PublicSchema(BaseSchema):
    on_shelf = fields.Integer(metadata={"description": "Distinct patents on the shelves (published listings) now."})
    counts = fields.String(metadata={"description": "VERIFIED: totals, this_year and by_point count only deals the "
                                                    "CNIPA register or a point verified (issue 12 §4)."})
    totals = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema))
    this_year = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema))
    by_point = fields.List(fields.Nested(PivotRowSchema))
    by_evidence = fields.List(fields.Nested(PivotRowSchema), metadata={
        "description": "Every counted deal to date by evidence level (VERIFIED, DOCUMENTED, SELF_DECLARED): "
                       "the deals not yet verified, shown apart from the totals."})


def _figures(cells: dict[Column, Figures]) -> dict:
    return {c.value: cells[c].as_dict() for c in COLUMNS}


def _period(p) -> dict:
    return {"key": p.key, "label": p.label(get_lang()), "start": p.start.isoformat(), "end": p.end.isoformat()}


def _selection():
    scope = services.scope_for(db.session, current_user, request.args.get("scope"))
    return services.parse_selection(request.args, scope=scope, today=today_local(),
                                    home_district=current_app.config.get("HOME_DISTRICT", "宝山区"))


@route("/statistics/summary", summary="District statistics: totals by deal type in both units, 同比 and 环比",
       tag="statistics", auth=True, params=query_params(StatsArgsSchema), response=SummarySchema)
def statistics_summary():
    sel = _selection()
    lang = get_lang()
    report = services.report(db.session, sel, today=today_local(), lang=lang, breakdowns=(), full=True)
    return {
        "period": _period(sel.period), "basis": str(sel.basis), "scope": sel.scope.kind, "filters": dict(sel.filters),
        "totals": _figures(report.totals),
        "year_ago": {"period": _period(report.year_ago.period), "totals": _figures(report.year_ago.totals)}
        if report.year_ago else None,
        "previous": {"period": _period(report.previous.period), "totals": _figures(report.previous.totals)}
        if report.previous else None,
        "closed": report.closed,
        "at_close": _figures(report.at_close) if report.at_close else None,
        "technical_services": vars(kept.service_figures(db.session, sel)),
        "revisions": [{**r, "basis_date": _iso(r["basis_date"]), "occurred_on": _iso(r["occurred_on"]),
                       "recorded_at": r["recorded_at"].isoformat()} for r in report.revisions],
        "rules": [list(x) for x in services.rules(db.session, sel, lang, report.generated_at)],
        "industry_mapping": MAPPING_VERSION, "geography_table": geography.VERSION,
    }


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@route("/statistics/pivot", summary="One breakdown of the figures (rows: the dimension's keys; columns: deal types)",
       tag="statistics", auth=True, params=query_params(PivotArgsSchema), response=PivotSchema)
def statistics_pivot():
    by = request.args.get("by", "")
    if not by:
        raise services.bad_request("by_required", "请用 by= 指定统计维度。", "Give the dimension with by=.", "by")
    dimensions.get(by)
    sel = _selection()
    p = services.pivot(db.session, sel, by, get_lang())
    return {"dimension": by, "title": p.title, "period": _period(sel.period), "overlapping": p.multi,
            "rows": [{"key": r.key, "label": r.label, "figures": _figures(r.cells)} for r in p.rows],
            "totals": _figures(p.totals)}


@route("/statistics/deals", summary="The deals behind a figure, with their ledger lines as evidence",
       tag="statistics", auth=True, params=query_params(DealArgsSchema), response=FactPageSchema)
def statistics_deals():
    sel = _selection()
    raw = request.args.get("page", "1").strip()
    # Only ASCII digits, and bounded: int() takes "١٢" and "1_0", and a page past the bound
    # overflowed the database's integers (a 500) where it only costs a scan.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise services.bad_request("page_invalid", f"页码须为 1 到 {MAX_PAGE} 的整数。",
                                   f"The page must be a whole number from 1 to {MAX_PAGE}.", "page")
    page = int(raw)

    # Deal by deal, with the parties' names: the API's export, audited like the files.
    # A GET that writes: its read transaction ends first, then the entry is written under the write lock.
    db.session.commit()
    with write_intent():
        audit(AuditAction.STATISTICS_EXPORTED, actor=current_user._get_current_object(), object_type="statistics",
              object_id="api", summary=services.export_summary(db.session, sel, "api", f"page {page}"))
        db.session.commit()
    result = services.deals_behind(db.session, sel, page=page)
    items = []
    for r in result.rows:
        if r.deal_id is not None:
            ledger = [{"seq": e.seq, "kind": e.kind, "occurred_on": e.occurred_on.isoformat(),
                       "amount_fen": e.amount_fen, "evidence": e.evidence or {}, "note": e.note or "",
                       "basis": e.id == r.basis_event_id} for e in result.ledger[r.deal_id]]
        else:
            ledger = [{"seq": n, "kind": e.to_status, "occurred_on": e.occurred_on.isoformat(), "amount_fen": None,
                       "evidence": {"gazette_issue": r.gazette_issue} if r.gazette_issue and e.id == r.basis_event_id
                       else {}, "note": e.note or "", "basis": e.id == r.basis_event_id}
                      for n, e in enumerate(result.declarations[r.declaration_id], 1)]
        items.append({
            "deal_id": r.deal_id, "declaration_id": r.declaration_id, "reference": r.reference, "type": r.stat_type,
            "basis_date": _iso(r.basis_date), "application_number": r.application_number,
            "supplier": r.supplier_name, "demander": r.demander_name, "point_id": r.point_id,
            "contract_fen": int(r.contract_fen or 0), "received_fen": int(r.received_fen or 0),
            "keys": {name: getattr(r, f"k_{name}") for name in dimensions.FILTERABLE
                     if name not in ("type", "industry")} | {"industry": ";".join(r.industry_json or [])},
            "ledger": ledger})
    return {"items": items, "total": result.total, "page": result.page, "per_page": result.per_page,
            "pages": result.pages}


@route("/statistics/public", summary="政务公开: the chain's totals to date, live from the ledger (no login)",
       tag="statistics", response=PublicSchema)
def statistics_public():
    f = services.public_figures(db.session, today=today_local(),
                                home_district=current_app.config.get("HOME_DISTRICT", "宝山区"), lang=get_lang())
    return {"on_shelf": f.on_shelf, "counts": "VERIFIED", "totals": _figures(f.totals),
            "this_year": _figures(f.year_totals),
            "by_point": [{"key": r.key, "label": r.label, "figures": _figures(r.cells)} for r in f.by_point.rows],
            "by_evidence": [{"key": r.key, "label": r.label, "figures": _figures(r.cells)}
                            for r in f.by_evidence.rows]}
