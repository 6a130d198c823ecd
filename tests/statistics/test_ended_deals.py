"""A deal terminated or rescinded after its period closed (issue 12 §2): the revisions say so."""

from __future__ import annotations

from datetime import date, datetime

from market.statistics import queries
from market.statistics.measures import Column
from market.statistics.periods import parse_period
from market.statistics.queries import Selection
from tests import factories as f
from tests.statistics import ledger


def test_a_rescission_after_the_close_is_listed_and_the_refund_is_dated_when_made(session):
    uni = f.organisation("同济测试大学", "UNIVERSITY")
    firm = f.organisation("宝山测试材料公司", "PRIVATE")
    patent = f.patent(uni)
    q1 = parse_period("2024-Q1")
    close = queries.closing_instant(q1)
    deal = ledger.deal("TRANSFER", patent, uni, firm, on=date(2024, 2, 1), price_fen=30_00,
                       recorded_at=datetime(2024, 2, 1, 3), payments=[(date(2024, 2, 3), 30_00), (date(2024, 5, 6), -30_00)],
                       extra=[("TERMINATED", date(2024, 5, 6))], status="TERMINATED")
    sel = Selection(period=q1)
    now = queries.aggregate(session, sel).totals[Column.DEALS]
    # The deal was made in Q1 and stays there; the refund belongs to May, not to the closed quarter.
    assert (now.contract_fen, now.received_fen) == (30_00, 30_00)
    changes = queries.revisions(session, sel, close)
    # (The fixture records its payment lines now, so the Q1 payment also shows as recorded late.)
    assert ("ENDED", deal.id, 0) in [(c["change"], c["deal_id"], c["amount_fen"]) for c in changes]
    q2 = queries.aggregate(session, Selection(period=parse_period("2024-Q2"))).totals[Column.DEALS]
    assert q2.contract_fen == 0
