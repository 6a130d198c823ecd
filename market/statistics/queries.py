"""The figures as set-based SQL over the deal ledger; runs on SQLite and PostgreSQL. No Flask.

One *fact* is one counted deal (or announced open-licence declaration): its first basis ledger
line falls in the period and the deal has no VOID line. `facts()` selects them with every
dimension key computed in the database; `aggregate()` runs one GROUP BY per breakdown over the
facts in a single statement (the facts CTE is materialised once), with one column group per deal
type, so 次, 件 (COUNT DISTINCT patent), contract amount and amount received are exact sums.
Rows are streamed (`stream()`), never collected per deal in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Iterator, Mapping

from sqlalchemy import (BigInteger, Integer, String, and_, case, cast, distinct, exists, func, literal,
                        null, or_, select, union_all)
from sqlalchemy.orm import Session, aliased

from listings.models import Listing, Patent
from listings.open_licence.models import DeclarationEvent, OpenLicenceDeclaration
from market.accounts.models import Organisation
from market.chain.models import Point
from market.deals.models import Deal, DealEvent
from market.statistics import dimensions, geography
from market.statistics.dimensions import NONE
from market.statistics.measures import (BASIS_EVENT, COLUMN_TYPES, COLUMNS, NEGOTIATED_LICENCES, Basis,
                                        Column, Figures, StatType)
from market.statistics.periods import MONTH, QUARTER, HALF, YEAR, Period
from market.time import SHANGHAI

VOID, PAYMENT, SIGNATURE, ANNOUNCED = "VOID", "PAYMENT", "SIGNATURE", "ANNOUNCED"
LICENCE_KINDS = tuple(t.value for t in NEGOTIATED_LICENCES)
DEAL_KINDS = tuple(BASIS_EVENT)
ROWS_PER_FETCH = 2000


@dataclass(frozen=True)
class Scope:
    """Whose deals: the whole district (bureau), one operator's points, or one organisation's own."""

    kind: str = "district"
    point_ids: tuple[int, ...] = ()
    org_id: int | None = None

    @property
    def district_wide(self) -> bool:
        return self.kind == "district"


DISTRICT = Scope()


@dataclass(frozen=True)
class Selection:
    """A question: which period, which basis for licences, which slice, whose deals, as known when."""

    period: Period
    basis: str = Basis.FILING
    filters: Mapping[str, str] = field(default_factory=dict)
    scope: Scope = DISTRICT
    home_district: str = "宝山区"
    # Count only ledger lines recorded by then: the figure as it was published at that moment.
    as_of: datetime | None = None

    def replace(self, **changes) -> Selection:
        from dataclasses import replace

        return replace(self, **changes)


def closing_instant(period: Period) -> datetime:
    """The UTC moment the period ended in Shanghai (ledger lines recorded after it are revisions)."""
    local = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return local.astimezone(UTC).replace(tzinfo=None)


# ---- the raw facts ---------------------------------------------------------------------------
def _types_wanted(sel: Selection) -> set[str]:
    wanted = sel.filters.get("type")
    if not wanted:
        return {t.value for t in StatType}
    if wanted in Column.__members__:  # a column group: all deals, all licences
        return {t.value for t in COLUMN_TYPES[Column(wanted)]}
    return {wanted}


def _deal_scope(sel: Selection, d) -> list:
    s = sel.scope
    if s.kind == "point":
        return [d.point_id.in_(s.point_ids or (-1,))]
    if s.kind == "org":
        return [or_(d.seller_org_id == s.org_id, d.buyer_org_id == s.org_id)]
    return []


def _fee_fixed_total(d):
    """FeeTerms.fixed_total_fen in SQL: the lump sum, or the entry fee; royalties are not a contract sum."""
    terms = d.fee_terms
    mode = terms["mode"].as_string()
    lump = cast(terms["lump_fen"].as_string(), BigInteger)
    entry = cast(terms["entry_fee_fen"].as_string(), BigInteger)
    return case((mode.in_(("LUMP_SUM", "INSTALLMENTS")), lump), (mode == "ENTRY_PLUS_ROYALTY", entry), else_=0)


def _deal_facts(sel: Selection, wanted: set[str]) -> list:
    """Deals counted in the period: (basis line in range, first of its kind, deal not void)."""
    d, e = Deal, aliased(DealEvent, name="basis")
    earlier, void, pay = (aliased(DealEvent, name=n) for n in ("earlier", "void", "pay"))
    start, end, as_of = sel.period.start, sel.period.end, sel.as_of

    not_void = ~exists().where(void.deal_id == d.id, void.kind == VOID,
                               *([void.recorded_at <= as_of] if as_of else []))
    received = (select(func.coalesce(func.sum(pay.amount_fen), 0))
                .where(pay.deal_id == d.id, pay.kind == PAYMENT, pay.occurred_on <= end,
                       *([pay.recorded_at <= as_of] if as_of else []))
                .scalar_subquery())
    contract = func.coalesce(d.price_fen, _fee_fixed_total(d))

    def part(kinds: tuple[str, ...], event_kind, date_expr, range_on):
        """One SELECT per way of dating a deal; `range_on` carries the index-friendly range test."""
        first = ~exists().where(earlier.deal_id == e.deal_id, earlier.kind == e.kind,
                                or_(earlier.occurred_on < e.occurred_on,
                                    and_(earlier.occurred_on == e.occurred_on, earlier.id < e.id)),
                                *([earlier.recorded_at <= as_of] if as_of else []))
        return (select(d.id.label("deal_id"), cast(null(), Integer).label("declaration_id"),
                       d.kind.label("stat_type"), date_expr.label("basis_date"),
                       e.id.label("basis_event_id"), e.recorded_at.label("basis_recorded_at"),
                       d.patent_id.label("patent_id"), d.seller_org_id.label("supplier_id"),
                       d.buyer_org_id.label("demander_id"), d.point_id.label("point_id"),
                       contract.label("contract_fen"), received.label("received_fen"))
                .select_from(e).join(d, d.id == e.deal_id)
                .where(event_kind, range_on, d.kind.in_(kinds), first, not_void,
                       *([e.recorded_at <= as_of] if as_of else []), *_deal_scope(sel, d)))

    parts = []
    by_event = [k for k in DEAL_KINDS if k in wanted
                and not (sel.basis == Basis.EFFECTIVE and k in LICENCE_KINDS)]
    for event_kind in sorted({BASIS_EVENT[StatType(k)] for k in by_event}):
        kinds = tuple(k for k in by_event if BASIS_EVENT[StatType(k)] == event_kind)
        parts.append(part(kinds, e.kind == event_kind, e.occurred_on, e.occurred_on.between(start, end)))
    licences = tuple(k for k in LICENCE_KINDS if k in wanted)
    if sel.basis == Basis.EFFECTIVE and licences:
        # The contract's effective date, for contracts whose signature is on the ledger.
        effective = func.coalesce(d.effective_date, e.occurred_on)
        parts.append(part(licences, e.kind == SIGNATURE, effective, effective.between(start, end)))
    return parts


def _declaration_facts(sel: Selection) -> list:
    """Open-licence declarations whose (first) CNIPA announcement falls in the period."""
    decl, de, earlier, lst = (OpenLicenceDeclaration, DeclarationEvent,
                              aliased(DeclarationEvent, name="earlier_decl"), Listing)
    as_of = sel.as_of
    first = ~exists().where(earlier.declaration_id == de.declaration_id, earlier.to_status == ANNOUNCED,
                            or_(earlier.occurred_on < de.occurred_on,
                                and_(earlier.occurred_on == de.occurred_on, earlier.id < de.id)),
                            *([earlier.at <= as_of] if as_of else []))
    scope = []
    if sel.scope.kind == "point":
        scope = [lst.point_id.in_(sel.scope.point_ids or (-1,))]
    elif sel.scope.kind == "org":
        scope = [decl.organisation_id == sel.scope.org_id]
    return [select(cast(null(), Integer).label("deal_id"), decl.id.label("declaration_id"),
                   literal(StatType.OPEN_DECLARATION.value, String).label("stat_type"),
                   de.occurred_on.label("basis_date"), de.id.label("basis_event_id"),
                   de.at.label("basis_recorded_at"), decl.patent_id.label("patent_id"),
                   decl.organisation_id.label("supplier_id"), cast(null(), Integer).label("demander_id"),
                   lst.point_id.label("point_id"), cast(literal(0), BigInteger).label("contract_fen"),
                   cast(literal(0), BigInteger).label("received_fen"))
            .select_from(de).join(decl, decl.id == de.declaration_id)
            .outerjoin(lst, lst.id == decl.listing_id)
            .where(de.to_status == ANNOUNCED, de.occurred_on.between(sel.period.start, sel.period.end),
                   first, *([de.at <= as_of] if as_of else []), *scope)]


def raw_facts(sel: Selection):
    """UNION ALL of every way a fact is dated; a subquery with the columns named in `_deal_facts`."""
    wanted = _types_wanted(sel)
    parts = _deal_facts(sel, wanted)
    if StatType.OPEN_DECLARATION in wanted:
        parts += _declaration_facts(sel)
    return union_all(*parts).subquery("raw") if len(parts) > 1 else parts[0].subquery("raw")


# ---- dimension keys in SQL -------------------------------------------------------------------
def _party_type(org):
    return case((org.id.is_(None), NONE),
                (org.org_type == "SOE", "SOE_" + func.coalesce(org.soe_level, "UNKNOWN")),
                else_=org.org_type)


def _region(org, home: str):
    g = geography.GEOGRAPHY
    province, district = func.coalesce(org.province, ""), func.coalesce(org.district, "")
    return case(
        (org.id.is_(None), NONE),
        (or_(func.coalesce(org.country, g.home_country) != g.home_country,
             province.in_(g.outside_mainland)), geography.ABROAD),
        (and_(province.in_(g.shanghai_names), district == ""), geography.UNKNOWN),
        (and_(province.in_(g.shanghai_names), district.in_(g.home_names(home))), geography.IN_DISTRICT),
        (province.in_(g.shanghai_names), geography.OTHER_SHANGHAI),
        (province.in_(g.delta_names), geography.YRD),
        (province == "", geography.UNKNOWN),
        else_=geography.ELSEWHERE)


def _ipc_section(p):
    return case((p.patent_type == "DESIGN", "LOCARNO"),
                (func.coalesce(p.ipc_main, "") == "", NONE),
                else_=func.upper(func.substr(p.ipc_main, 1, 1)))


def _industry_tagged(tags, code):
    """The patent carries `code` (tags is the JSON list as text; codes are quoted in it)."""
    if code == NONE:
        return or_(tags.is_(None), ~tags.like('%"%'))
    return tags.like(f'%"{code}"%')


def bucket(date_col, granularity: str):
    """periods.bucket_key in SQL ('2024-05', '2024-Q2', '2024-H1', '2024'); ISO date text on both databases."""
    text = cast(date_col, String)
    y = func.substr(text, 1, 4)
    m = cast(func.substr(text, 6, 2), Integer)
    if granularity == MONTH:
        return func.substr(text, 1, 7)
    if granularity == QUARTER:
        return y + "-Q" + cast((m + 2) // 3, String)
    if granularity == HALF:
        return y + "-H" + cast((m + 5) // 6, String)
    if granularity == YEAR:
        return y
    raise ValueError(granularity)


def facts(sel: Selection, *, detail: bool = False):
    """The counted facts with every dimension key (and, for exports, names and numbers)."""
    raw = raw_facts(sel)
    p = Patent
    sup, dem = aliased(Organisation, name="sup"), aliased(Organisation, name="dem")
    keys = {
        "type": raw.c.stat_type,
        "patent_type": func.coalesce(p.patent_type, NONE),
        "supplier_type": _party_type(sup),
        "demander_type": _party_type(dem),
        "point": func.coalesce(cast(raw.c.point_id, String), NONE),
        "ipc_section": _ipc_section(p),
        "supplier_geo": _region(sup, sel.home_district),
        "demander_geo": _region(dem, sel.home_district),
    }
    tags = cast(p.industry_tags, String)
    columns = [raw.c.deal_id, raw.c.declaration_id, raw.c.stat_type, raw.c.basis_date, raw.c.basis_event_id,
               raw.c.basis_recorded_at, raw.c.patent_id, raw.c.point_id, raw.c.contract_fen, raw.c.received_fen,
               *(expr.label(f"k_{name}") for name, expr in keys.items() if name != "type"),
               tags.label("industry_tags")]
    query = (select(*columns).select_from(raw)
             .join(p, p.id == raw.c.patent_id)
             .join(sup, sup.id == raw.c.supplier_id)
             .outerjoin(dem, dem.id == raw.c.demander_id))
    if detail:
        pt, d, decl = Point, Deal, OpenLicenceDeclaration
        query = (query.add_columns(
            p.application_number, p.title.label("patent_title"), sup.name.label("supplier_name"),
            dem.name.label("demander_name"), pt.name.label("point_name"), d.reference, d.status,
            d.filing_record_no, d.registration_no, decl.gazette_issue, d.effective_date,
            d.price_fen, d.share_pct)
            .outerjoin(pt, pt.id == raw.c.point_id)
            .outerjoin(d, d.id == raw.c.deal_id)
            .outerjoin(decl, decl.id == raw.c.declaration_id))
    for name, value in sel.filters.items():
        if name == "industry":
            query = query.where(_industry_tagged(tags, value))
        elif name != "type":  # the type filter already shaped raw_facts
            query = query.where(keys[name] == value)
    return query


# ---- aggregation -----------------------------------------------------------------------------
def _aggregates(f) -> list:
    out = []
    for col in COLUMNS:
        types = [t.value for t in COLUMN_TYPES[col]]
        member = f.c.stat_type == types[0] if len(types) == 1 else f.c.stat_type.in_(types)
        out += [func.count(case((member, 1))).label(f"{col.value}__transactions"),
                func.count(distinct(case((member, f.c.patent_id)))).label(f"{col.value}__patents"),
                func.coalesce(func.sum(case((member, f.c.contract_fen))), 0).label(f"{col.value}__contract_fen"),
                func.coalesce(func.sum(case((member, f.c.received_fen))), 0).label(f"{col.value}__received_fen")]
    return out


def _branch(f, dim: str, granularity: str | None):
    aggs = _aggregates(f)
    if dim == "ALL":
        return select(literal("ALL", String).label("dim"), literal("ALL", String).label("key"), *aggs).select_from(f)
    if dim == "period":
        key = bucket(f.c.basis_date, granularity or MONTH)
        return select(literal(dim, String).label("dim"), key.label("key"), *aggs).select_from(f).group_by(key)
    if dim == "industry":
        codes = dimensions.get("industry").ordered_keys()
        ind = union_all(*(select(literal(c, String).label("code")) for c in codes)).subquery("ind")
        key = ind.c.code
        return (select(literal(dim, String).label("dim"), key.label("key"), *aggs)
                .select_from(f).join(ind, or_(*(and_(ind.c.code == c, _industry_tagged(f.c.industry_tags, c))
                                                for c in codes)))
                .group_by(key))
    key = f.c.stat_type if dim == "type" else f.c[f"k_{dim}"]
    return select(literal(dim, String).label("dim"), key.label("key"), *aggs).select_from(f).group_by(key)


@dataclass
class Aggregate:
    """Figures by breakdown → key → column; `totals` is the 'ALL' row."""

    totals: dict[Column, Figures]
    rows: dict[str, dict[str, dict[Column, Figures]]]


def _figures(row, col: Column) -> Figures:
    m = row._mapping
    return Figures.of(m[f"{col.value}__transactions"], m[f"{col.value}__patents"],
                      m[f"{col.value}__contract_fen"], m[f"{col.value}__received_fen"])


def aggregate(session: Session, sel: Selection, breakdowns: list[str] = (),
              granularity: str | None = None) -> Aggregate:
    """Totals and the given breakdowns ('period' is the trend) in one statement."""
    f = facts(sel).cte("facts")
    branches = [_branch(f, "ALL", None)] + [_branch(f, dim, granularity) for dim in breakdowns]
    statement = union_all(*branches) if len(branches) > 1 else branches[0]
    result = Aggregate(totals={c: Figures() for c in COLUMNS}, rows={dim: {} for dim in breakdowns})
    for row in session.execute(statement):
        cells = {c: _figures(row, c) for c in COLUMNS}
        if row.dim == "ALL":
            result.totals = cells
        else:
            result.rows[row.dim][NONE if row.key is None else str(row.key)] = cells
    return result


def cross_statement(sel: Selection, dims: tuple[str, ...], granularity: str):
    """One GROUP BY over several dimensions at once (the export's cross table), ordered by key."""
    f = facts(sel).cte("facts")
    keys, joins = [], []
    for dim in dims:
        if dim == "period":
            keys.append(bucket(f.c.basis_date, granularity).label(dim))
        elif dim == "type":
            keys.append(f.c.stat_type.label(dim))
        elif dim == "industry":
            codes = dimensions.get("industry").ordered_keys()
            ind = union_all(*(select(literal(c, String).label("code")) for c in codes)).subquery("ind")
            joins.append((ind, or_(*(and_(ind.c.code == c, _industry_tagged(f.c.industry_tags, c)) for c in codes))))
            keys.append(ind.c.code.label(dim))
        else:
            keys.append(f.c[f"k_{dim}"].label(dim))
    query = select(*keys, func.count().label("transactions"),
                   func.count(distinct(f.c.patent_id)).label("patents"),
                   func.coalesce(func.sum(f.c.contract_fen), 0).label("contract_fen"),
                   func.coalesce(func.sum(f.c.received_fen), 0).label("received_fen")).select_from(f)
    for target, on in joins:
        query = query.join(target, on)
    return query.group_by(*(k.element for k in keys)).order_by(*(k.element for k in keys))


# ---- lists of facts: drill-down and exports --------------------------------------------------
def stream(session: Session, statement, rows_per_fetch: int = ROWS_PER_FETCH) -> Iterator:
    """Rows one batch at a time (a server-side cursor on PostgreSQL)."""
    result = session.execute(statement.execution_options(stream_results=True, yield_per=rows_per_fetch))
    try:
        yield from result
    finally:
        result.close()


def detail_statement(sel: Selection):
    f = facts(sel, detail=True).subquery("f")
    return select(f).order_by(f.c.basis_date, f.c.stat_type, f.c.deal_id, f.c.declaration_id)


def page_of_facts(session: Session, sel: Selection, page: int, per_page: int) -> tuple[list, int]:
    f = facts(sel, detail=True).subquery("f")
    total = session.scalar(select(func.count()).select_from(f)) or 0
    rows = session.execute(select(f).order_by(f.c.basis_date.desc(), f.c.deal_id.desc(),
                                              f.c.declaration_id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def ledger_lines(session: Session, deal_ids: list[int]) -> dict[int, list[DealEvent]]:
    """The ledger of a page of deals: the evidence behind each figure."""
    out: dict[int, list[DealEvent]] = {i: [] for i in deal_ids}
    if deal_ids:
        for event in session.scalars(select(DealEvent).where(DealEvent.deal_id.in_(deal_ids))
                                     .order_by(DealEvent.deal_id, DealEvent.seq)):
            out[event.deal_id].append(event)
    return out


def declaration_lines(session: Session, ids: list[int]) -> dict[int, list[DeclarationEvent]]:
    out: dict[int, list[DeclarationEvent]] = {i: [] for i in ids}
    if ids:
        for event in session.scalars(select(DeclarationEvent).where(DeclarationEvent.declaration_id.in_(ids))
                                     .order_by(DeclarationEvent.declaration_id, DeclarationEvent.id)):
            out[event.declaration_id].append(event)
    return out


# ---- revisions of a closed period ------------------------------------------------------------
def revisions(session: Session, sel: Selection, closed_at: datetime) -> list[dict]:
    """Ledger lines recorded after the period closed that changed its figures, with their effect.

    VOID lines remove a deal counted at the close; basis lines recorded late add one; payments
    recorded late (dated within the period) change the amount received.
    """
    at_close = raw_facts(sel.replace(as_of=closed_at)).alias("at_close")
    now = raw_facts(sel.replace(as_of=None)).alias("now")
    void, pay, d = aliased(DealEvent, name="v"), aliased(DealEvent, name="p"), Deal
    base = [d.reference.label("reference")]
    voided = (select(literal("VOID", String).label("change"), at_close.c.deal_id, at_close.c.stat_type,
                     at_close.c.basis_date, void.occurred_on, void.recorded_at,
                     (-at_close.c.contract_fen).label("amount_fen"), void.note, *base)
              .select_from(at_close).join(void, and_(void.deal_id == at_close.c.deal_id, void.kind == VOID,
                                                     void.recorded_at > closed_at))
              .join(d, d.id == at_close.c.deal_id))
    late = (select(literal("LATE_BASIS", String).label("change"), now.c.deal_id, now.c.stat_type,
                   now.c.basis_date, now.c.basis_date.label("occurred_on"),
                   now.c.basis_recorded_at.label("recorded_at"), now.c.contract_fen.label("amount_fen"),
                   literal("", String).label("note"), *base)
            .select_from(now).outerjoin(d, d.id == now.c.deal_id)
            .where(now.c.basis_recorded_at > closed_at))
    paid = (select(literal("LATE_PAYMENT", String).label("change"), now.c.deal_id, now.c.stat_type,
                   now.c.basis_date, pay.occurred_on, pay.recorded_at, pay.amount_fen.label("amount_fen"),
                   pay.note, *base)
            .select_from(now).join(pay, and_(pay.deal_id == now.c.deal_id, pay.kind == PAYMENT,
                                             pay.occurred_on <= sel.period.end, pay.recorded_at > closed_at))
            .join(d, d.id == now.c.deal_id)
            .where(now.c.basis_recorded_at <= closed_at))
    statement = union_all(voided, late, paid).subquery("changes")
    return [dict(r._mapping) for r in session.execute(
        select(statement).order_by(statement.c.recorded_at, statement.c.deal_id).limit(500))]


# ---- small lookups ---------------------------------------------------------------------------
def point_names(session: Session, lang: str = "zh") -> dict[str, str]:
    rows = session.execute(select(Point.id, Point.name, Point.name_en).order_by(Point.id))
    return {str(i): (en or zh) if lang == "en" else zh for i, zh, en in rows}


def shelf_counts(session: Session, scope: Scope = DISTRICT) -> tuple[int, dict[str, int]]:
    """Patents on the shelves now (distinct patents of published listings), in all and per point."""
    from listings.vocabulary import ListingStatus

    where = [Listing.status == ListingStatus.PUBLISHED]
    if scope.kind == "point":
        where.append(Listing.point_id.in_(scope.point_ids or (-1,)))
    elif scope.kind == "org":
        where.append(Listing.organisation_id == scope.org_id)
    total = session.scalar(select(func.count(distinct(Listing.patent_id))).where(*where)) or 0
    per_point = dict(session.execute(select(cast(Listing.point_id, String), func.count(distinct(Listing.patent_id)))
                                     .where(*where).group_by(Listing.point_id)).tuples().all())
    return total, per_point
