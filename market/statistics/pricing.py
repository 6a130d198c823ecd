"""Pricing guidance (issue 14): comparable deals from the statistics ledger and a suggested range. No Flask.

A comparable is a fact the bureau's figures count (queries.raw_facts: its basis line — registration,
filing, licence or capital registration — fell in the window, the deal is not void, an absurd amount
awaits its operator's confirmation), of the same kind, on a patent of the same IPC main group, else
subclass, else strategic industry. The figures' counting rules live in one place; this module only
narrows the deals to the comparable patents and orders them recent first.

What one organisation may see of another's deal: a private contract's amount only as a band (a
negotiated licence, a transfer or an equity contribution is the parties' business even though the
register records that it happened). An open licence's fee is the announced declaration's, public by
law (PL 50), so it is shown exactly, as is every amount of a deal the viewer's organisation is party
to. The suggested range is the middle half of the amounts, rounded outward to two significant
figures, and only given when enough deals of enough different sellers stand behind it, so that it
never discloses one organisation's price.
"""

from __future__ import annotations

import functools
import statistics as pystats
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, String, bindparam, cast, desc, func, literal_column, select
from sqlalchemy.orm import Session

from listings.classification import parse_ipc
from listings.models import Patent
from market.core.errors import DomainError
from market.deals.models import Deal
from market.deals.vocabulary import EvidenceLevel
from market.statistics.dimensions import NONE
from market.statistics.measures import DEAL_TYPES, Basis, StatType
from market.statistics.periods import Period
from market.statistics.queries import Selection, Shape, params_of, raw_facts
from market.statistics.queries.selection import _industry_tagged

WINDOW_YEARS = 5  # comparables older than this say little about today's price
LISTED = 10  # comparables shown, most recent first
CONSIDERED = 200  # the most recent comparables a range is computed from (bounds the work per request)
MIN_AMOUNTS = 5  # fewer priced comparables than this: widen the match, else no range
MIN_SELLERS = 3  # a range rests on the prices of at least this many different organisations
KINDS = tuple(t.value for t in DEAL_TYPES)
# Price bands (fen lower bounds) in which another organisation's private amount is shown.
BAND_EDGES = (0, 1_000_000, 5_000_000, 10_000_000, 50_000_000, 100_000_000, 500_000_000, 1_000_000_000,
              5_000_000_000)
GROUP, SUBCLASS, INDUSTRY = "group", "subclass", "industry"
TIER_WORDS = {GROUP: ("同一 IPC 大组", "the same IPC main group"),
              SUBCLASS: ("同一 IPC 小类", "the same IPC subclass"),
              INDUSTRY: ("同一战略性新兴产业", "the same strategic emerging industry")}


@dataclass(frozen=True)
class Band:
    low_fen: int
    high_fen: int | None  # None: and above


@dataclass(frozen=True)
class Comparable:
    deal_id: int
    kind: str
    basis_date: date
    ipc_main: str | None
    patent_type: str | None
    evidence: str
    own: bool  # the viewer's organisation is a party: the exact amount is its own
    amount_fen: int | None  # exact, when it may be shown
    band: Band | None  # otherwise the band it falls in
    royalty_only: bool  # no fixed amount (a royalty or a free licence)


@dataclass
class Guidance:
    kind: str
    tier: str | None  # GROUP / SUBCLASS / INDUSTRY; None when nothing matched
    tier_key: str = ""
    window: Period | None = None
    comparables: list[Comparable] = field(default_factory=list)
    count: int = 0  # comparables considered (at most CONSIDERED)
    priced: int = 0  # of which with a fixed amount
    sellers: int = 0  # distinct sellers among the priced
    low_fen: int | None = None
    high_fen: int | None = None
    evidence: dict[str, int] = field(default_factory=dict)

    @property
    def has_range(self) -> bool:
        return self.low_fen is not None


def band_of(fen: int) -> Band:
    low, high = BAND_EDGES[0], None
    for edge in BAND_EDGES:
        if fen >= edge:
            low = edge
        else:
            high = edge
            break
    return Band(low, high)


