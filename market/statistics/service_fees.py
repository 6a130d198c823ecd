"""技术服务金额: technical services chosen with open licences, a figure of its own (issue 14). No Flask.

The licence amounts stay the patent fee only (R-OL-8: services are never part of the licence);
this figure counts, for the open licences the selection counts (same basis date, scope, filters,
evidence and as-of rules — it reads the same facts), the services snapshotted at their take and
the SERVICE_PAYMENT lines dated up to the period's end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import BigInteger, Date, DateTime, bindparam, func, select
from sqlalchemy.orm import Session

from market.deals.models import DealEvent
from market.deals.open_licence.models import TakenService
from market.deals.vocabulary import LedgerEvent
from market.statistics import queries
from market.statistics.measures import StatType
from market.statistics.queries import Selection

OPEN = StatType.OPEN_LICENSE.value


@dataclass(frozen=True)
class ServiceFigures:
    licences: int = 0  # open licences counted in the period that chose at least one service (次)
    contract_fen: int = 0  # the services' agreed amounts (技术服务金额)
    received_fen: int = 0  # service fees received by the period's end


def service_figures(session: Session, sel: Selection) -> ServiceFigures:
    """The services of the open licences `sel` counts; zero when the selection asks for no open licence."""
    shape = queries.shape_of(sel, received=False)
    if OPEN not in shape.types:
        return ServiceFigures()
    shape = replace(shape, types=frozenset({OPEN}))
    counted = queries.facts(shape, frozenset()).subquery("counted")
    sums = (select(TakenService.deal_id.label("deal_id"), func.sum(TakenService.amount_fen).label("amount"))
            .group_by(TakenService.deal_id).subquery("sums"))
    pay = DealEvent
    known = [pay.recorded_at <= bindparam("p_as_of", type_=DateTime)] if sel.as_of is not None else []
    paid = (select(func.coalesce(func.sum(pay.amount_fen), 0))
            .where(pay.deal_id == counted.c.deal_id, pay.kind == LedgerEvent.SERVICE_PAYMENT.value,
                   pay.occurred_on <= bindparam("p_end", type_=Date), *known)
            .scalar_subquery())
    per_licence = (select(counted.c.deal_id, sums.c.amount, paid.label("paid"))
                   .select_from(counted).join(sums, sums.c.deal_id == counted.c.deal_id).subquery("per_licence"))
    statement = select(func.count(per_licence.c.deal_id), func.coalesce(func.sum(per_licence.c.amount), 0),
                       func.coalesce(func.sum(per_licence.c.paid), 0).cast(BigInteger))
    licences, contract, received = session.execute(statement, queries.params_of(sel)).one()
    return ServiceFigures(int(licences or 0), int(contract or 0), int(received or 0))
