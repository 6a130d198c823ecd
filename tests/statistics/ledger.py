"""Ledger rows written straight into the tables, to test the counting without the deal services."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from market.core.extensions import db
from market.deals.models import Deal, DealEvent
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration

_ref = itertools.count(1)

BASIS = {"TRANSFER": "REGISTRATION", "LICENSE_ORDINARY": "FILING", "LICENSE_SOLE": "FILING",
         "LICENSE_EXCLUSIVE": "FILING", "OPEN_LICENSE": "LICENSED", "EQUITY": "CAPITAL_REGISTERED"}


def deal(kind: str, patent, seller, buyer, *, point=None, on: date | None = None, price_fen: int | None = None,
         fee_terms: dict | None = None, payments: list[tuple[date, int]] = (), void_on: date | None = None,
         recorded_at: datetime | None = None, void_recorded_at: datetime | None = None,
         effective: date | None = None, status: str = "COMPLETED", extra: list[tuple[str, date]] = ()) -> Deal:
    """A deal whose basis line is dated `on` (None: it never reached it), with payments and a void."""
    d = Deal(kind=kind, status="VOID" if void_on else status, patent_id=patent.id, seller_org_id=seller.id,
             buyer_org_id=buyer.id, point_id=point.id if point else None, price_fen=price_fen,
             fee_terms=fee_terms or {}, effective_date=effective,
             reference=f"PSM-T-{kind[0]}-{next(_ref)}")
    db.session.add(d)
    db.session.flush()
    lines = [("REQUESTED", (effective or on or date(2020, 1, 1)), None, {}, None)]
    if effective:
        lines.append(("SIGNATURE", effective, None, {"contract_no": f"HT-{d.id}"}, None))
    if on is not None:
        evidence = {"REGISTRATION": {"registration_no": f"DJ-{d.id}"}, "FILING": {"filing_record_no": f"BA-{d.id}"},
                    "LICENSED": {"notice": "delivered"}, "CAPITAL_REGISTERED": {"registration_no": f"GS-{d.id}"}}
        lines.append((BASIS[kind], on, None, evidence[BASIS[kind]], recorded_at))
    lines += [(k, when, None, {}, None) for k, when in extra]
    lines += [("PAYMENT", when, amount, {"payment_ref": f"PAY-{d.id}-{n}"}, None)
              for n, (when, amount) in enumerate(payments, 1)]
    if void_on:
        lines.append(("VOID", void_on, None, {}, void_recorded_at))
    for seq, (k, when, amount, evidence, at) in enumerate(lines, 1):
        event = DealEvent(deal_id=d.id, seq=seq, kind=k, occurred_on=when, amount_fen=amount,
                          evidence=evidence, note="作废：录入错误" if k == "VOID" else "")
        if at is not None:
            event.recorded_at = at
        db.session.add(event)
    db.session.flush()
    return d


def declaration(patent, owner, *, announced: date | None, listing=None, announced_recorded_at=None):
    decl = OpenLicenceDeclaration(patent_id=patent.id, organisation_id=owner.id, listing_id=listing.id if listing else None,
                                  patentees=[owner.name], fee_terms={"mode": "LUMP_SUM", "lump_fen": 1_000_000},
                                  status="ANNOUNCED" if announced else "FILED_WITH_CNIPA", announce_date=announced)
    db.session.add(decl)
    db.session.flush()
    db.session.add(DeclarationEvent(declaration_id=decl.id, from_status="ELIGIBLE", to_status="FILED_WITH_CNIPA",
                                    occurred_on=announced or date(2020, 1, 1)))
    if announced:
        event = DeclarationEvent(declaration_id=decl.id, from_status="FILED_WITH_CNIPA", to_status="ANNOUNCED",
                                 occurred_on=announced)
        if announced_recorded_at:
            event.at = announced_recorded_at
        db.session.add(event)
    db.session.flush()
    return decl
