"""A university's or institute's annual transformation report (R-ST-7, STL 21), with the deals behind it.

The deals are the bureau's facts (queries.raw_facts: counted by their basis line in the year, not
void, an absurd amount only once confirmed), narrowed to those the unit made as the seller, so the
report and the district's figures never disagree. Contract amounts and money received by the year's
end are the statistics' own columns. Income received in the year is the PAYMENT lines dated in
it on any of the unit's live deals (a deal counted in an earlier year pays instalments later).
Contributors' rewards are the statutory floor (STL 45, SH 34) computed by market/deals/rewards:
the platform records the unit's costs, not the rewards it actually paid, and says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from listings.models import Patent
from listings.vocabulary import OrgType
from market.accounts.models import Organisation
from market.deals.models import Deal, DealEvent
from market.deals.rewards import contributors
from market.deals.vocabulary import LedgerEvent
from market.statistics.measures import DEAL_TYPES, Basis, StatType
from market.statistics.periods import year as year_period
from market.statistics.queries import Scope, Selection, Shape, params_of, raw_facts

REPORTING_TYPES = frozenset({OrgType.UNIVERSITY, OrgType.RESEARCH_INSTITUTE})
TRANSFER, LICENCE, EQUITY = "TRANSFER", "LICENCE", "EQUITY"
METHODS = {TRANSFER: ("转让", "Transfer"), LICENCE: ("许可", "Licence"), EQUITY: ("作价投资", "Equity investment")}
PRICING = {"AGREEMENT": ("协议定价", "Agreement"), "LISTING": ("挂牌交易", "Listing"), "AUCTION": ("拍卖", "Auction")}


def method_of(stat_type: str) -> str:
    if stat_type == StatType.TRANSFER:
        return TRANSFER
    return EQUITY if stat_type == StatType.EQUITY else LICENCE


@dataclass
class Line:
    deal_id: int
    reference: str | None
    stat_type: str
    method: str
    price_formed_by: str
    basis_date: date
    application_number: str
    patent_id: int
    title: str
    buyer: str
    contract_fen: int
    received_fen: int  # by the end of the year (the statistics' 期末到账)
    evidence: str
    reward_floor_fen: int | None = None  # None: a floor of equity shares, not money


@dataclass
class Total:
    deals: int = 0  # 次
    patents: set = field(default_factory=set)  # 件: distinct patents
    contract_fen: int = 0
    received_fen: int = 0

    def add(self, line: Line) -> None:
        self.deals += 1
        self.patents.add(line.patent_id)
        self.contract_fen += line.contract_fen
        self.received_fen += line.received_fen


@dataclass
class Income:
    deal_id: int
    reference: str | None
    method: str
    occurred_on: date
    amount_fen: int


@dataclass
class AnnualReport:
    organisation: Organisation
    year: int
    lines: list[Line]
    by_method: dict[str, Total]
    by_pricing: dict[str, Total]
    by_evidence: dict[str, Total]
    total: Total
    income: list[Income]
    reward_floor_fen: int
    # Fees for technical services chosen with open licences (issue 14): income of the unit, but not
    # transfer/licence income, so never in `income` nor in the reward floor's base.
    service_income: list[Income] = field(default_factory=list)

    @property
    def service_income_fen(self) -> int:
        return sum(i.amount_fen for i in self.service_income)

    @property
    def income_fen(self) -> int:
        return sum(i.amount_fen for i in self.income)

    def income_by_method(self) -> dict[str, int]:
        out = dict.fromkeys(METHODS, 0)
        for i in self.income:
            out[i.method] += i.amount_fen
        return out


def _facts(session: Session, org_id: int, period, amount_review_fen: int | None) -> list:
    sel = Selection(period=period, basis=Basis.FILING, scope=Scope("org", org_id=org_id))
    if amount_review_fen is not None:
        sel = sel.replace(amount_review_fen=amount_review_fen)
    shape = Shape(types=frozenset(t.value for t in DEAL_TYPES), basis=Basis.FILING.value, scope="org", filters=())
    raw = raw_facts(shape, "annual", deals_where=(Deal.seller_org_id == org_id,))
    buyer = aliased(Organisation, name="buyer")
    stmt = (select(raw.c.deal_id, raw.c.stat_type, raw.c.basis_date, raw.c.contract_fen, raw.c.received_fen,
                   raw.c.evidence, raw.c.patent_id, Deal.reference, Deal.price_formed_by,
                   Patent.application_number, Patent.title, buyer.name.label("buyer_name"))
            .select_from(raw).join(Deal, Deal.id == raw.c.deal_id).join(Patent, Patent.id == raw.c.patent_id)
            .join(buyer, buyer.id == Deal.buyer_org_id)
            .order_by(raw.c.basis_date, raw.c.deal_id))
    return session.execute(stmt, params_of(sel)).all()


def _income(session: Session, org_id: int, period, kind: str = "PAYMENT") -> list[Income]:
    stmt = (select(DealEvent.deal_id, Deal.reference, Deal.kind, DealEvent.occurred_on, DealEvent.amount_fen)
            .join(Deal, Deal.id == DealEvent.deal_id)
            .where(Deal.seller_org_id == org_id, Deal.status != "VOID", DealEvent.kind == kind,
                   DealEvent.occurred_on.between(period.start, period.end))
            .order_by(DealEvent.occurred_on, DealEvent.id))
    return [Income(r.deal_id, r.reference, method_of(r.kind), r.occurred_on, int(r.amount_fen or 0))
            for r in session.execute(stmt)]


def annual_report(session: Session, organisation: Organisation, year: int, *,
                  amount_review_fen: int | None = None) -> AnnualReport:
    period = year_period(year)
    lines = []
    for r in _facts(session, organisation.id, period, amount_review_fen):
        lines.append(Line(r.deal_id, r.reference, r.stat_type, method_of(r.stat_type), r.price_formed_by or "AGREEMENT",
                          r.basis_date, r.application_number, r.patent_id, r.title, r.buyer_name,
                          int(r.contract_fen or 0), int(r.received_fen or 0), r.evidence))
    deals = {d.id: d for d in session.scalars(select(Deal).where(Deal.id.in_([x.deal_id for x in lines])))} if lines else {}
    by_method, by_pricing, by_evidence = defaultdict(Total), defaultdict(Total), defaultdict(Total)
    total, floor_total = Total(), 0
    for line in lines:
        view = contributors.reward_view(deals[line.deal_id])
        if view is not None and view.floor.basis != contributors.rewards.EQUITY:
            line.reward_floor_fen = view.floor.floor_fen
            floor_total += view.floor.floor_fen
        for bucket, key in ((by_method, line.method), (by_pricing, line.price_formed_by), (by_evidence, line.evidence)):
            bucket[key].add(line)
        total.add(line)
    return AnnualReport(organisation, year, lines, dict(by_method), dict(by_pricing), dict(by_evidence), total,
                        _income(session, organisation.id, period), floor_total,
                        _income(session, organisation.id, period, LedgerEvent.SERVICE_PAYMENT.value))
