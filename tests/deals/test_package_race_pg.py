"""Ten package deals on the same two patents, listed in opposite orders, are accepted at once (PostgreSQL).

A package's exclusive licence or transfer claims each of its patents. Five buyers asked for the
package [P1, P2]; the seller then withdrew it and listed [P2, P1], and five more asked for that.
The seller accepts all ten at the same moment (real threads, connections and commits; the app and
schema of tests/deals/test_concurrency_pg): exactly one deal is agreed, each patent carries exactly
its claim, every other acceptance is refused in words (409) and none deadlocks (the patents are
locked in id order whatever the package's order).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from listings import packages
from listings import services as listing_services
from listings.vocabulary import DealMode
from market.accounts.models import User
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.models import Deal, PatentClaim
from market.deals.vocabulary import DealStatus as S
from tests import factories as f
from tests.concurrently import at_once, refusal
from tests.deals.test_concurrency_pg import pg_app  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres
PER_ORDER = 5


def _world(app, mode: str) -> dict:
    with app.app_context():
        seller = f.organisation(org_type="PRIVATE")
        seller_user, point = f.user(seller), f.point()
        p1, p2 = f.patent(seller, title="一种电池隔膜"), f.patent(seller, title="一种隔膜涂覆设备")
        offer = {"modes": [mode], "asking_price_fen": None, "price_negotiable": True, "point_id": point.id}
        start = today_local()
        terms = ({"price_fen": 3_000_000, "start_date": start, "end_date": start + timedelta(days=700)}
                 if mode == DealMode.LICENSE_EXCLUSIVE else {"price_fen": 8_000_000})
        deals = []
        for order in ([p1, p2], [p2, p1]):
            listing = packages.create_package(None, order, seller, offer)
            listing_services.publish_without_review(listing, "test")
            for _ in range(PER_ORDER):
                buyer = f.user(f.organisation(org_type="PRIVATE"))
                deal = n.request_deal(buyer, listing, mode, terms=terms, message="整包洽谈")
                deals.append((deal.id, n.open_offer(deal).id))
            db.session.flush()
            listing_services.withdraw_listing(seller_user, listing, "换一种顺序重新挂牌")
        db.session.commit()
        out = {"seller": seller_user.id, "deals": deals, "patents": [p1.id, p2.id]}
        db.session.remove()
        return out


@pytest.mark.parametrize("mode, group, taken", [
    (DealMode.LICENSE_EXCLUSIVE, "EXCLUSIVITY", "deal.exclusive_taken"),
    (DealMode.TRANSFER, "OWNERSHIP", "deal.ownership_taken"),
])
def test_overlapping_package_deals_accepted_at_once_one_agreed_each_patent_claimed_once(
        pg_app, mode, group, taken):  # noqa: F811
    world = _world(pg_app, mode)

    def accept(pair: tuple[int, int], start) -> tuple:
        deal_id, offer_id = pair
        seller, deal = db.session.get(User, world["seller"]), db.session.get(Deal, deal_id)
        _ = (deal.members, seller.organisation)
        db.session.commit()
        start()
        n.accept_offer(seller, deal, offer_id)
        db.session.flush()
        return ("agreed", deal_id)

    # A deadlock would land among the "error" outcomes.
    results = at_once(pg_app, world["deals"], accept, refused=lambda pair, err: refusal(pair[0], err))

    assert [r for r in results if r[0] == "error"] == []
    winners = [r[1] for r in results if r[0] == "agreed"]
    losers = [r for r in results if r[0] == "refused"]
    assert len(winners) == 1 and len(losers) == len(world["deals"]) - 1
    # A transfer agreed closes the other requests; an acceptance queued behind it finds its deal closed.
    assert {r[2] for r in losers} <= {taken, "deal.not_negotiating"} and {r[4] for r in losers} == {409}
    with pg_app.app_context():
        claims = db.session.execute(select(PatentClaim.patent_id, PatentClaim.deal_id).where(
            PatentClaim.patent_id.in_(world["patents"]), PatentClaim.claim_group == group,
            PatentClaim.active.is_(True)).order_by(PatentClaim.patent_id)).all()
        assert [tuple(c) for c in claims] == [(pid, winners[0]) for pid in sorted(world["patents"])]
        agreed = db.session.scalars(select(Deal.id).where(Deal.id.in_([d for d, _ in world["deals"]]),
                                                          Deal.status == S.AGREED)).all()
        assert agreed == winners
        db.session.remove()
