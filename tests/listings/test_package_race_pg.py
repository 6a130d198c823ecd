"""Eight requests put one patent on the shelf at the same moment, on PostgreSQL: one listing wins.

Packages naming the patent as a further member, packages led by it and single listings of it race
(real threads, connections and commits; the app and schema of tests/deals/test_concurrency_pg).
The partial unique index covers only a listing's lead patent; the patents' row locks taken by
listings.services.hold_shelf make every other request wait and then refuse in words (a 409), with
nothing written: no second listing, no stray package membership.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from listings import packages, services
from listings.models import Listing, ListingPatent, Patent
from listings.vocabulary import DealMode
from market.accounts.models import Organisation, User
from market.core.extensions import db
from tests import factories as f
from tests.concurrently import at_once
from tests.deals.test_concurrency_pg import pg_app  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres
CONTENDERS = 8
CJK = re.compile(r"^[\u4e00-\u9fff]")


def _world(app) -> dict:
    with app.app_context():
        uni = f.organisation(org_type="UNIVERSITY")
        shared = f.patent(uni, title="一种共用的核心专利")
        own = [f.patent(uni, title=f"配套专利{i}") for i in range(CONTENDERS)]
        out = {"org_id": uni.id, "user_id": f.user(uni).id, "point_id": f.point().id,
               "shared": shared.id, "own": [p.id for p in own]}
        db.session.commit()
        db.session.remove()
        return out


def test_one_patent_claimed_by_packages_and_listings_at_once_is_listed_once(pg_app):  # noqa: F811
    world = _world(pg_app)

    def contender(i: int, start) -> tuple:
        user, org = db.session.get(User, world["user_id"]), db.session.get(Organisation, world["org_id"])
        shared, own = db.session.get(Patent, world["shared"]), db.session.get(Patent, world["own"][i])
        # As a request would have: the patents and their (empty) shelf places read first.
        _ = (shared.live_listing, own.live_listing, shared.owners, own.owners, user.organisation)
        db.session.commit()
        offer = {"modes": [DealMode.TRANSFER], "asking_price_fen": 100_000_00, "point_id": world["point_id"]}
        start()
        if i % 4 == 0:
            listing = services.create_listing(user, shared, org, offer)
        else:  # the shared patent as a further member, or leading the package
            members = [own, shared] if i % 2 else [shared, own]
            listing = packages.create_package(user, members, org, offer)
        db.session.flush()
        return ("listed", i, listing.id)

    results = at_once(pg_app, list(range(CONTENDERS)), contender,
                      refused=lambda i, err: ("refused", i, err.code, err.zh, err.en, err.status))

    assert [r for r in results if r[0] == "error"] == []
    winners = [r for r in results if r[0] == "listed"]
    losers = [r for r in results if r[0] == "refused"]
    assert len(winners) == 1 and len(losers) == CONTENDERS - 1
    assert {r[2] for r in losers} <= {"already_listed", "package_invalid"} and {r[5] for r in losers} == {409}
    # Chinese first, then English; both name the listing that holds the patent.
    assert all(CJK.match(r[3]) and r[4].isascii() for r in losers)
    assert all(f"#{winners[0][2]}" in r[3] for r in losers if r[2] == "package_invalid")

    with pg_app.app_context():
        listings = db.session.scalars(select(Listing.id).where(Listing.organisation_id == world["org_id"])).all()
        assert listings == [winners[0][2]]
        memberships = db.session.scalar(select(func.count(ListingPatent.id)).where(
            ListingPatent.patent_id.in_([world["shared"], *world["own"]])))
        assert memberships == (0 if winners[0][1] % 4 == 0 else 1)
        holder = db.session.get(Patent, world["shared"]).live_listing
        assert holder is not None and holder.id == winners[0][2]
        db.session.remove()
