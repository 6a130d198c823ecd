"""What must hold after a load with outages: nothing lost, nothing twice, every figure agreeing.

Each check returns a list of problems (empty when it holds) and a line for the report. They run
in an app context of the same database and search configuration as the served app.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date


def acquisitions(ledger, buyer_org_ids: list[int]) -> tuple[list[str], str]:
    """Every licence a client was told of exists once, with one payment, paid once if it was notified."""
    from sqlalchemy import select

    from market.core.extensions import db
    from market.deals.models import Deal, DealEvent
    from market.payments.models import Payment

    problems = []
    org_of_user = {i: org for i, org in enumerate(buyer_org_ids)}
    deals = {d.id: d for d in db.session.scalars(select(Deal).where(
        Deal.buyer_org_id.in_(buyer_org_ids), Deal.declaration_id.is_not(None)))}
    by_pair = Counter((d.declaration_id, d.buyer_org_id) for d in deals.values() if d.status != "VOID")
    twice = [pair for pair, n in by_pair.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} enterprises hold two licences under one declaration: {twice[:5]}")
    told = set()
    for (user, decl), deal_id in ledger.taken.items():
        told.add(deal_id)
        deal = deals.get(deal_id)
        if deal is None or deal.declaration_id != decl or deal.buyer_org_id != org_of_user[user]:
            problems.append(f"licence {deal_id} (user {user}, declaration {decl}) was acknowledged but is missing")
    unknown = sorted(set(deals) - told)
    if unknown:
        problems.append(f"{len(unknown)} licences exist that no client was told of: {unknown[:10]}")
    payments: dict[int, list[Payment]] = {}
    for p in db.session.scalars(select(Payment).where(Payment.deal_id.in_(list(deals) or [-1]))):
        payments.setdefault(p.deal_id, []).append(p)
    lines: dict[int, Counter] = {}
    for e in db.session.scalars(select(DealEvent).where(DealEvent.deal_id.in_(list(deals) or [-1]))):
        lines.setdefault(e.deal_id, Counter())[e.kind] += 1
    paid = 0
    for deal_id in sorted(told & set(deals)):
        deal, own = deals[deal_id], payments.get(deal_id, [])
        if len(own) != 1:
            problems.append(f"licence {deal_id} has {len(own)} payments")
            continue
        payment, kinds = own[0], lines.get(deal_id, Counter())
        if payment.amount_fen != ledger.amounts.get(deal_id):
            problems.append(f"licence {deal_id}: payment of {payment.amount_fen} fen, the client was told "
                            f"{ledger.amounts.get(deal_id)}")
        if deal_id in ledger.paid:
            paid += 1
            expected = ("PAID", ledger.checked_out.get(deal_id), "LICENSED", 1, 1)
            found = (payment.status, payment.provider_ref, deal.status, kinds["PAYMENT"], kinds["LICENSED"])
            if found != expected:
                problems.append(f"licence {deal_id} notified paid: (payment, intent, deal, PAYMENT lines, "
                                f"LICENSED lines) = {found}, expected {expected}")
        elif payment.status == "PAID" or deal.status == "LICENSED":
            problems.append(f"licence {deal_id} is paid but no webhook for it was acknowledged")
    unpaid = len(told) - paid
    return problems, (f"{len(told)} licences acknowledged, {len(deals)} in the database, {paid} paid and "
                      f"licensed, {unpaid} left unpaid")


def payments_have_deals() -> tuple[list[str], str]:
    """No payment without its deal; every paid payment booked exactly once in its deal's ledger."""
    from sqlalchemy import select

    from market.core.extensions import db
    from market.deals.models import Deal, DealEvent
    from market.payments.models import Payment

    problems = []
    orphans = db.session.scalars(select(Payment.id).outerjoin(Deal, Deal.id == Payment.deal_id)
                                 .where(Deal.id.is_(None))).all()
    if orphans:
        problems.append(f"{len(orphans)} payments without a deal: {orphans[:10]}")
    booked: Counter = Counter()
    amounts: dict[int, int] = {}
    # A technical-services fee is booked under its own kind (SERVICE_PAYMENT), apart from the patent fee.
    for e in db.session.scalars(select(DealEvent).where(DealEvent.kind.in_(("PAYMENT", "SERVICE_PAYMENT")))):
        pid = (e.evidence or {}).get("payment_id")
        if pid is not None:
            booked[pid] += 1
            amounts[pid] = e.amount_fen
    paid = db.session.scalars(select(Payment).where(Payment.status == "PAID")).all()
    for p in paid:
        if booked[p.id] != 1 or amounts.get(p.id) != p.amount_fen:
            problems.append(f"paid payment {p.id} (deal {p.deal_id}) booked {booked[p.id]} times")
    stray = set(booked) - {p.id for p in paid} - {p.id for p in db.session.scalars(
        select(Payment).where(Payment.status == "REFUNDED"))}
    if stray:
        problems.append(f"ledger payment lines for payments that are not paid: {sorted(stray)[:10]}")
    return problems, f"{len(paid)} paid payments, each booked once; {len(orphans)} payments without a deal"


