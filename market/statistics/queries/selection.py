"""What a question asks (Scope, Selection, Shape) and the facts it counts, with their dimension keys in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Mapping

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
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from listings.models import Listing, Patent
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core.time import SHANGHAI
from market.deals.evidence import DEFAULT_AMOUNT_REVIEW_FEN, contract_fen_sql, counts_in_figures, recorded_by_others
from market.deals.models import Deal, DealEvent
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration
from market.deals.vocabulary import EvidenceLevel
from market.statistics import geography, indexes  # noqa: F401  (indexes: declared on the tables)
from market.statistics.dimensions import NONE
from market.statistics.measures import (
    BASIS_EVENT,
    COLUMN_TYPES,
    NEGOTIATED_LICENCES,
    Basis,
    Column,
    StatType,
)
from market.statistics.periods import HALF, MONTH, QUARTER, YEAR, Period

VOID, PAYMENT, SIGNATURE, ANNOUNCED, FILING = "VOID", "PAYMENT", "SIGNATURE", "ANNOUNCED", "FILING"
ENDED = "TERMINATED"  # the ledger line of a termination or rescission (issue 12 §2)
LICENCE_KINDS = tuple(t.value for t in NEGOTIATED_LICENCES)
# Every deal kind CNIPA files as a licence contract (备案次数 counts them all by filing date).
FILED_LICENCE_KINDS = (*LICENCE_KINDS, StatType.OPEN_LICENSE.value)
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
    # A deal above this amount (fen) counts only once its operator confirmed it (DEAL_AMOUNT_REVIEW_FEN).
    amount_review_fen: int = DEFAULT_AMOUNT_REVIEW_FEN

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


def _types_wanted(sel: Selection, listing: bool = False) -> frozenset[str]:
    wanted = sel.filters.get("type")
    if not wanted:
        # A list shows each deal once: its filing is a second count of a licence already listed.
        return frozenset(t.value for t in StatType if not (listing and t == StatType.LICENCE_FILING))
    if wanted in Column.__members__:  # a column group: all deals, all licences
        return frozenset(t.value for t in COLUMN_TYPES[Column(wanted)])
    return frozenset({wanted})


def shape_of(sel: Selection, *, received: bool = True, listing: bool = False) -> Shape:
    names = []
    for name, value in sorted(sel.filters.items()):
        if name == "type":
            continue
        names.append("industry:NONE" if name == "industry" and value == NONE else name)
    return Shape(_types_wanted(sel, listing), str(sel.basis), sel.scope.kind, tuple(names),
                 AS_OF if sel.as_of is not None else NOW, received)


def params_of(sel: Selection, **more) -> dict:
    values = {"p_start": sel.period.start, "p_end": sel.period.end, "p_cap": sel.amount_review_fen,
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


def _deal_facts(shape: Shape, deals_where: tuple = ()) -> list:
    """Deals counted in the period: basis line in range, deal not void (and `deals_where` on Deal).

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
    contract = contract_fen_sql(d)
    # An absurd amount (above DEAL_AMOUNT_REVIEW_FEN) counts once its operator confirmed it.
    amount_ok = counts_in_figures(d, _p("p_cap", BigInteger), known=known)

    def part(kinds: tuple[str, ...], kind_test, date_expr, range_on, stat_type=d.kind):
        """One SELECT per way of dating a deal; `range_on` carries the index-friendly range test."""
        return (select(d.id.label("deal_id"), cast(null(), Integer).label("declaration_id"),
                       stat_type.label("stat_type"), date_expr.label("basis_date"),
                       e.id.label("basis_event_id"), e.recorded_at.label("basis_recorded_at"),
                       d.patent_id.label("patent_id"), d.seller_org_id.label("supplier_id"),
                       d.buyer_org_id.label("demander_id"), d.point_id.label("point_id"),
                       contract.label("contract_fen"), received.label("received_fen"),
                       d.evidence_level.label("evidence"))
                .select_from(e).join(d, d.id == e.deal_id)
                .where(kind_test, range_on, d.kind.in_(kinds), not_void, amount_ok, *known(e),
                       *_deal_scope(shape, d), *deals_where))

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
    if StatType.LICENCE_FILING in shape.types:
        parts.append(part(FILED_LICENCE_KINDS, e.kind == FILING, e.occurred_on, e.occurred_on.between(start, end),
                          stat_type=literal(StatType.LICENCE_FILING.value, String)))
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
    # The announcement is CNIPA's act; it is verified when recorded by the register import (no
    # actor) or by someone outside the declarant (its point), else it is the declarant's word.
    recorder = aliased(User, name="recorder")
    level = case((recorded_by_others(de, decl, recorder), EvidenceLevel.VERIFIED.value),
                 else_=EvidenceLevel.SELF_DECLARED.value)
    return [select(cast(null(), Integer).label("deal_id"), decl.id.label("declaration_id"),
                   literal(StatType.OPEN_DECLARATION.value, String).label("stat_type"),
                   de.occurred_on.label("basis_date"), de.id.label("basis_event_id"),
                   de.at.label("basis_recorded_at"), decl.patent_id.label("patent_id"),
                   decl.organisation_id.label("supplier_id"), cast(null(), Integer).label("demander_id"),
                   lst.point_id.label("point_id"), zero.label("contract_fen"), zero.label("received_fen"),
                   level.label("evidence"))
            .select_from(de).join(decl, decl.id == de.declaration_id)
            .outerjoin(lst, lst.id == decl.listing_id).outerjoin(recorder, recorder.id == de.actor_id)
            .where(de.to_status == ANNOUNCED, de.occurred_on.between(_p("p_start", Date), _p("p_end", Date)),
                   first, *([de.at <= as_of] if as_of is not None else []), *scope)]


def raw_facts(shape: Shape, name: str = "raw", deals_where: tuple = ()):
    """UNION ALL of every way a fact is dated; a subquery with the columns named in `_deal_facts`.

    `deals_where` narrows the deals further (conditions on Deal, e.g. pricing guidance's
    comparables: deals on patents of one IPC group) without restating what counts.
    """
    parts = _deal_facts(shape, deals_where)
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
              "demander_type": "demander", "demander_geo": "demander", "point": None, "evidence": None}
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
             "evidence": lambda: raw.c.evidence,
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
