"""Deals in a given state, built directly (the negotiation and open-licence flows are tested elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from market.accounts.models import Organisation, User
from market.core.extensions import db
from market.deals.models import Deal
from market.deals.vocabulary import DealKind, DealStatus
from tests import factories as f

QUARTERLY_5PCT = {"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "5",
                  "payment_period": "QUARTERLY", "report_due_days": 30, "payment_due_days": 15}


@dataclass
class Parties:
    licensor: Organisation
    licensee: Organisation
    licensor_user: User
    licensee_user: User


def parties() -> Parties:
    seller = f.organisation(org_type="UNIVERSITY")
    buyer = f.organisation(org_type="PRIVATE")
    return Parties(seller, buyer, f.user(seller), f.user(buyer))


def deal(p: Parties | None = None, *, kind: str = DealKind.LICENSE_ORDINARY, status: str = DealStatus.FILED,
         fee_terms: dict | None = None, start: date | None = date(2024, 1, 1),
         end: date | None = date(2026, 12, 31), point=None, **values) -> Deal:
    p = p or parties()
    d = Deal(kind=kind, status=status, patent_id=f.patent(p.licensor).id, seller_org_id=p.licensor.id,
             buyer_org_id=p.licensee.id, fee_terms=QUARTERLY_5PCT if fee_terms is None else fee_terms,
             start_date=start, end_date=end, point_id=point.id if point else None, **values)
    db.session.add(d)
    db.session.flush()
    return d
