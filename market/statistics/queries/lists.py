"""Lists of facts (drill-down and exports), revisions of a closed period, reconciliation and small lookups."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Iterator

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    String,
    and_,
    cast,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from listings.models import Listing
from listings.vocabulary import ListingStatus
from market.accounts.points.models import Point
from market.deals.evidence import contract_fen_sql, counts_in_figures
from market.deals.models import Deal, DealEvent
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration
from market.statistics import geography, indexes  # noqa: F401  (indexes: declared on the tables)
from market.statistics.measures import (
    BASIS_EVENT,
    Basis,
    StatType,
)
from market.statistics.queries.selection import (
    ANNOUNCED,
    DEAL_KINDS,
    DISTRICT,
    ENDED,
    LICENCE_KINDS,
    PAYMENT,
    REVISIONS_LISTED,
    ROWS_PER_FETCH,
    VOID,
    Scope,
    Selection,
    Shape,
    _basis_pairs,
    _deal_scope,
    _p,
    facts,
    params_of,
    shape_of,
    tune,
)


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
    count, rows = _page_statements(shape_of(sel, listing=True))
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

    VOID lines (few) whose deal was counted at the close; TERMINATED lines of such deals (ENDED, no
    amount: a terminated or rescinded deal still counts where it was made); basis lines dated in the period but
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
                  select(*fields).where(ev.kind == ENDED, ev.recorded_at > close),
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

    contract = contract_fen_sql(d)
    amount_ok = counts_in_figures(d, _p("p_cap", BigInteger))
    parts = []
    if kinds:
        parts.append(select(*columns("VOID", -contract, line.note))
                     .select_from(late).join(d, d.id == line.deal_id)
                     .where(line.kind == VOID, counted_at_close, amount_ok, *scope))
        # A deal counted at the close and later terminated or rescissed (Civil Code 557, 562-563): its
        # figures stay in the period (the deal was made), the ending and any refund are dated when they
        # happened; the line says so, so a reader of the closed period knows.
        parts.append(select(*columns("ENDED", cast(literal(0), BigInteger), line.note))
                     .select_from(late).join(d, d.id == line.deal_id)
                     .where(line.kind == ENDED, counted_at_close, amount_ok, *scope))
        parts.append(select(*columns("LATE_BASIS", contract, literal("", String), dated_by=line.occurred_on))
                     .select_from(late).join(d, d.id == line.deal_id)
                     .where(line.kind != VOID, line.kind != PAYMENT, line.kind != ENDED, _basis_pairs(late.c, d, kinds),
                            d.status != VOID, amount_ok, *scope))
        parts.append(select(*columns("LATE_PAYMENT", line.amount_fen, line.note))
                     .select_from(late).join(d, d.id == line.deal_id)
                     .where(line.kind == PAYMENT, counted_at_close, d.status != VOID, amount_ok, *scope))
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
