"""Builders for dispute, invalidation and reward tests: parties around one patent, deals in any state."""

from __future__ import annotations

import contextvars
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from listings.models import Patent
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core.extensions import db
from market.deals.models import Deal
from market.deals.vocabulary import DealKind, DealStatus
from market.payments.models import Payment
from tests import factories as f

_ref = itertools.count(1)


@dataclass
class Cast:
    seller: Organisation
    buyer: Organisation
    seller_user: User
    buyer_user: User
    operator_user: User
    bureau_user: User
    stranger_user: User
    point: Point
    patent: Patent


def cast(seller_type: str = "UNIVERSITY", **seller_kw) -> Cast:
    seller = f.organisation(org_type=seller_type, **seller_kw)
    buyer = f.organisation(org_type="PRIVATE")
    operator = f.organisation(org_type="POINT_OPERATOR")
    point = f.point(operator)
    return Cast(seller, buyer, f.user(seller), f.user(buyer), f.user(operator),
                f.user(f.organisation(org_type="BUREAU")), f.user(f.organisation(org_type="PRIVATE")),
                point, f.patent(seller))


def deal(c: Cast, *, kind: str = DealKind.LICENSE_ORDINARY, status: str = DealStatus.FILED,
         buyer: Organisation | None = None, start: date | None = date(2024, 1, 1),
         end: date | None = date(2027, 12, 31), **values) -> Deal:
    d = Deal(kind=kind, status=status, patent_id=c.patent.id, seller_org_id=c.seller.id,
             buyer_org_id=(buyer or c.buyer).id, point_id=c.point.id, start_date=start, end_date=end,
             reference=f"PSM-T-{next(_ref):06d}", **values)
    db.session.add(d)
    db.session.flush()
    return d


def payment(d: Deal, amount_fen: int, status: str = "DUE", *, kind: str = "INSTALLMENT", sequence: int | None = None,
            due: date = date(2024, 2, 1), refunded_fen: int = 0) -> Payment:
    sequence = sequence or 1 + len(db.session.scalars(
        select(Payment).where(Payment.deal_id == d.id, Payment.kind == kind)).all())
    p = Payment(deal_id=d.id, kind=kind, sequence=sequence, amount_fen=amount_fen, due_date=due, status=status,
                refunded_fen=refunded_fen,
                paid_at=datetime(2024, 2, 1, 2, tzinfo=UTC).replace(tzinfo=None) if status in ("PAID", "REFUNDED")
                else None)
    db.session.add(p)
    db.session.flush()
    return p


def as_user(app, user: User):
    """A test client of its own, logged in, each request in a fresh context (like the `client` fixture)."""
    c = app.test_client()
    send = c.open
    c.open = lambda *a, **k: contextvars.Context().run(send, *a, **k)
    f.login(c, user)
    return c


def post(c, url: str, data: dict | None = None):
    return c.post(url, data={**(data or {}), "csrf_token": f.csrf_token(c, "/deals/")})
