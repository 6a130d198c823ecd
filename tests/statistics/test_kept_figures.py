"""Kept figures (kept.py, issue 16): reused while nothing behind them changed, recomputed after any
change, and always equal to a fresh computation from the ledger."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import event, select, update

from market.core.extensions import db
from market.deals import verification
from market.deals.models import Deal, DealEvent
from market.statistics import kept, queries, services
from market.statistics.periods import year
from market.statistics.queries import Selection
from tests import factories as f
from tests.statistics import ledger

TODAY = date(2026, 3, 1)
BREAKDOWNS = ("evidence", "point", "industry", "supplier_type", "supplier_geo", "period")
YEAR_2024 = Selection(period=year(2024))


@pytest.fixture
def world(session):
    operator = f.organisation("保留数字网点运营", "POINT_OPERATOR")
    uni = f.organisation("保留数字大学", "UNIVERSITY", district="宝山区")
    firm = f.organisation("保留数字企业", "PRIVATE", district="宝山区")
    point = f.point(operator, name="保留数字网点")
    first = ledger.deal("TRANSFER", f.patent(uni), uni, firm, point=point, on=date(2024, 3, 5), price_fen=300_000_00,
                        payments=[(date(2024, 3, 20), 300_000_00)])
    db.session.commit()
    return {"uni": uni, "firm": firm, "point": point, "first": first}


def _statements(run):
    """The SQL statements `run` takes, and its result."""
    seen = []
    listener = lambda *args, **kwargs: seen.append(args[2])  # noqa: E731
    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", listener)
    try:
        result = run()
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    return seen, result


def _kept_equals_fresh(sel=YEAR_2024):
    kept_now = kept.aggregate(db.session, sel, BREAKDOWNS, "month")
    fresh = queries.aggregate(db.session, sel, BREAKDOWNS, "month")
    assert kept_now == fresh
    return kept_now


def test_a_question_asked_again_is_answered_from_the_kept_figures(world):
    first = _kept_equals_fresh()
    assert first.totals[list(first.totals)[0]].transactions == 1
    statements, again = _statements(lambda: kept.aggregate(db.session, YEAR_2024, BREAKDOWNS, "month"))
    assert again == first
    assert len(statements) == 1 and "max" in statements[0].lower()  # the fingerprint only
    # What a caller does with its copy does not change what is kept.
    again.totals.clear()
    assert kept.aggregate(db.session, YEAR_2024, BREAKDOWNS, "month") == first


def test_kept_figures_reconcile_after_deals_voids_late_lines_and_changed_parties(world):
    before = _kept_equals_fresh()
    deals = lambda agg: agg.totals[list(agg.totals)[0]].transactions  # noqa: E731

    # A new deal.
    second = ledger.deal("LICENSE_ORDINARY", f.patent(world["uni"]), world["uni"], world["firm"],
                         point=world["point"], on=date(2024, 6, 1), price_fen=80_000_00)
    db.session.commit()
    after_deal = _kept_equals_fresh()
    assert deals(after_deal) == deals(before) + 1

    # A void: one more ledger line, the deal no longer counts.
    db.session.add(DealEvent(deal_id=second.id, seq=9, kind="VOID", occurred_on=date(2024, 7, 1), note="作废"))
    second.status = "VOID"
    db.session.commit()
    assert deals(_kept_equals_fresh()) == deals(before)

    # A late line: a 2024 basis line recorded in 2025 counts in 2024 now, not as 2024 closed.
    closed_at = queries.closing_instant(YEAR_2024.period)
    as_published = YEAR_2024.replace(as_of=closed_at)
    published = _kept_equals_fresh(as_published)
    revised = kept.revisions(db.session, YEAR_2024, closed_at)
    ledger.deal("TRANSFER", f.patent(world["uni"]), world["uni"], world["firm"], point=world["point"],
                on=date(2024, 12, 30), price_fen=10_000_00, recorded_at=datetime(2025, 2, 1, 3))
    db.session.commit()
    assert deals(_kept_equals_fresh()) == deals(before) + 1
    assert _kept_equals_fresh(as_published) == published
    assert kept.revisions(db.session, YEAR_2024, closed_at) == queries.revisions(db.session, YEAR_2024, closed_at)
    assert len(kept.revisions(db.session, YEAR_2024, closed_at)) == len(revised) + 1

    # No ledger line: the deal's evidence level (a certificate uploaded), the supplier's type.
    verified = YEAR_2024.replace(filters={"evidence": "VERIFIED"})
    assert deals(_kept_equals_fresh(verified)) == 0
    world["first"].evidence_level = "VERIFIED"
    db.session.commit()
    assert deals(_kept_equals_fresh(verified)) == 1
    by_type = _kept_equals_fresh().rows["supplier_type"]
    world["uni"].org_type = "RESEARCH_INSTITUTE"
    db.session.commit()
    assert _kept_equals_fresh().rows["supplier_type"] != by_type


def test_nothing_is_kept_from_a_transaction_that_wrote(world):
    before = _kept_equals_fresh()
    ledger.deal("TRANSFER", f.patent(world["uni"]), world["uni"], world["firm"], on=date(2024, 8, 1),
                price_fen=10_000_00)  # flushed, not committed
    assert kept.aggregate(db.session, YEAR_2024, BREAKDOWNS, "month") != before
    db.session.rollback()
    assert _kept_equals_fresh() == before


def test_the_public_figures_show_a_new_verified_deal_at_once(world):
    """Figures kept for the public page are renewed by the next ledger line (here a verification)."""
    public = lambda: services.public_figures(db.session, today=TODAY, home_district="宝山区")  # noqa: E731
    deals = lambda figures: figures.totals[list(figures.totals)[0]].transactions  # noqa: E731
    assert deals(public()) == deals(public()) == 0
    bureau = f.user(f.organisation("保留数字区局", "BUREAU"))
    verification.verify_deal(bureau, world["first"], "核对了登记证明")
    db.session.commit()
    assert deals(public()) == 1


def test_patents_on_the_shelf_are_kept_until_a_listing_changes(world):
    public = lambda: services.public_figures(db.session, today=TODAY, home_district="宝山区")  # noqa: E731
    on_shelf = public().on_shelf
    assert public().on_shelf == on_shelf == queries.shelf_counts(db.session)[0]
    f.listing(world["uni"], world["point"])
    db.session.commit()
    assert public().on_shelf == on_shelf + 1 == queries.shelf_counts(db.session)[0]


def test_a_change_that_leaves_every_newest_id_and_time_as_it_was_still_renews_the_figures(world):
    # Two transactions may commit in the other order than they took their ids and change times:
    # the later commit then moves no max(). Here the deal's change keeps its old change time.
    before = _kept_equals_fresh()
    deal = world["first"]
    stamp = deal.updated_at
    level = "VERIFIED" if deal.evidence_level != "VERIFIED" else "DOCUMENTED"
    db.session.execute(update(Deal).where(Deal.id == deal.id).values(evidence_level=level, updated_at=stamp))
    db.session.commit()
    after = _kept_equals_fresh()
    assert after != before


def test_signing_in_does_not_renew_the_figures(world):
    _kept_equals_fresh()
    version = db.session.scalar(select(kept.FiguresVersion.version))
    user = f.user(world["firm"])
    db.session.commit()  # a new user: counted (a user who verifies a line is read by the figures)
    assert db.session.scalar(select(kept.FiguresVersion.version)) == version + 1
    user.last_login_at = datetime(2026, 3, 1, 8, 0)
    db.session.commit()
    assert db.session.scalar(select(kept.FiguresVersion.version)) == version + 1


def test_the_count_is_raised_once_at_the_commit_not_in_each_savepoint(world):
    version = db.session.scalar(select(kept.FiguresVersion.version))
    for name in ("保留数字甲", "保留数字乙"):
        with db.session.begin_nested():
            f.organisation(name, "PRIVATE")
    assert db.session.scalar(select(kept.FiguresVersion.version)) == version  # not raised yet: no lock held
    db.session.commit()
    assert db.session.scalar(select(kept.FiguresVersion.version)) == version + 1