def statistics_match_ledger(today: date) -> tuple[list[str], str]:
    """The district figures (market.statistics) equal sums written out here over deals and deal_events."""
    from sqlalchemy import select

    from market.core.extensions import db
    from market.deals.models import Deal, DealEvent
    from market.payments.models import Payment
    from market.statistics.measures import BASIS_EVENT, Column, Figures, StatType
    from market.statistics.periods import classify
    from market.statistics.queries import Selection, aggregate

    period = classify(date(2000, 1, 1), today)
    figures = aggregate(db.session, Selection(period=period)).totals
    events: dict[int, list[DealEvent]] = {}
    for e in db.session.scalars(select(DealEvent)):
        events.setdefault(e.deal_id, []).append(e)
    paid_fen: Counter = Counter()
    # The figures' amount received is the patent fee: technical services are a figure of their own.
    for p in db.session.scalars(select(Payment).where(Payment.status.in_(("PAID", "REFUNDED")),
                                                      Payment.kind != "SERVICE_FEE")):
        paid_fen[p.deal_id] += p.amount_fen
    mine: dict[Column, list] = {c: [0, set(), 0, 0] for c in Column}
    problems = []
    for deal in db.session.scalars(select(Deal)):
        lines = events.get(deal.id, [])
        if deal.status == "VOID" or deal.kind not in BASIS_EVENT:
            continue
        basis = [e for e in lines if e.kind == BASIS_EVENT[StatType(deal.kind)] and e.occurred_on <= today]
        if not basis:
            continue
        terms = deal.fee_terms or {}
        contract = deal.price_fen if deal.price_fen is not None else (
            int(terms.get("lump_fen") or 0) if terms.get("mode") in ("LUMP_SUM", "INSTALLMENTS")
            else int(terms.get("entry_fee_fen") or 0) if terms.get("mode") == "ENTRY_PLUS_ROYALTY" else 0)
        received = sum(e.amount_fen or 0 for e in lines if e.kind == "PAYMENT" and e.occurred_on <= today)
        if received != paid_fen[deal.id]:
            problems.append(f"deal {deal.id}: ledger says {received} fen received, its payments {paid_fen[deal.id]}")
        columns = [Column.DEALS, Column(deal.kind)]
        if deal.kind != StatType.TRANSFER and deal.kind != StatType.EQUITY:
            columns.append(Column.LICENCES)
        for column in columns:
            cell = mine[column]
            cell[0] += 1
            cell[1].add(deal.patent_id)
            cell[2] += contract
            cell[3] += received
    compared = []
    for column in (Column.DEALS, Column.TRANSFER, Column.LICENCES, Column.OPEN_LICENSE, Column.EQUITY):
        n, patents, contract, received = mine[column]
        expected = Figures.of(n, len(patents), contract, received)
        if figures[column] != expected:
            problems.append(f"statistics {column.value}: {figures[column]} but the ledger sums to {expected}")
        compared.append(f"{column.value} {n} 次/{len(patents)} 件/{received / 100:,.0f} 元")
    return problems, "statistics equal the ledger: " + ", ".join(compared)


def index_matches_database() -> tuple[list[str], str]:
    """Once the outbox is applied (`flask search sync`), every index holds exactly the published listings."""
    from flask import current_app
    from sqlalchemy import select

    from listings.models import Listing
    from listings.search import document_loads, index_status, listing_document
    from listings.vocabulary import ListingStatus
    from market.core.extensions import db
    from market.core.outbox import process_outbox

    applied = process_outbox(bulk=True)
    status = index_status()
    problems = [] if status.get("in_step") else [f"index not in step with the database: {status}"]
    backend = current_app.extensions["search"]
    indexes = {"index": backend} if not hasattr(backend, "primary") else {
        "Elasticsearch": backend.primary, "embedded standby": backend.fallback}
    listings = db.session.scalars(select(Listing).where(Listing.status == ListingStatus.PUBLISHED)
                                  .options(*document_loads())).all()
    for name, index in indexes.items():
        ids = index.ids()
        if ids != {l.id for l in listings}:
            problems.append(f"{name}: {len(ids)} documents for {len(listings)} published listings")
        stale = []
        for listing in listings:
            expected = json.loads(json.dumps(listing_document(listing)))
            found = index.get(listing.id) or {}
            if {k: found.get(k) for k in expected} != expected:
                stale.append(listing.id)
        if stale:
            problems.append(f"{name}: {len(stale)} documents differ from their listing: {stale[:10]}")
    return problems, (f"{len(listings)} published listings = documents in {' and '.join(indexes)} "
                      f"(content compared; {applied} outbox entries applied first)")


def edits_kept(ledger) -> tuple[list[str], str]:
    """Each listing ends with its last acknowledged edit, or a later one whose reply was lost."""
    from listings.models import Listing
    from market.core.extensions import db

    problems = []
    for listing_id, attempts in ledger.edits.items():
        acked = [i for i, (_, ok) in enumerate(attempts) if ok]
        if not acked:
            continue
        allowed = {attempts[i][0] for i in range(acked[-1], len(attempts))}
        value = db.session.get(Listing, listing_id).advantages
        if value not in allowed:
            problems.append(f"listing {listing_id}: {value!r} is not its last acknowledged edit")
    total = sum(len(a) for a in ledger.edits.values())
    return problems, f"{total} listing edits over {len(ledger.edits)} listings, the last acknowledged one kept"
