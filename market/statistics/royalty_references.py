"""Royalty-rate references for the open-licence fee estimator (issue 14; domain.md R-OL-14, OLG). No Flask.

Two kinds, each with its source:
- the versioned table config/pricing/royalty_references.v1.json: OL24's caps (their figures are
  read from the caps the assistant checks, market.deals.fees.DEFAULT_CAPS or the setting, so each
  rule has one place) and industry rates, every row naming title, issuer, date and URL (or
  "platform ledger"); a row without them is refused when the file is loaded;
- the royalty rates of the open licences already announced on this platform (public by law, PL 50),
  found with pricing guidance's comparable rule (same IPC main group, else subclass, else industry:
  pricing.tiers / pricing.patents_of) and its threshold (pricing.enough): a range only from enough
  declarations of enough different patentees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from listings.models import Patent
from market.core.errors import DomainError
from market.core.numbers import NotANumber, parse_decimal
from market.deals.fees import DEFAULT_CAPS, FeeTerms
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.open_licence.queries import PUBLIC
from market.deals.vocabulary import RoyaltyBase
from market.statistics import pricing

TABLE_PATH = Path(__file__).resolve().parents[2] / "config" / "pricing" / "royalty_references.v1.json"
# Which declared bases compare with which typed figure: sales with net sales, profit with profit.
COMPARABLE_BASES = {RoyaltyBase.NET_SALES: (RoyaltyBase.NET_SALES, RoyaltyBase.SALES),
                    RoyaltyBase.PROFIT: (RoyaltyBase.PROFIT,)}
CAP_OF_BASE = {RoyaltyBase.NET_SALES: "net_sales_pct", RoyaltyBase.PROFIT: "profit_pct"}
_SOURCE_KEYS = ("title", "issuer", "date", "url")


class TableError(ValueError):
    """The reference table is malformed (a row without its source, an unknown cap, a bad figure)."""


@dataclass(frozen=True)
class Source:
    title: str
    issuer: str
    date: str
    url: str  # an address, or "platform ledger"

    @property
    def is_link(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True)
class TableRow:
    id: str
    kind: str  # "cap" or "rate"
    words_zh: str
    words_en: str
    source: Source
    cap: str | None = None  # a key of the caps (kind "cap")
    base: str | None = None  # NET_SALES / PROFIT (kind "rate")
    industry: str | None = None
    low_pct: Decimal | None = None
    median_pct: Decimal | None = None
    high_pct: Decimal | None = None

    def words(self, lang: str) -> str:
        return self.words_en if lang == "en" else self.words_zh


@dataclass(frozen=True)
class Table:
    version: str
    rows: tuple[TableRow, ...]

    def caps(self) -> tuple[TableRow, ...]:
        return tuple(r for r in self.rows if r.kind == "cap")

    def rates_for(self, industries: list[str], base: RoyaltyBase) -> tuple[TableRow, ...]:
        return tuple(r for r in self.rows if r.kind == "rate" and r.base == base.value and r.industry in industries)


def _pct(row: dict, name: str) -> Decimal:
    try:
        value = parse_decimal(str(row.get(name, "")))
    except NotANumber:
        raise TableError(f"{row.get('id')}: {name} is not a decimal") from None
    if not 0 < value <= 100:
        raise TableError(f"{row.get('id')}: {name} is not a percentage above 0")
    return value


def parse_table(data: dict) -> Table:
    """Check every row (its source above all) and build the table; TableError names the first fault."""
    rows, seen = [], set()
    for raw in data.get("rows") or []:
        rid = str(raw.get("id") or "")
        if not rid or rid in seen:
            raise TableError(f"row id missing or repeated: {rid!r}")
        seen.add(rid)
        source = raw.get("source") or {}
        missing = [k for k in _SOURCE_KEYS if not str(source.get(k) or "").strip()]
        if missing:
            raise TableError(f"{rid}: source lacks {', '.join(missing)}")
        url = str(source["url"]).strip()
        if not (url.startswith(("http://", "https://")) or url == "platform ledger"):
            raise TableError(f"{rid}: source url must be an address or \"platform ledger\"")
        if not (raw.get("words_zh") and raw.get("words_en")):
            raise TableError(f"{rid}: words_zh and words_en are needed")
        common = {"id": rid, "words_zh": raw["words_zh"], "words_en": raw["words_en"],
                  "source": Source(str(source["title"]), str(source["issuer"]), str(source["date"]), url)}
        if raw.get("kind") == "cap":
            if raw.get("cap") not in DEFAULT_CAPS:
                raise TableError(f"{rid}: cap must be one of {', '.join(DEFAULT_CAPS)}")
            rows.append(TableRow(kind="cap", cap=raw["cap"], **common))
        elif raw.get("kind") == "rate":
            if raw.get("base") not in (RoyaltyBase.NET_SALES.value, RoyaltyBase.PROFIT.value) or not raw.get("industry"):
                raise TableError(f"{rid}: a rate needs base NET_SALES or PROFIT and an industry")
            low, median, high = (_pct(raw, n) for n in ("low_pct", "median_pct", "high_pct"))
            if not low <= median <= high:
                raise TableError(f"{rid}: low_pct <= median_pct <= high_pct")
            rows.append(TableRow(kind="rate", base=raw["base"], industry=str(raw["industry"]), low_pct=low,
                                 median_pct=median, high_pct=high, **common))
        else:
            raise TableError(f"{rid}: kind must be \"cap\" or \"rate\"")
    if not data.get("version"):
        raise TableError("the table has no version")
    return Table(str(data["version"]), tuple(rows))


@lru_cache(maxsize=4)
def load_table(path: str = str(TABLE_PATH)) -> Table:
    with open(path, encoding="utf-8") as fh:
        return parse_table(json.load(fh))


# -- the platform's announced open licences ---------------------------------------------------

@dataclass(frozen=True)
class DeclaredRate:
    declaration_id: int
    application_number: str
    title: str
    organisation_id: int
    announce_date: date
    base: RoyaltyBase
    rate: Decimal  # percent, the first contract year's
    with_entry_fee: bool


@dataclass
class Declared:
    """The comparable announced royalty rates of one tier, and their range when there are enough."""

    base: RoyaltyBase
    tier: str | None = None
    tier_key: str = ""
    rates: list[DeclaredRate] = field(default_factory=list)
    patentees: int = 0
    low: Decimal | None = None
    median: Decimal | None = None
    high: Decimal | None = None

    @property
    def has_range(self) -> bool:
        return self.median is not None


def _rate_of(decl: OpenLicenceDeclaration, bases: tuple[RoyaltyBase, ...]) -> DeclaredRate | None:
    try:
        terms = FeeTerms.from_dict(decl.fee_terms)
    except DomainError:  # an old declaration whose terms no longer parse says nothing about rates
        return None
    if not terms.has_royalty or terms.royalty_base not in bases:
        return None
    return DeclaredRate(decl.id, decl.patent.application_number, decl.patent.title, decl.organisation_id,
                        decl.announce_date, terms.royalty_base, terms.royalty_rate,
                        terms.entry_fee_fen is not None and terms.entry_fee_fen > 0)


def declared_rates(session: Session, *, base: RoyaltyBase, ipc_main: str | None, industries: list[str],
                   exclude_patent_id: int | None, today: date) -> Declared:
    """Announced open-licence royalty rates on `base`, narrowest tier with a range (else widest with any)."""
    bases = COMPARABLE_BASES[base]
    since = pricing.window(today).start
    dialect = session.get_bind().dialect.name
    best: Declared | None = None
    for tier, key in pricing.tiers(ipc_main, industries):
        query = (select(OpenLicenceDeclaration).join(Patent, Patent.id == OpenLicenceDeclaration.patent_id)
                 .where(OpenLicenceDeclaration.status.in_(PUBLIC), OpenLicenceDeclaration.announce_date >= since,
                        OpenLicenceDeclaration.announce_date <= today, pricing.patents_of(tier, key, dialect))
                 .order_by(desc(OpenLicenceDeclaration.announce_date), desc(OpenLicenceDeclaration.id))
                 .limit(pricing.CONSIDERED))
        if exclude_patent_id is not None:
            query = query.where(OpenLicenceDeclaration.patent_id != exclude_patent_id)
        rates = [r for r in (_rate_of(d, bases) for d in session.scalars(query)) if r is not None]
        found = Declared(base=base, tier=tier, tier_key=key, rates=rates,
                         patentees=len({r.organisation_id for r in rates}))
        if pricing.enough(len(rates), found.patentees):
            found.low, found.median, found.high = (
                Decimal(v).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for v in pricing.middle_half([r.rate for r in rates]))
        if rates and (best is None or found.has_range):
            best = found
        if found.has_range:
            break
    return best or Declared(base=base)