def round_out(fen: int, up: bool) -> int:
    """Round to two significant figures (of 元), down for a lower bound and up for an upper one."""
    yuan = fen / 100
    if yuan <= 0:
        return 0
    step = 10 ** max(len(str(int(yuan))) - 2, 0)
    units = int(yuan // step) + (1 if up and yuan % step else 0)
    return units * step * 100


def middle_half(values: list):
    """The 25th, 50th and 75th percentiles (inclusive method) of ints or Decimals."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = pystats.quantiles(sorted(values), n=4, method="inclusive")
    return q[0], q[1], q[2]


def suggested_range(amounts: list[int]) -> tuple[int, int]:
    """The middle half (25th to 75th percentile) of the amounts, rounded outward."""
    low, _, high = middle_half(amounts)
    return round_out(int(low), up=False), round_out(int(high), up=True)


def enough(priced: int, sellers: int) -> bool:
    """A range rests on MIN_AMOUNTS figures from MIN_SELLERS different organisations."""
    return priced >= MIN_AMOUNTS and sellers >= MIN_SELLERS


def window(today: date) -> Period:
    try:
        start = today.replace(year=today.year - WINDOW_YEARS)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - WINDOW_YEARS, day=28)
    return Period(start, today)


def tiers(ipc_main: str | None, industries: list[str]) -> list[tuple[str, str]]:
    """The matches to try, narrowest first: (tier, key)."""
    out = []
    if ipc_main:
        try:
            symbol = parse_ipc(ipc_main)
        except DomainError:
            symbol = None
        if symbol is not None and symbol.main_group:
            out.append((GROUP, symbol.main_group))
        if symbol is not None and symbol.subclass:
            out.append((SUBCLASS, symbol.subclass))
    out += [(INDUSTRY, code) for code in industries[:1] if code]
    return out


def patents_of(tier: str, key: str, dialect: str, pattern=None):
    """The patents of the tier, as a condition on Patent (a prefix of the stored main symbol).

    A prefix test the index IPC_MAIN can answer: SQLite's LIKE ignores case and so no index, its
    GLOB does not (keys are parse_ipc's upper-case letters, digits and spaces: nothing to escape);
    PostgreSQL's LIKE uses the text_pattern_ops index. `pattern` replaces the key's pattern by a
    parameter (comparables_statement: one statement for every key).
    """
    pattern = pattern_of(tier, key, dialect) if pattern is None else pattern
    if tier in (GROUP, SUBCLASS):
        return Patent.ipc_main.op("GLOB")(pattern) if dialect == "sqlite" else Patent.ipc_main.like(pattern)
    if key == NONE:  # untagged patents: no pattern (only ever asked for by hand)
        return _industry_tagged(cast(Patent.industry_tags, String), key)
    return cast(Patent.industry_tags, String).like(pattern)


def pattern_of(tier: str, key: str, dialect: str) -> str:
    """The value of `p_pattern` for the tier's key (what _industry_tagged and the prefix tests match)."""
    if tier in (GROUP, SUBCLASS):
        prefix = f"{key}/" if tier == GROUP else key
        return f"{prefix}*" if dialect == "sqlite" else f"{prefix}%"
    return f'%"{key}"%'


def comparables_statement(kind: str, tier: str, key: str, dialect: str = "postgresql") -> Select:
    """The counted facts of `kind` on the tier's patents, most recent first (at most CONSIDERED);
    executed with params_of(…) and p_pattern=pattern_of(tier, key, dialect)."""
    return _comparables_statement(kind, tier, NONE if tier == INDUSTRY and key == NONE else "", dialect)


@functools.lru_cache(maxsize=64)
def _comparables_statement(kind: str, tier: str, key: str, dialect: str) -> Select:
    # Built once per kind, tier and dialect: building this UNION of the counting rules and working
    # out its cache key took a third of a question's time (the compiled SQL was cached already).
    shape = Shape(types=frozenset({kind}), basis=Basis.FILING.value, scope="district", filters=(), received=False)
    patents = select(Patent.id).where(patents_of(tier, key, dialect, bindparam("p_pattern", type_=String)))
    narrowed = Deal.patent_id.in_(patents)
    if dialect == "sqlite":
        # Tell SQLite's planner the tier's patents are few, so it starts from them (index on
        # deals.patent_id, then each deal's basis line) instead of every basis line of five years.
        narrowed = func.likelihood(narrowed, literal_column("0.001"))
    raw = raw_facts(shape, "cmp", deals_where=(narrowed,))
    return (select(raw.c.deal_id, raw.c.stat_type, raw.c.basis_date, raw.c.contract_fen, raw.c.evidence,
                   raw.c.supplier_id, raw.c.demander_id, Patent.ipc_main, Patent.patent_type)
            .select_from(raw).join(Patent, Patent.id == raw.c.patent_id)
            .order_by(desc(raw.c.basis_date), desc(raw.c.deal_id)).limit(CONSIDERED))


def guidance(session: Session, *, kind: str, ipc_main: str | None, industries: list[str],
             viewer_org_id: int | None, today: date) -> Guidance:
    """Comparables of the narrowest tier with enough priced deals (else the widest that has any)."""
    if kind not in KINDS:
        raise DomainError("pricing_kind", "请选择交易方式。", "Choose a kind of deal.", field="kind")
    period = window(today)
    params = params_of(Selection(period=period))
    dialect = session.get_bind().dialect.name
    best: Guidance | None = None
    for tier, key in tiers(ipc_main, industries):
        rows = session.execute(comparables_statement(kind, tier, key, dialect),
                               {**params, "p_pattern": pattern_of(tier, key, dialect)}).all()
        found = _summarise(kind, tier, key, period, rows, viewer_org_id)
        if found.count and (best is None or found.has_range):
            best = found
        if found.has_range:
            break
    return best or Guidance(kind=kind, tier=None, window=period)


def _summarise(kind, tier, key, period, rows, viewer_org_id) -> Guidance:
    out = Guidance(kind=kind, tier=tier, tier_key=key, window=period, count=len(rows))
    amounts, sellers = [], set()
    for row in rows:
        fen = int(row.contract_fen or 0)
        if fen > 0:
            amounts.append(fen)
            sellers.add(row.supplier_id)
        out.evidence[row.evidence] = out.evidence.get(row.evidence, 0) + 1
    for row in rows[:LISTED]:
        fen = int(row.contract_fen or 0)
        own = viewer_org_id is not None and viewer_org_id in (row.supplier_id, row.demander_id)
        public = row.stat_type == StatType.OPEN_LICENSE.value
        exact = fen if fen > 0 and (own or public) else None
        out.comparables.append(Comparable(
            deal_id=row.deal_id, kind=row.stat_type, basis_date=row.basis_date, ipc_main=row.ipc_main,
            patent_type=row.patent_type, evidence=row.evidence, own=own, amount_fen=exact,
            band=band_of(fen) if fen > 0 and exact is None else None, royalty_only=fen <= 0))
    out.priced, out.sellers = len(amounts), len(sellers)
    if enough(len(amounts), len(sellers)):
        out.low_fen, out.high_fen = suggested_range(amounts)
    return out


def explanation(g: Guidance, lang: str = "zh") -> str:
    """How the range was computed, in words."""
    kind = StatType(g.kind).label(lang)
    if g.tier is None:
        return ("平台近 {y} 年的交易中没有可比的{k}（按 IPC 大组、小类和产业领域查找）。".format(y=WINDOW_YEARS, k=kind)
                if lang != "en" else
                f"No comparable {kind.lower()} on the platform in the last {WINDOW_YEARS} years "
                "(searched by IPC main group, subclass and industry).")
    zh_tier, en_tier = TIER_WORDS[g.tier]
    start, end = g.window.start.isoformat(), g.window.end.isoformat()
    if lang == "en":
        text = (f"{g.count} {kind.lower()} deal(s) on patents of {en_tier} ({g.tier_key}) counted in the district "
                f"statistics between {start} and {end} (the most recent {CONSIDERED} at most); "
                f"{g.priced} with a fixed amount, from {g.sellers} seller(s).")
        if g.has_range:
            return text + (" The suggested range is the middle half of those amounts (25th to 75th percentile), "
                           "rounded outward to two significant figures.")
        return text + (f" A range needs at least {MIN_AMOUNTS} amounts from {MIN_SELLERS} different sellers, "
                       "so none is suggested.")
    text = (f"{start} 至 {end} 计入本区统计的{zh_tier}（{g.tier_key}）专利{kind} {g.count} 笔（最多取最近 {CONSIDERED} 笔），"
            f"其中有固定金额的 {g.priced} 笔，来自 {g.sellers} 家转让/许可方。")
    if g.has_range:
        return text + "建议区间取这些金额居中的一半（第 25 至第 75 百分位），并向外取整到两位有效数字。"
    return text + f"至少需要 {MIN_SELLERS} 家不同转让/许可方的 {MIN_AMOUNTS} 笔金额才给出区间，故不提供建议区间。"


def evidence_levels() -> list[EvidenceLevel]:
    return list(EvidenceLevel)
