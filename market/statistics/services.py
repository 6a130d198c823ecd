"""Who sees which figures, what a request asks for, and the report the dashboard shows.

Scopes (issue 6): the bureau sees the whole district; a point operator sees the deals its
points are credited with; any other organisation sees its own deals. Asking for more is a 403.
Services take the session as an argument so that the CLI and the benchmark use them as the
views do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from listings.industries import MAPPING_VERSION
from listings.schemas import MAX_PAGE
from listings.vocabulary import OrgStatus, OrgType
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core.db import utcnow
from market.core.errors import DomainError, Forbidden
from market.core.money import yuan_grouped
from market.core.time import SHANGHAI
from market.deals.evidence import amount_review_fen
from market.deals.vocabulary import EvidenceLevel
from market.statistics import dimensions, geography, kept, pivots, queries
from market.statistics.measures import Basis, Column, Figures, counting_rules
from market.statistics.periods import EARLIEST, Period, classify, parse_period, period_from_range, year_to_date
from market.statistics.queries import DISTRICT, Scope, Selection

# Query parameters that are not dimensions; any other parameter must name a dimension.
RESERVED = frozenset({"period", "from", "to", "basis", "scope", "page", "per_page", "by", "format",
                      "lang", "pivot"})
# The dashboard opens on the breakdowns the issue names for it (point, industry); every other one
# is one click away (?by=), and all of them are in the export.
# Evidence first (issue 12 §4): how much of each figure the register or a point has verified.
DASHBOARD_BREAKDOWNS = ("evidence", "point", "industry")
MORE_BREAKDOWNS = ("supplier_type", "demander_type", "patent_type", "ipc_section", "supplier_geo", "demander_geo")
# The export adds the full cross of the bureau's report (journey 5).
CROSS = ("period", "type", "point", "industry", "supplier_type")


def bad_request(code: str, zh: str, en: str, field_name: str | None = None) -> DomainError:
    return DomainError(f"statistics.{code}", zh, en, field=field_name, status=400)


# ---- scopes ----------------------------------------------------------------------------------
def operated_points(session: Session, org_id: int) -> tuple[int, ...]:
    return tuple(session.scalars(select(Point.id).where(Point.operator_id == org_id).order_by(Point.id)))


def scope_for(session: Session, user: User, requested: str | None = None) -> Scope:
    """The widest scope the user may see, or the one asked for; 403 beyond what they may see."""
    org = user.organisation
    if org.status != OrgStatus.APPROVED:
        raise Forbidden("statistics.org_not_approved", "机构尚未通过审批，不能查看统计。",
                        "Your organisation is not approved yet, so it cannot see statistics.")
    requested = (requested or "").strip() or None
    if requested not in (None, "district", "point", "org"):
        raise bad_request("scope_invalid", "统计范围须为 district、point 或 org。", "The scope is district, point or org.", "scope")
    if org.org_type == OrgType.BUREAU:
        if requested in (None, "district"):
            return DISTRICT
        raise bad_request("scope_for_bureau", "区知识产权局查看全区；按网点或机构查看请用 point= 或筛选条件。",
                   "The bureau sees the whole district; narrow it with the point filter.", "scope")
    if requested == "district":
        raise Forbidden("statistics.district_forbidden", "只有区知识产权局可以查看全区统计。",
                        "Only the district bureau may see district-wide figures.")
    if org.org_type == OrgType.POINT_OPERATOR and requested in (None, "point"):
        return Scope("point", point_ids=operated_points(session, org.id))
    if requested == "point":
        raise Forbidden("statistics.point_forbidden", "只有网点运营机构可以查看网点统计。",
                        "Only a point operator may see a point's figures.")
    return Scope("org", org_id=org.id)


def scope_label(session: Session, scope: Scope, lang: str = "zh") -> str:
    if scope.kind == "district":
        return "全区（区知识产权局）" if lang != "en" else "The whole district (bureau)"
    if scope.kind == "point":
        names = queries.point_names(session, lang)
        listed = "、".join(names.get(str(i), str(i)) for i in scope.point_ids) or "—"
        return f"网点：{listed}" if lang != "en" else f"Points: {listed}"
    org = session.get(Organisation, scope.org_id)
    name = org.name if org else str(scope.org_id)
    return f"本机构交易：{name}" if lang != "en" else f"Deals of {name}"


def export_summary(session: Session, sel: Selection, fmt: str, detail: str | None = None) -> str:
    """One line for the audit log: what left the system (scope, period, basis, filters, format)."""
    filters = "，".join(f"{k}={v}" for k, v in sel.filters.items())
    return (f"{scope_label(session, sel.scope)}；{sel.period.start.isoformat()}至{sel.period.end.isoformat()}；"
            f"口径 {sel.basis}" + (f"；筛选 {filters}" if filters else "") + f"；{fmt}"
            + (f"（{detail}）" if detail else ""))


# ---- parsing a request -----------------------------------------------------------------------
def parse_selection(args: Mapping[str, str] | Iterable[tuple[str, str]], *, scope: Scope, today: date,
                    home_district: str) -> Selection:
    """Period, basis and filters from query parameters; every bad one explained (400)."""
    pairs = list(args.items(multi=True) if hasattr(args, "items") and hasattr(args, "getlist")
                 else (args.items() if isinstance(args, Mapping) else args))
    values = {k: v for k, v in pairs}
    return Selection(period=parse_period_args(values, today), basis=parse_basis(values.get("basis")),
                     filters=dimensions.parse_filters((k, v) for k, v in pairs if k not in RESERVED),
                     scope=scope, home_district=home_district, amount_review_fen=amount_review_fen())


def parse_period_args(values: Mapping[str, str], today: date) -> Period:
    start, end, period = values.get("from"), values.get("to"), values.get("period")
    if start or end:
        if not (start and end):
            raise bad_request("range_incomplete", "请同时给出起始日期和截止日期。", "Give both the start and the end date.",
                       "to" if start else "from")
        return period_from_range(start, end)
    if period:
        return parse_period(period, today)
    return year_to_date(today)


def parse_basis(value: str | None) -> str:
    if not value:
        return Basis.FILING
    try:
        return Basis(value.strip().lower())
    except ValueError:
        raise bad_request("basis_invalid", "许可的计数日期须为 filing（备案日）或 effective（合同生效日）。",
                   "The licence basis is filing or effective.", "basis") from None


# ---- the dashboard report --------------------------------------------------------------------
@dataclass
class Comparison:
    period: Period
    totals: dict[Column, Figures]
    # The same breakdown by bucket as the report's trend, for the trend's year-on-year bars.
    trend: dict[str, dict[Column, Figures]] = field(default_factory=dict)


@dataclass
class Report:
    selection: Selection
    totals: dict[Column, Figures]
    trend: pivots.Pivot
    breakdowns: dict[str, pivots.Pivot]
    year_ago: Comparison | None
    previous: Comparison | None
    closed: bool
    closed_at: datetime | None = None
    at_close: dict[Column, Figures] | None = None
    revisions: list[dict] = field(default_factory=list)
    point_names: dict[str, str] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def period(self) -> Period:
        return self.selection.period


def report(session: Session, sel: Selection, *, today: date, lang: str = "zh",
           breakdowns: Iterable[str] = DASHBOARD_BREAKDOWNS, compare: bool = True, full: bool = False) -> Report:
    """Headline, trend, breakdowns, 同比/环比, and for a closed period what changed since it closed.

    The dashboard asks for what it shows: 件 in the breakdown rows only for all deals, and the
    comparisons without 件 or amounts received. `full` (exports, the API) computes every measure
    everywhere, and the period's figures as they stood at its close when they have changed since.
    """
    breakdowns = list(breakdowns)
    names = queries.point_names(session, lang)
    granularity = sel.period.granularity()
    agg = kept.aggregate(session, sel, ["period", *breakdowns], granularity, full_rows=full)
    trend = pivots.build("period", agg.rows["period"], agg.totals, lang, keys=sel.period.buckets(granularity))
    built = {dim: pivots.build(dim, agg.rows[dim], agg.totals, lang, names) for dim in breakdowns}
    year_ago = previous = None
    if compare:
        # The cards compare 次 and contract amounts only.
        lean = {} if full else {"full_totals": False, "received": False, "patents": False}
        p = sel.period.year_ago()
        # With its buckets (in the trend's granularity) in the same statement: the trend's 同比.
        then = kept.aggregate(session, sel.replace(period=p), ["period"], granularity, **lean)
        year_ago = Comparison(p, then.totals, then.rows["period"])
        if (p := sel.period.previous()) is not None:
            # A year's previous period is the year before: counted once.
            previous = year_ago if p == year_ago.period else Comparison(
                p, kept.aggregate(session, sel.replace(period=p), **lean).totals)
    out = Report(sel, agg.totals, trend, built, year_ago, previous, closed=sel.period.closed(today),
                 point_names=names)
    if out.closed:
        out.closed_at = queries.closing_instant(sel.period)
        out.revisions = kept.revisions(session, sel, out.closed_at)
        if out.revisions and full:
            out.at_close = figures_at_close(session, sel, out.closed_at)
    return out


def figures_at_close(session: Session, sel: Selection, closed_at: datetime) -> dict[Column, Figures]:
    """The totals as the ledger stood when the period closed (what a report made then showed)."""
    return kept.aggregate(session, sel.replace(as_of=closed_at)).totals


def revision_summary(revisions: list[dict]) -> dict:
    """Counts and the effect on the contract amount of the changes listed (for the dashboard's notice)."""
    counts = {k: sum(1 for r in revisions if r["change"] == k) for k in ("VOID", "LATE_BASIS", "LATE_PAYMENT", "ENDED")}
    contract = sum(int(r["amount_fen"] or 0) for r in revisions if r["change"] in ("VOID", "LATE_BASIS")
                   and r["stat_type"] != "OPEN_DECLARATION")
    received = sum(int(r["amount_fen"] or 0) for r in revisions if r["change"] == "LATE_PAYMENT")
    deals = counts["LATE_BASIS"] - sum(1 for r in revisions if r["change"] == "LATE_BASIS"
                                       and r["stat_type"] == "OPEN_DECLARATION") - counts["VOID"]
    return {**counts, "contract_fen": contract, "received_fen": received, "deals": deals,
            "complete": len(revisions) < queries.REVISIONS_LISTED}


def pivot(session: Session, sel: Selection, by: str, lang: str = "zh") -> pivots.Pivot:
    """One breakdown (the API's /pivot); 'period' gives the trend."""
    dimensions.get(by)
    names = queries.point_names(session, lang)
    granularity = sel.period.granularity()
    agg = kept.aggregate(session, sel, [by], granularity)
    keys = sel.period.buckets(granularity) if by == "period" else None
    return pivots.build(by, agg.rows[by], agg.totals, lang, names, keys=keys)


def rules(session: Session, sel: Selection, lang: str = "zh", generated_at: datetime | None = None) -> list[tuple[str, str]]:
    stamp = (generated_at or utcnow()).replace(tzinfo=UTC).astimezone(SHANGHAI)
    return counting_rules(period_label=sel.period.label(lang), basis=sel.basis,
                          scope_label=scope_label(session, sel.scope, lang), home_district=sel.home_district,
                          industry_version=MAPPING_VERSION, geography_version=geography.VERSION,
                          generated_at=stamp.strftime("%Y-%m-%d %H:%M") + (" 北京时间" if lang != "en" else " Beijing time"),
                          lang=lang, review_line=f"{yuan_grouped(sel.amount_review_fen)} 元")


# ---- drill-down ------------------------------------------------------------------------------
@dataclass
class DealPage:
    rows: list
    total: int
    page: int
    per_page: int
    ledger: dict[int, list]
    declarations: dict[int, list]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def deals_behind(session: Session, sel: Selection, page: int = 1, per_page: int = 50) -> DealPage:
    """The deals (and declarations) behind a figure, with their ledger lines as evidence."""
    # Bounded here for every caller: a page number past 2^31 overflows PostgreSQL's OFFSET maths.
    page = min(max(1, page), MAX_PAGE)
    per_page = min(max(1, per_page), 200)
    rows, total = queries.page_of_facts(session, sel, page, per_page)
    deal_ids = [r.deal_id for r in rows if r.deal_id is not None]
    decl_ids = [r.declaration_id for r in rows if r.declaration_id is not None]
    return DealPage(rows, total, page, per_page, queries.ledger_lines(session, deal_ids),
                    queries.declaration_lines(session, decl_ids))


# ---- the public page -------------------------------------------------------------------------
@dataclass
class PublicFigures:
    """The public page: verified figures only (issue 12 §4), and beside them what is not yet verified."""

    on_shelf: int
    on_shelf_by_point: dict[str, int]
    since: Period
    this_year: Period
    totals: dict[Column, Figures]  # verified only
    year_totals: dict[Column, Figures]  # verified only
    by_point: pivots.Pivot  # verified only
    by_evidence: pivots.Pivot  # every counted deal, by evidence level: the unverified shown apart
    # Verified only: the charted breakdowns to date, and this year's months beside last year's.
    breakdowns: dict[str, pivots.Pivot] = field(default_factory=dict)
    trend: pivots.Pivot | None = None
    trend_year_ago: dict[str, dict[Column, Figures]] = field(default_factory=dict)


VERIFIED_ONLY = {"evidence": EvidenceLevel.VERIFIED.value}
# The public page's charts: the same breakdowns as the dashboard's (market/statistics/charts.py).
PUBLIC_BREAKDOWNS = ("point", "industry", "supplier_type", "supplier_geo")


def public_figures(session: Session, *, today: date, home_district: str, lang: str = "zh") -> PublicFigures:
    """政务公开: the chain's verified totals from the same ledger, as it stands at the time of the request
    (kept between requests until a line or a party changes: kept.py).

    Open to anyone, so a figure the public sees rests on the CNIPA register or a point's check,
    not on what two parties typed; the deals not yet verified are counted apart, by level.
    """

    since = classify(EARLIEST, today)
    this_year = year_to_date(today)
    sel = Selection(period=since, home_district=home_district, amount_review_fen=amount_review_fen())
    verified = sel.replace(filters=VERIFIED_ONLY)
    names = queries.point_names(session, lang)
    agg = kept.aggregate(session, verified, PUBLIC_BREAKDOWNS, full_rows=False)
    granularity = this_year.granularity()
    year = kept.aggregate(session, verified.replace(period=this_year), ["period"], granularity, full_totals=False)
    year_ago = this_year.year_ago()
    before = kept.aggregate(session, verified.replace(period=year_ago), ["period"], granularity,
                               full_totals=False, received=False, patents=False)
    levels = kept.aggregate(session, sel, ["evidence"], full_rows=False, received=False)
    on_shelf, per_point = kept.shelf_counts(session)
    built = {dim: pivots.build(dim, agg.rows[dim], agg.totals, lang, names) for dim in PUBLIC_BREAKDOWNS}
    return PublicFigures(on_shelf, per_point, since, this_year, agg.totals, year.totals, built["point"],
                         pivots.build("evidence", levels.rows["evidence"], levels.totals, lang,
                                      keys=[e.value for e in reversed(EvidenceLevel)]),
                         breakdowns=built,
                         trend=pivots.build("period", year.rows["period"], year.totals, lang,
                                            keys=this_year.buckets(granularity)),
                         trend_year_ago=before.rows["period"])
