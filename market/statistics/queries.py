"""The figures as set-based SQL over the deal ledger; runs on SQLite and PostgreSQL. No Flask.

One *fact* is one counted deal (or announced open-licence declaration): its first basis ledger
line falls in the period and the deal has no VOID line. `facts()` selects them with the
dimension keys a question needs, computed in the database; `aggregate()` runs one GROUP BY per
breakdown over the facts in a single statement (the facts CTE is materialised once), with one
column group per deal type, so 次, 件 (COUNT DISTINCT patent), contract amount and amount received
are exact sums. Rows are streamed (`stream()`), never collected per deal in Python.

Every value is a bound parameter and every statement is built once per *shape* (which types,
filters, scope, breakdowns) and cached: building a statement of this size costs more than
running it on a small ledger. The ledger indexes of migration 0007 (`indexes.py`) let each
lookup read an index only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Iterator, Mapping

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from listings.models import Listing, Patent
from listings.vocabulary import ListingStatus
from market.accounts.models import Organisation
from market.accounts.points.models import Point
from market.core.time import SHANGHAI
from market.deals.models import Deal, DealEvent
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration
from market.statistics import geography, indexes  # noqa: F401  (indexes: declared on the tables)
from market.statistics.dimensions import NONE
from market.statistics.measures import (
    BASIS_EVENT,
    COLUMN_TYPES,
    COLUMNS,
    NEGOTIATED_LICENCES,
    Basis,
    Column,
    Figures,
    StatType,
)
from market.statistics.periods import HALF, MONTH, QUARTER, YEAR, Period

VOID, PAYMENT, SIGNATURE, ANNOUNCED = "VOID", "PAYMENT", "SIGNATURE", "ANNOUNCED"
LICENCE_KINDS = tuple(t.value for t in NEGOTIATED_LICENCES)
DEAL_KINDS = tuple(BASIS_EVENT)
ROWS_PER_FETCH = 2000
REVISIONS_LISTED = 500
SQLITE_MMAP_BYTES = 1 << 30  # address space only; pages come from the OS cache


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

        return replace(self, **changes)


def closing_instant(period: Period) -> datetime:
    """The UTC moment the period ended in Shanghai (ledger lines recorded after it are revisions)."""
    local = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return local.astimezone(UTC).replace(tzinfo=None)


# ---- the shape of a question, and its values ---------------------------------------------------
NOW, AS_OF = "now", "as_of"


@dataclass(frozen=True)
class Shape:
    """What decides the SQL text; everything else is a bound value, so statements are built once."""

    types: frozenset[str]
    basis: str
    scope: str
    filters: tuple[str, ...]  # filter names (the 'NONE' industry is its own shape: no LIKE)
    # NOW: what the ledger says; AS_OF: only the lines recorded by p_as_of (a published figure).
    view: str = NOW
    received: bool = True  # comparisons that show no amount received skip summing payments


def _types_wanted(sel: Selection) -> frozenset[str]:
    wanted = sel.filters.get("type")
    if not wanted:
        return frozenset(t.value for t in StatType)
    if wanted in Column.__members__:  # a column group: all deals, all licences
        return frozenset(t.value for t in COLUMN_TYPES[Column(wanted)])
    return frozenset({wanted})


def shape_of(sel: Selection, *, received: bool = True) -> Shape:
    names = []
    for name, value in sorted(sel.filters.items()):
        if name == "type":
            continue
        names.append("industry:NONE" if name == "industry" and value == NONE else name)
    return Shape(_types_wanted(sel), str(sel.basis), sel.scope.kind, tuple(names),
                 AS_OF if sel.as_of is not None else NOW, received)


def params_of(sel: Selection, **more) -> dict:
    values = {"p_start": sel.period.start, "p_end": sel.period.end,
              "p_home": list(geography.GEOGRAPHY.home_names(sel.home_district))}
    if sel.as_of is not None:
        values["p_as_of"] = sel.as_of
    if sel.scope.kind == "point":
        values["p_points"] = list(sel.scope.point_ids) or [-1]
    elif sel.scope.kind == "org":
        values["p_org"] = sel.scope.org_id
    for name, value in sel.filters.items():
        if name == "industry":
            if value != NONE:
                values["f_industry"] = f'%"{value}"%'
        elif name != "type":
            values[f"f_{name}"] = value
    values.update(more)
    return values


def _p(name: str, type_=None, expanding: bool = False):
    return bindparam(name, type_=type_, expanding=expanding)


def tune(session: Session) -> None:
    """On SQLite, read the database file through memory mapping: lookups then cost no system call."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.info.get("statistics_tuned"):
        connection.exec_driver_sql(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        connection.info["statistics_tuned"] = True


# ---- the raw facts ---------------------------------------------------------------------------
def _deal_scope(shape: Shape, d) -> list:
    if shape.scope == "point":
        return [d.point_id.in_(_p("p_points", Integer, expanding=True))]
    if shape.scope == "org":
        org = _p("p_org", Integer)
        return [or_(d.seller_org_id == org, d.buyer_org_id == org)]
    return []


def _fee_fixed_total(d):
    """FeeTerms.fixed_total_fen in SQL: the lump sum, or the entry fee; royalties are not a contract sum."""
    terms = d.fee_terms
    mode = terms["mode"].as_string()
    lump = cast(terms["lump_fen"].as_string(), BigInteger)
    entry = cast(terms["entry_fee_fen"].as_string(), BigInteger)
    return case((mode.in_(("LUMP_SUM", "INSTALLMENTS")), lump), (mode == "ENTRY_PLUS_ROYALTY", entry), else_=0)


def _deal_facts(shape: Shape) -> list:
    """Deals counted in the period: basis line in range, deal not void.

    A deal has at most one basis line of each kind (the database refuses a second, migration
    0007), so a deal is dated once without the query having to look for an earlier line.
    """
    d, e = Deal, aliased(DealEvent, name="basis")
    void, pay = (aliased(DealEvent, name=n) for n in ("void", "pay"))
    start, end = _p("p_start", Date), _p("p_end", Date)
    as_of = _p("p_as_of", DateTime) if shape.view == AS_OF else None

    def known(event):
        return [event.recorded_at <= as_of] if as_of is not None else []

    if as_of is None:
        # A VOID line and the VOID status are written together (ledger.move) and VOID is final,
        # so the deal row answers without another lookup (`reconcile` checks they agree).
        not_void = d.status != VOID
    else:
        not_void = ~exists().where(void.deal_id == d.id, void.kind == VOID, *known(void))
    received = cast(literal(0), BigInteger)
    if shape.received:
        received = (select(func.coalesce(func.sum(pay.amount_fen), 0))
                    .where(pay.deal_id == e.deal_id, pay.kind == PAYMENT, pay.occurred_on <= end, *known(pay))
                    .scalar_subquery())
    contract = func.coalesce(d.price_fen, _fee_fixed_total(d))

    def part(kinds: tuple[str, ...], kind_test, date_expr, range_on):
        """One SELECT per way of dating a deal; `range_on` carries the index-friendly range test."""
        return (select(d.id.label("deal_id"), cast(null(), Integer).label("declaration_id"),
                       d.kind.label("stat_type"), date_expr.label("basis_date"),
                       e.id.label("basis_event_id"), e.recorded_at.label("basis_recorded_at"),
                       d.patent_id.label("patent_id"), d.seller_org_id.label("supplier_id"),
                       d.buyer_org_id.label("demander_id"), d.point_id.label("point_id"),
                       contract.label("contract_fen"), received.label("received_fen"))
                .select_from(e).join(d, d.id == e.deal_id)
                .where(kind_test, range_on, d.kind.in_(kinds), not_void, *known(e), *_deal_scope(shape, d)))

    parts = []
    by_event = [k for k in DEAL_KINDS if k in shape.types
                and not (shape.basis == Basis.EFFECTIVE and k in LICENCE_KINDS)]
    if by_event:
        parts.append(part(tuple(by_event), _basis_pairs(e, d, by_event), e.occurred_on,
                          e.occurred_on.between(start, end)))
    licences = tuple(k for k in LICENCE_KINDS if k in shape.types)
    if shape.basis == Basis.EFFECTIVE and licences:
        # The contract's effective date, for contracts whose signature is on the ledger.
        effective = func.coalesce(d.effective_date, e.occurred_on)
        parts.append(part(licences, e.kind == SIGNATURE, effective, effective.between(start, end)))
    return parts


def _basis_pairs(e, d, kinds):
    """One pass over the basis lines of the period, each matched to its deal's kind.

    The line's kind is tested against a list (an index range) and then against the deal's kind
    through a CASE, not an OR of pairs, which PostgreSQL would turn into a bitmap of one index
    scan per pair reading the table rows.
    """
    events = sorted({BASIS_EVENT[StatType(k)] for k in kinds})
    expected = case(*((d.kind == k, BASIS_EVENT[StatType(k)]) for k in kinds), else_=null())
    return and_(e.kind.in_(events), e.kind == expected)


def _declaration_facts(shape: Shape) -> list:
    """Open-licence declarations whose (first) CNIPA announcement falls in the period."""
    decl, de, earlier, lst = (OpenLicenceDeclaration, DeclarationEvent,
                              aliased(DeclarationEvent, name="earlier_decl"), Listing)
    as_of = _p("p_as_of", DateTime) if shape.view == AS_OF else None
    first = ~exists().where(earlier.declaration_id == de.declaration_id, earlier.to_status == ANNOUNCED,
                            earlier.id < de.id, *([earlier.at <= as_of] if as_of is not None else []))
    scope = []
    if shape.scope == "point":
        scope = [lst.point_id.in_(_p("p_points", Integer, expanding=True))]
    elif shape.scope == "org":
        scope = [decl.organisation_id == _p("p_org", Integer)]
    zero = cast(literal(0), BigInteger)
    return [select(cast(null(), Integer).label("deal_id"), decl.id.label("declaration_id"),
                   literal(StatType.OPEN_DECLARATION.value, String).label("stat_type"),
                   de.occurred_on.label("basis_date"), de.id.label("basis_event_id"),
                   de.at.label("basis_recorded_at"), decl.patent_id.label("patent_id"),
                   decl.organisation_id.label("supplier_id"), cast(null(), Integer).label("demander_id"),
                   lst.point_id.label("point_id"), zero.label("contract_fen"), zero.label("received_fen"))
            .select_from(de).join(decl, decl.id == de.declaration_id)
            .outerjoin(lst, lst.id == decl.listing_id)
            .where(de.to_status == ANNOUNCED, de.occurred_on.between(_p("p_start", Date), _p("p_end", Date)),
                   first, *([de.at <= as_of] if as_of is not None else []), *scope)]


def raw_facts(shape: Shape, name: str = "raw"):
    """UNION ALL of every way a fact is dated; a subquery with the columns named in `_deal_facts`."""
    parts = _deal_facts(shape)
    if StatType.OPEN_DECLARATION in shape.types:
        parts += _declaration_facts(shape)
    return union_all(*parts).subquery(name) if len(parts) > 1 else parts[0].subquery(name)


# ---- dimension keys in SQL -------------------------------------------------------------------
def _party_type(org):
    return case((org.id.is_(None), NONE),
                (org.org_type == "SOE", "SOE_" + func.coalesce(org.soe_level, "UNKNOWN")),
                else_=org.org_type)


def _region(org):
    g = geography.GEOGRAPHY
    province, district = func.coalesce(org.province, ""), func.coalesce(org.district, "")
    return case(
        (org.id.is_(None), NONE),
        (or_(func.coalesce(org.country, g.home_country) != g.home_country,
             province.in_(g.outside_mainland)), geography.ABROAD),
        (and_(province.in_(g.shanghai_names), district == ""), geography.UNKNOWN),
        (and_(province.in_(g.shanghai_names), district.in_(_p("p_home", String, expanding=True))),
         geography.IN_DISTRICT),
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


# Which table each dimension key is read from (a figure that needs none joins nothing).
KEY_SOURCE = {"patent_type": "patent", "ipc_section": "patent", "industry": "patent",
              "supplier_type": "supplier", "supplier_geo": "supplier",
              "demander_type": "demander", "demander_geo": "demander", "point": None}
ALL_KEYS = frozenset(KEY_SOURCE)


def _org_keys(name: str):
    """Type and region of every organisation, computed once per organisation rather than per deal."""
    org = aliased(Organisation, name=f"{name}_org")
    return (select(org.id.label("id"), _party_type(org).label("type"), _region(org).label("geo"),
                   org.name.label("name")).subquery(name))


def facts(shape: Shape, keys: frozenset[str] = ALL_KEYS, *, detail: bool = False, name: str = "raw"):
    """The counted facts with the dimension keys asked for (and, for exports, names and numbers)."""
    keys = frozenset(keys) | {f.split(":")[0] for f in shape.filters}
    raw = raw_facts(shape, name)
    p = Patent
    sup, dem = _org_keys("sup"), _org_keys("dem")
    sources = {KEY_SOURCE[k] for k in keys} | ({"patent", "supplier", "demander"} if detail else set())
    exprs = {"patent_type": lambda: func.coalesce(p.patent_type, NONE),
             "supplier_type": lambda: sup.c.type, "demander_type": lambda: func.coalesce(dem.c.type, NONE),
             "point": lambda: func.coalesce(cast(raw.c.point_id, String), NONE),
             "ipc_section": lambda: _ipc_section(p),
             "supplier_geo": lambda: sup.c.geo, "demander_geo": lambda: func.coalesce(dem.c.geo, NONE)}
    built = {k: exprs[k]() for k in sorted(keys) if k != "industry"}
    tags = cast(p.industry_tags, String)
    columns = [raw.c.deal_id, raw.c.declaration_id, raw.c.stat_type, raw.c.basis_date, raw.c.basis_event_id,
               raw.c.basis_recorded_at, raw.c.patent_id, raw.c.point_id, raw.c.contract_fen, raw.c.received_fen,
               *(expr.label(f"k_{k}") for k, expr in built.items())]
    if "industry" in keys or detail:
        columns.append(p.industry_tags.label("industry_json"))
    query = select(*columns).select_from(raw)
    if "patent" in sources:
        query = query.join(p, p.id == raw.c.patent_id)
    if "supplier" in sources:
        query = query.join(sup, sup.c.id == raw.c.supplier_id)
    if "demander" in sources:
        query = query.outerjoin(dem, dem.c.id == raw.c.demander_id)
    if detail:
        pt, d, decl = Point, Deal, OpenLicenceDeclaration
        query = (query.add_columns(
            p.application_number, p.title.label("patent_title"), sup.c.name.label("supplier_name"),
            dem.c.name.label("demander_name"), pt.name.label("point_name"), d.reference, d.status,
            d.filing_record_no, d.registration_no, decl.gazette_issue, d.effective_date,
            d.price_fen, d.share_pct)
            .outerjoin(pt, pt.id == raw.c.point_id)
            .outerjoin(d, d.id == raw.c.deal_id)
            .outerjoin(decl, decl.id == raw.c.declaration_id))
    for key in shape.filters:
        if key == "industry:NONE":
            query = query.where(_industry_tagged(tags, NONE))
        elif key == "industry":
            query = query.where(tags.like(_p("f_industry", String)))
        else:
            query = query.where(built[key] == _p(f"f_{key}", String))
    return query


# ---- aggregation -----------------------------------------------------------------------------
DEAL_TYPE_VALUES = tuple(t.value for t in COLUMN_TYPES[Column.DEALS])
LICENCE_TYPE_VALUES = tuple(t.value for t in COLUMN_TYPES[Column.LICENCES])
GROUPED = "*"  # the row of a key that carries the distinct patents of all its deals
GROUPED_LICENCES = "*L"  # … and of all its licences
CUBE, CUBE_SEPARATOR = "CUBE", "|"  # keys are codes, ids and months: never a "|"


def _key_of(f, dim: str, granularity: str | None, dialect: str):
    """(key expression, extra FROM item with its ON clause or None) of a breakdown."""
    if dim == "ALL":
        return literal("ALL", String), None
    if dim == "period":
        return bucket(f.c.basis_date, granularity or MONTH), None
    if dim == "industry":
        return _industry_join(f, dialect)
    return (f.c.stat_type if dim == "type" else f.c[f"k_{dim}"]), None


def _branch(f, dim: str, granularity: str | None, licence_patents: bool, dialect: str,
            patents: bool = True) -> list:
    """Narrow GROUP BYs of one breakdown: by key and deal type (counts, sums and patents of each
    type), and by key alone for the distinct patents of all deals (and of all licences): patents
    do not add up across types, since one patent may be both transferred and licensed."""
    zero = cast(literal(0), BigInteger)
    if dim == "industry" and "industry_key" in f.c:
        key, join = f.c.industry_key, None  # the facts already unnested by industry
    else:
        key, join = _key_of(f, dim, granularity, dialect)

    def based(query):
        query = query.select_from(f)
        return query.outerjoin(*join) if join is not None else query

    by_type = based(select(literal(dim, String).label("dim"), key.label("key"), f.c.stat_type.label("col"),
                           func.count().label("transactions"),
                           (func.count(distinct(f.c.patent_id)) if patents else zero).label("patents"),
                           func.coalesce(func.sum(f.c.contract_fen), 0).label("contract_fen"),
                           func.coalesce(func.sum(f.c.received_fen), 0).label("received_fen"),
                           zero.label("licence_patents")))
    by_type = by_type.group_by(key, f.c.stat_type)
    if not patents:
        return [by_type]
    if dim == "ALL":
        # One row: both distinct counts in one pass.
        deals, licences = f.c.stat_type.in_(DEAL_TYPE_VALUES), f.c.stat_type.in_(LICENCE_TYPE_VALUES)
        return [by_type, select(literal(dim, String).label("dim"), key.label("key"), literal(GROUPED, String).label("col"),
                                zero.label("transactions"), func.count(distinct(case((deals, f.c.patent_id)))).label("patents"),
                                zero.label("contract_fen"), zero.label("received_fen"),
                                (func.count(distinct(case((licences, f.c.patent_id)))) if licence_patents else zero)
                                .label("licence_patents")).select_from(f)]
    out = [by_type]
    groups = [(GROUPED, DEAL_TYPE_VALUES)] + ([(GROUPED_LICENCES, LICENCE_TYPE_VALUES)] if licence_patents else [])
    for col, types in groups:
        # Distinct (key, patent) pairs first, then counted: cheaper than COUNT(DISTINCT CASE …) by key.
        pairs = based(select(key.label("key"), f.c.patent_id).where(f.c.stat_type.in_(types))).distinct().subquery()
        out.append(select(literal(dim, String).label("dim"), pairs.c.key, literal(col, String).label("col"),
                          zero.label("transactions"), func.count().label("patents"), zero.label("contract_fen"),
                          zero.label("received_fen"), zero.label("licence_patents"))
                   .select_from(pairs).group_by(pairs.c.key))
    return out


def _by_industry(f, dialect: str):
    """The facts once per industry code of their patent (or once as NONE), for both industry passes."""
    key, (codes, on) = _industry_join(f, dialect)
    return (select(f.c.stat_type, f.c.patent_id, f.c.contract_fen, f.c.received_fen, key.label("industry_key"))
            .select_from(f).outerjoin(codes, on).cte("facts_by_industry"))


def _cube(f, dims: tuple[str, ...], granularity: str | None):
    """One GROUP BY over several single-valued breakdowns and the deal type at once: the counts
    and sums of every breakdown add up from its cells, so one pass replaces one per breakdown."""
    keys = [_key_of(f, dim, granularity, "")[0] for dim in dims]
    joined = keys[0]
    for k in keys[1:]:
        joined = joined + literal(CUBE_SEPARATOR, String) + k
    zero = cast(literal(0), BigInteger)
    return (select(literal(CUBE, String).label("dim"), joined.label("key"), f.c.stat_type.label("col"),
                   func.count().label("transactions"), zero.label("patents"),
                   func.coalesce(func.sum(f.c.contract_fen), 0).label("contract_fen"),
                   func.coalesce(func.sum(f.c.received_fen), 0).label("received_fen"), zero.label("licence_patents"))
            .select_from(f).group_by(*keys, f.c.stat_type))


@lru_cache(maxsize=256)
def aggregate_statement(shape: Shape, breakdowns: tuple[str, ...], granularity: str | None,
                        full_rows: bool = True, full_totals: bool = True, dialect: str = "sqlite",
                        patents: bool = True):
    keys = frozenset(b for b in breakdowns if b in KEY_SOURCE)
    f = facts(shape, keys).cte("facts")
    branches = _branch(f, "ALL", None, full_totals, dialect, patents)
    # Full figures: every breakdown on its own (件 of each type per row). Otherwise the counts and
    # sums of the single-valued breakdowns come from one cube, and 件 of all deals per row (the
    # trend shows none) from a distinct count per breakdown.
    single = tuple(d for d in breakdowns if d != "industry") if not full_rows else ()
    if len(single) > 1:
        branches.append(_cube(f, single, granularity))
    for dim in breakdowns:
        if dim in single and len(single) > 1:
            if dim != "period":
                branches += _branch(f, dim, granularity, False, dialect)[1:]
        elif dim == "industry":
            branches += _branch(_by_industry(f, dialect), dim, granularity, full_rows, dialect)
        else:
            branches += _branch(f, dim, granularity, full_rows, dialect)
    return union_all(*branches)


@dataclass
class Aggregate:
    """Figures by breakdown → key → column; `totals` is the 'ALL' row."""

    totals: dict[Column, Figures]
    rows: dict[str, dict[str, dict[Column, Figures]]]


def _cells(parts: dict[str, tuple]) -> dict[Column, Figures]:
    """The columns of one key from its rows by type and its grouped rows (sums of types, distinct patents)."""
    cells = {}
    for col in COLUMNS:
        types = [t.value for t in COLUMN_TYPES[col]]
        rows = [parts[t] for t in types if t in parts]
        if col == Column.DEALS:
            patents = parts.get(GROUPED, (0, 0))[1]
        elif col == Column.LICENCES:
            patents = parts.get(GROUPED_LICENCES, (0, 0))[1]
        else:
            patents = sum(r[1] for r in rows)
        cells[col] = Figures.of(sum(r[0] for r in rows), patents, sum(r[2] for r in rows), sum(r[3] for r in rows))
    return cells


def aggregate(session: Session, sel: Selection, breakdowns=(), granularity: str | None = None, *,
              full_rows: bool = True, full_totals: bool = True, received: bool = True,
              patents: bool = True) -> Aggregate:
    """Totals and the given breakdowns ('period' is the trend) in one statement.

    Without `full_rows` the breakdown rows carry no 件 of all licences together (one more
    distinct count per key); `full_totals` likewise for the totals. Without `received` the
    payments are not summed (0), and without `patents` no 件 at all, for comparisons that show
    only 次 and amounts.
    """
    tune(session)
    breakdowns = tuple(breakdowns)
    statement = aggregate_statement(shape_of(sel, received=received), breakdowns,
                                    granularity if "period" in breakdowns else None, full_rows, full_totals,
                                    session.connection().dialect.name, patents)
    collected: dict[str, dict[str, dict[str, tuple]]] = {"ALL": {"ALL": {}}, **{dim: {} for dim in breakdowns}}
    single = [d for d in breakdowns if d != "industry"]
    for row in session.execute(statement, params_of(sel)):
        figures = (int(row.transactions or 0), int(row.patents or 0), int(row.contract_fen or 0),
                   int(row.received_fen or 0))
        if row.col == GROUPED and row.licence_patents:
            collected[row.dim].setdefault(NONE if row.key is None else str(row.key), {})[GROUPED_LICENCES] = (
                0, int(row.licence_patents), 0, 0)
        if row.dim == CUBE:
            # A cell of the cube counts once in each breakdown it names (a few hundred cells).
            for dim, key in zip(single, str(row.key).split(CUBE_SEPARATOR)):
                parts = collected[dim].setdefault(key, {})
                before = parts.get(row.col, (0, 0, 0, 0))
                parts[row.col] = tuple(a + b for a, b in zip(before, figures))
            continue
        key = NONE if row.key is None else str(row.key)
        collected[row.dim].setdefault(key, {})[row.col] = figures
    rows = {dim: {key: _cells(parts) for key, parts in collected[dim].items()
                  if any(not col.startswith(GROUPED) for col in parts)} for dim in breakdowns}
    return Aggregate(totals=_cells(collected["ALL"]["ALL"]), rows=rows)


def _industry_join(f, dialect: str):
    """Each fact once per industry code its patent carries (JSON list unnested), or once as NONE."""
    if dialect == "postgresql":
        codes = func.json_array_elements_text(f.c.industry_json).table_valued("value").lateral("ind")
    else:
        codes = func.json_each(f.c.industry_json).table_valued("value").alias("ind")
    return func.coalesce(codes.c.value, NONE), (codes, true())


@lru_cache(maxsize=64)
def cross_statement(shape: Shape, dims: tuple[str, ...], granularity: str, dialect: str = "sqlite"):
    """One GROUP BY over several dimensions at once (the export's cross table), ordered by key."""
    f = facts(shape, frozenset(d for d in dims if d in KEY_SOURCE)).cte("facts")
    keys, joins = [], []
    for dim in dims:
        if dim == "period":
            keys.append(bucket(f.c.basis_date, granularity).label(dim))
        elif dim == "type":
            keys.append(f.c.stat_type.label(dim))
        elif dim == "industry":
            key, join = _industry_join(f, dialect)
            joins.append(join)
            keys.append(key.label(dim))
        else:
            keys.append(f.c[f"k_{dim}"].label(dim))
    query = select(*keys, func.count().label("transactions"),
                   func.count(distinct(f.c.patent_id)).label("patents"),
                   func.coalesce(func.sum(f.c.contract_fen), 0).label("contract_fen"),
                   func.coalesce(func.sum(f.c.received_fen), 0).label("received_fen")).select_from(f)
    for target, on in joins:
        query = query.outerjoin(target, on)
    return query.group_by(*(k.element for k in keys)).order_by(*(k.element for k in keys))


# ---- lists of facts: drill-down and exports --------------------------------------------------
def stream(session: Session, statement, params: dict | None = None, rows_per_fetch: int = ROWS_PER_FETCH) -> Iterator:
    """Rows one batch at a time (a server-side cursor on PostgreSQL)."""
    tune(session)
    result = session.execute(statement.execution_options(stream_results=True, yield_per=rows_per_fetch),
                             params or {})
    try:
        yield from result
    finally:
        result.close()


@lru_cache(maxsize=64)
def detail_statement(shape: Shape):
    f = facts(shape, detail=True).subquery("f")
    return select(f).order_by(f.c.basis_date, f.c.stat_type, f.c.deal_id, f.c.declaration_id)


@lru_cache(maxsize=64)
def _page_statements(shape: Shape):
    f = facts(shape, detail=True).subquery("f")
    count = select(func.count()).select_from(facts(shape, frozenset()).subquery("c"))
    rows = (select(f).order_by(f.c.basis_date.desc(), f.c.deal_id.desc(), f.c.declaration_id.desc())
            .limit(_p("p_limit", Integer)).offset(_p("p_offset", Integer)))
    return count, rows


def page_of_facts(session: Session, sel: Selection, page: int, per_page: int) -> tuple[list, int]:
    tune(session)
    count, rows = _page_statements(shape_of(sel))
    params = params_of(sel, p_limit=per_page, p_offset=(page - 1) * per_page)
    total = session.scalar(count, params) or 0
    return session.execute(rows, params).all(), total


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
@lru_cache(maxsize=64)
def revisions_statement(shape: Shape):
    """Ledger lines recorded after the close that changed the period: each found by an index scan.

    VOID lines (few) whose deal was counted at the close; basis lines dated in the period but
    recorded after it; payments dated by the period's end but recorded after it, of deals counted
    at the close; declarations announced in the period but recorded after it.
    """
    start, end, close = _p("p_start", Date), _p("p_end", Date), _p("p_close", DateTime)
    d, basis = Deal, aliased(DealEvent, name="b")
    kinds = [k for k in DEAL_KINDS if k in shape.types]
    if shape.basis == Basis.EFFECTIVE:
        kinds = [k for k in kinds if k not in LICENCE_KINDS]  # dated by the contract, not a ledger line
    scope = _deal_scope(shape, d)
    # First the lines recorded after the close that could matter (late lines are few), each by
    # an index range; MATERIALIZED keeps both planners from starting at the period's basis lines.
    ev = aliased(DealEvent, name="ev")
    fields = (ev.id, ev.deal_id, ev.kind, ev.occurred_on, ev.recorded_at, ev.amount_fen, ev.note)
    candidates = [select(*fields).where(ev.kind == VOID, ev.recorded_at > close),
                  select(*fields).where(ev.kind == PAYMENT, ev.occurred_on <= end, ev.recorded_at > close)]
    if kinds:
        candidates.append(select(*fields).where(ev.kind.in_(sorted({BASIS_EVENT[StatType(k)] for k in kinds})),
                                           ev.occurred_on.between(start, end), ev.recorded_at > close))
    late = union_all(*candidates).cte("late").prefix_with("MATERIALIZED")
    line = late.c
    counted_at_close = exists().where(basis.deal_id == line.deal_id, _basis_pairs(basis, d, kinds),
                                      basis.occurred_on.between(start, end), basis.recorded_at <= close)
    basis_date = (select(basis.occurred_on).where(basis.deal_id == d.id, _basis_pairs(basis, d, kinds))
                  .limit(1).scalar_subquery())

    def columns(change: str, amount, note, dated_by=basis_date):
        return (literal(change, String).label("change"), d.id.label("deal_id"),
                cast(null(), Integer).label("declaration_id"), d.kind.label("stat_type"),
                dated_by.label("basis_date"), line.occurred_on.label("occurred_on"),
                line.recorded_at.label("recorded_at"), amount.label("amount_fen"), note.label("note"),
                d.reference.label("reference"))

    contract = func.coalesce(d.price_fen, _fee_fixed_total(d))
    parts = []
    if kinds:
        parts.append(select(*columns("VOID", -contract, line.note))
                     .select_from(late).join(d, d.id == line.deal_id)
                     .where(line.kind == VOID, counted_at_close, *scope))
        parts.append(select(*columns("LATE_BASIS", contract, literal("", String), dated_by=line.occurred_on))
                     .select_from(late).join(d, d.id == line.deal_id)
                     .where(line.kind != VOID, line.kind != PAYMENT, _basis_pairs(late.c, d, kinds),
                            d.status != VOID, *scope))
        parts.append(select(*columns("LATE_PAYMENT", line.amount_fen, line.note))
                     .select_from(late).join(d, d.id == line.deal_id)
                     .where(line.kind == PAYMENT, counted_at_close, d.status != VOID, *scope))
    if StatType.OPEN_DECLARATION in shape.types:
        de, decl, lst = DeclarationEvent, OpenLicenceDeclaration, Listing
        prior = aliased(DeclarationEvent, name="prior")
        where = [de.to_status == ANNOUNCED, de.occurred_on.between(start, end), de.at > close,
                 ~exists().where(prior.declaration_id == de.declaration_id, prior.to_status == ANNOUNCED,
                                 prior.id < de.id)]
        if shape.scope == "point":
            where.append(lst.point_id.in_(_p("p_points", Integer, expanding=True)))
        elif shape.scope == "org":
            where.append(decl.organisation_id == _p("p_org", Integer))
        parts.append(select(literal("LATE_BASIS", String).label("change"), cast(null(), Integer).label("deal_id"),
                            de.declaration_id.label("declaration_id"),
                            literal(StatType.OPEN_DECLARATION.value, String).label("stat_type"),
                            de.occurred_on.label("basis_date"), de.occurred_on.label("occurred_on"),
                            de.at.label("recorded_at"), cast(literal(0), BigInteger).label("amount_fen"),
                            de.note.label("note"), cast(null(), String).label("reference"))
                     .select_from(de).join(decl, decl.id == de.declaration_id)
                     .outerjoin(lst, lst.id == decl.listing_id).where(*where))
    if not parts:
        return None
    changes = union_all(*parts).subquery("changes") if len(parts) > 1 else parts[0].subquery("changes")
    return select(changes).order_by(changes.c.recorded_at, changes.c.deal_id).limit(REVISIONS_LISTED)


def revisions(session: Session, sel: Selection, closed_at: datetime) -> list[dict]:
    """Ledger lines recorded after the period closed that changed its figures, with their effect.

    VOID lines remove a deal counted at the close; basis lines recorded late add one; payments
    recorded late (dated by the period's end) change the amount received. Filters other than
    the deal type do not apply: the list explains the period's totals.
    """
    tune(session)
    statement = revisions_statement(shape_of(sel.replace(filters={k: v for k, v in sel.filters.items()
                                                                  if k == "type"}, as_of=None)))
    if statement is None:
        return []
    return [dict(r._mapping) for r in session.execute(statement, params_of(sel, p_close=closed_at))]


def reconcile(session: Session) -> list[dict]:
    """Deals whose VOID status and VOID ledger line disagree (there should be none)."""
    void = aliased(DealEvent, name="void")
    has_line = exists().where(void.deal_id == Deal.id, void.kind == VOID)
    rows = session.execute(select(Deal.id, Deal.reference, Deal.status, has_line.label("void_line"))
                           .where(or_(and_(Deal.status == VOID, ~has_line), and_(Deal.status != VOID, has_line))))
    return [dict(r._mapping) for r in rows]


# ---- small lookups ---------------------------------------------------------------------------
def point_names(session: Session, lang: str = "zh") -> dict[str, str]:
    rows = session.execute(select(Point.id, Point.name, Point.name_en).order_by(Point.id))
    return {str(i): (en or zh) if lang == "en" else zh for i, zh, en in rows}


def shelf_counts(session: Session, scope: Scope = DISTRICT) -> tuple[int, dict[str, int]]:
    """Patents on the shelves now (distinct patents of published listings), in all and per point."""

    where = [Listing.status == ListingStatus.PUBLISHED]
    if scope.kind == "point":
        where.append(Listing.point_id.in_(scope.point_ids or (-1,)))
    elif scope.kind == "org":
        where.append(Listing.organisation_id == scope.org_id)
    total = session.scalar(select(func.count(distinct(Listing.patent_id))).where(*where)) or 0
    per_point = dict(session.execute(select(cast(Listing.point_id, String), func.count(distinct(Listing.patent_id)))
                                     .where(*where).group_by(Listing.point_id)).tuples().all())
    return total, per_point
