"""20 enterprises take the same exclusive licence (or transfer) at the same moment: one wins, nothing half-written.

Real commits, real concurrent transactions: each contender runs in its own thread with its own app
context, session and connection, released together by a barrier. The data lives in a schema of
this module's own on the test server, dropped at the end, so the rest of the suite never sees it
(the ledger refuses DELETE, so rows could not be cleaned up one by one anyway).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from config import settings as app_settings
from listings.models import Listing
from listings.vocabulary import DealMode
from market import create_app
from market.accounts.models import User
from market.core.extensions import db
from market.core.notifications import Notification
from market.deals import negotiation as n
from market.deals.models import Deal, DealEvent, Offer, PatentClaim
from market.deals.vocabulary import DealStatus as S
from tests import factories as f
from tests.concurrently import at_once

pytestmark = pytest.mark.postgres
CONTENDERS = 20


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the concurrency test needs PostgreSQL (TEST_DATABASE_URL)")
    schema = f"concurrency_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        # In public, where the main suite's migration finds it too; never inside our schema.
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    settings = app_settings.TestSettings(str(tmp_path_factory.mktemp("concurrency")))
    settings.SQLALCHEMY_DATABASE_URI = url
    # Our schema alone: with public on the path, Alembic would find the suite's version table there
    # and write nothing here. (btree_gist's operator classes are found without the path.)
    settings.SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_size": CONTENDERS + 5, "max_overflow": 5, "pool_timeout": 60,
        "connect_args": {"options": f"-csearch_path={schema}"}}
    app = create_app(settings)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT current_schema()").scalar() == schema
                assert conn.exec_driver_sql(f"SELECT to_regclass('{schema}.deal_events')").scalar() is not None
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
        assert not Path(app.instance_path, "uploads").exists()


def _world(app, mode: str, rivals: int = 0) -> dict:
    """Committed: a fixed-price listing offering `mode`, 20 enterprises, `rivals` earlier requests."""
    with app.app_context():
        seller = f.organisation(org_type="PRIVATE")
        listing = f.listing(seller, f.point(), modes=[mode, DealMode.LICENSE_ORDINARY], price_fen=3_000_000)
        users = [f.user(f.organisation(org_type="PRIVATE")) for _ in range(CONTENDERS + rivals)]
        earlier = [n.request_deal(u, listing, DealMode.LICENSE_ORDINARY).id for u in users[CONTENDERS:]]
        db.session.commit()
        out = {"listing_id": listing.id, "patent_id": listing.patent_id, "seller_org_id": seller.id,
               "user_ids": [u.id for u in users[:CONTENDERS]], "earlier": earlier}
        db.session.remove()
        return out


def _race(app, world: dict, mode: str) -> list[tuple]:
    def contender(user_id: int, start) -> tuple:
        user = db.session.get(User, user_id)
        listing = db.session.get(Listing, world["listing_id"])
        _ = (user.organisation.name, listing.patent.owners, listing.modes)
        db.session.commit()  # every contender starts from the same committed state
        start()
        deal = n.accept_listed_terms(user, listing, mode)
        db.session.flush()
        return ("agreed", user_id, deal.id)

    return at_once(app, world["user_ids"], contender)


@pytest.mark.parametrize("mode, code, words", [
    (DealMode.LICENSE_EXCLUSIVE, "deal.exclusive_taken", "已有独占或排他许可"),
    (DealMode.TRANSFER, "deal.ownership_taken", "已有转让或作价投资"),
])
def test_twenty_enterprises_take_one_exclusive_right_at_once(pg_app, mode, code, words):
    world = _world(pg_app, mode, rivals=2 if mode == DealMode.TRANSFER else 0)
    results = _race(pg_app, world, mode)

    assert [r for r in results if r[0] == "error"] == []
    winners = [r for r in results if r[0] == "agreed"]
    losers = [r for r in results if r[0] == "refused"]
    assert len(winners) == 1 and len(losers) == CONTENDERS - 1
    assert {(r[2], r[4]) for r in losers} == {(code, 409)}
    assert all(words in r[3] for r in losers)

    winner_deal = winners[0][2]
    with pg_app.app_context():
        patent_id = world["patent_id"]
        deals = db.session.scalars(select(Deal).where(Deal.patent_id == patent_id,
                                                      Deal.id.not_in(world["earlier"]))).all()
        assert [(d.id, d.status, d.buyer_org_id) for d in deals] == [
            (winner_deal, S.AGREED, db.session.get(User, winners[0][1]).organisation_id)]
        claims = db.session.scalars(select(PatentClaim).where(PatentClaim.patent_id == patent_id)).all()
        assert [(c.deal_id, c.active) for c in claims] == [(winner_deal, True)]
        offers = db.session.scalars(select(Offer.deal_id).join(Deal).where(Deal.patent_id == patent_id,
                                                                           Deal.id.not_in(world["earlier"]))).all()
        assert offers == [winner_deal]
        lines = db.session.execute(select(DealEvent.deal_id, DealEvent.kind).join(Deal).where(
            Deal.patent_id == patent_id).order_by(DealEvent.deal_id, DealEvent.seq)).all()
        winner_lines = [k for d, k in lines if d == winner_deal]
        assert winner_lines == ["REQUESTED", "OFFER", "ACCEPTED"]
        # The losers left no line anywhere; the earlier requests were closed exactly once.
        earlier_lines = [(d, k) for d, k in lines if d != winner_deal]
        assert earlier_lines == [(d, k) for d in world["earlier"] for k in ("REQUESTED", "CANCELLED")]
        assert {db.session.get(Deal, d).status for d in world["earlier"]} == ({S.CANCELLED} if world["earlier"] else set())
        notices = db.session.scalar(select(func.count(Notification.id)).where(
            Notification.organisation_id == world["seller_org_id"], Notification.kind == "deal.agreed"))
        assert notices == 1
