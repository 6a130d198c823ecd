"""我的挂牌 (issue 15 #10): a page at a time, searched and filtered, with a confirmed bulk action."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from listings.models import Listing
from listings.vocabulary import DealMode, ListingStatus
from market.core.extensions import db
from tests import factories as f


@pytest.fixture
def portfolio(app):
    with app.test_request_context():
        uni = f.organisation("沪北理工大学")
        point = f.point()
        ids = [f.listing(uni, point, patent_kw={"title": f"一种批量测试装置{i:02d}"}).id for i in range(28)]
        special = f.listing(uni, point, modes=[DealMode.LICENSE_EXCLUSIVE], patent_kw={"title": "一种石墨烯导热膜"})
        user = f.user(uni)
        db.session.commit()
        return {"user": user.email, "ids": ids, "special": special.id,
                "special_no": special.patent.application_number}


def test_the_list_comes_a_page_at_a_time(client, portfolio):
    f.login(client, portfolio["user"])
    page = client.get("/my/listings").get_data(as_text=True)
    assert page.count('name="listing_ids"') == 25 and "page=2" in page
    second = client.get("/my/listings?page=2").get_data(as_text=True)
    assert second.count('name="listing_ids"') == 4


def test_a_page_of_25_takes_no_more_queries_than_a_page_of_4(client, app, portfolio):
    f.login(client, portfolio["user"])
    counts = []
    for url in ("/my/listings", "/my/listings?page=2"):
        counts.append(f.page_queries(client, app, url))
    assert counts[0] == counts[1], counts


def test_search_by_title_or_number_and_filter_by_mode_and_status(client, portfolio):
    f.login(client, portfolio["user"])
    by_title = client.get("/my/listings?q=石墨烯").get_data(as_text=True)
    by_number = client.get(f"/my/listings?q=CN{portfolio['special_no'].replace('.', '')}").get_data(as_text=True)
    by_mode = client.get("/my/listings?mode=LICENSE_EXCLUSIVE").get_data(as_text=True)
    for page in (by_title, by_number, by_mode):
        assert "一种石墨烯导热膜" in page and "一种批量测试装置" not in page
    assert "一种批量测试装置" not in client.get("/my/listings?status=DRAFT").get_data(as_text=True)


def test_a_bulk_withdrawal_says_what_and_how_many_before_it_is_done(client, app, portfolio):
    f.login(client, portfolio["user"])
    token = f.csrf_token(client, "/my/listings")
    chosen = [str(i) for i in portfolio["ids"][:2]]
    confirm = client.post("/my/listings/bulk", data={"csrf_token": token, "action": "withdraw",
                                                     "listing_ids": chosen})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "2 项" in page and "不能恢复" in page
    with app.app_context():
        assert db.session.scalar(select(Listing.status).where(Listing.id == portfolio["ids"][0])) == \
            ListingStatus.PUBLISHED
    done = client.post("/my/listings/bulk", data={"csrf_token": token, "action": "withdraw",
                                                  "listing_ids": chosen, "confirmed": "1"})
    assert done.status_code == 302
    with app.app_context():
        statuses = db.session.scalars(select(Listing.status).where(Listing.id.in_(portfolio["ids"][:3]))).all()
        assert sorted(statuses) == sorted([ListingStatus.WITHDRAWN] * 2 + [ListingStatus.PUBLISHED])


def test_a_bulk_action_on_another_organisations_listing_does_nothing(client, app, portfolio):
    with app.test_request_context():
        other = f.user(f.organisation("别的大学")).email
        db.session.commit()
    f.login(client, other)
    client.post("/my/listings/bulk", data={"csrf_token": f.csrf_token(client, "/my/listings"), "action": "withdraw",
                                           "listing_ids": [str(portfolio["ids"][0])], "confirmed": "1"})
    with app.app_context():
        assert db.session.scalar(select(Listing.status).where(Listing.id == portfolio["ids"][0])) == \
            ListingStatus.PUBLISHED
