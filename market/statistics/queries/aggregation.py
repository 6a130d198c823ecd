"""Aggregating facts: one GROUP BY per breakdown, a column group per deal type, exact sums."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    String,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from market.deals.models import DealPatent
from market.statistics import geography, indexes  # noqa: F401  (indexes: declared on the tables)
from market.statistics.dimensions import NONE
from market.statistics.measures import (
    COLUMN_TYPES,
    COLUMNS,
    Column,
    Figures,
)
from market.statistics.periods import MONTH
from market.statistics.queries.selection import KEY_SOURCE, Selection, Shape, bucket, facts, params_of, shape_of, tune

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


def with_members(f):
    """The facts plus, for a package deal, one row per further patent (same deal, keys and type, lead_row 0):
    件 counts distinct patents over all rows, 次 and amounts only the facts' own rows (lead_row 1), so a
    package deal is 1 次 and as many 件 as its distinct patents (issue 14) in one pass as before."""
    own = select(*f.c, literal(1).label("lead_row"))
    extra = (select(*[DealPatent.patent_id.label("patent_id") if c.name == "patent_id" else c for c in f.c],
                    literal(0).label("lead_row"))
             .select_from(f).join(DealPatent, DealPatent.deal_id == f.c.deal_id))
    return union_all(own, extra).cte(f"{f.name}_members")


def _own(f, column):
    """A sum over the facts' own rows only (the members' rows repeat their deal's figures)."""
    return case((f.c.lead_row == 1, column), else_=0) if "lead_row" in f.c else column


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

    count = func.sum(f.c.lead_row) if "lead_row" in f.c else func.count()
    by_type = based(select(literal(dim, String).label("dim"), key.label("key"), f.c.stat_type.label("col"),
                           count.label("transactions"),
                           (func.count(distinct(f.c.patent_id)) if patents else zero).label("patents"),
                           func.coalesce(func.sum(_own(f, f.c.contract_fen)), 0).label("contract_fen"),
                           func.coalesce(func.sum(_own(f, f.c.received_fen)), 0).label("received_fen"),
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
    lead = [f.c.lead_row] if "lead_row" in f.c else []
    return (select(f.c.stat_type, f.c.patent_id, f.c.contract_fen, f.c.received_fen, *lead, key.label("industry_key"))
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
    # 件 counts every patent of a package deal: the branches read the facts with their members' rows;
    # the cube (次 and amounts only) reads the facts themselves.
    fp = with_members(f) if patents else f
    branches = _branch(fp, "ALL", None, full_totals, dialect, patents)
    # Full figures: every breakdown on its own (件 of each type per row). Otherwise the counts and
    # sums of the single-valued breakdowns come from one cube, and 件 of all deals per row (the
    # trend shows none) from a distinct count per breakdown.
    single = tuple(d for d in breakdowns if d != "industry") if not full_rows else ()
    if len(single) > 1:
        branches.append(_cube(f, single, granularity))
    for dim in breakdowns:
        if dim in single and len(single) > 1:
            if dim != "period":
                branches += _branch(fp, dim, granularity, False, dialect)[1:]
        elif dim == "industry":
            branches += _branch(_by_industry(fp, dialect), dim, granularity, full_rows, dialect)
        else:
            branches += _branch(fp, dim, granularity, full_rows, dialect)
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
    """One GROUP BY over several dimensions at once (the export's cross table), ordered by key; a
    package deal is 1 次 and as many 件 as its patents, as in every other figure."""
    f = with_members(facts(shape, frozenset(d for d in dims if d in KEY_SOURCE)).cte("facts"))
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
    query = select(*keys, func.sum(f.c.lead_row).label("transactions"),
                   func.count(distinct(f.c.patent_id)).label("patents"),
                   func.coalesce(func.sum(_own(f, f.c.contract_fen)), 0).label("contract_fen"),
                   func.coalesce(func.sum(_own(f, f.c.received_fen)), 0).label("received_fen")).select_from(f)
    for target, on in joins:
        query = query.outerjoin(target, on)
    return query.group_by(*(k.element for k in keys)).order_by(*(k.element for k in keys))
