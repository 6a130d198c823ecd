"""The point operator's review queue: abstracts on the cards, bulk approval with a confirmation, and a
rejection that reaches the lister (issue 15 #9)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from listings import services as listing_service
from listings.models import Listing
from listings.vocabulary import ListingStatus
from market.core.extensions import db
from market.core.notifications import Notification
from market.core.outbox import process_outbox
from tests import factories as f


@pytest.fixture
def queue(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "")
    with app.test_request_context():
        operator = f.organisation("宝山测试网点运营机构", org_type="POINT_OPERATOR")
        point = f.point(operator)
        uni = f.organisation("沪北理工大学")
        lister = f.user(uni)
        abstracts = ["本发明公开一种耐高温陶瓷隔膜，150℃下不收缩，适用于动力电池。",
                     "本发明公开一种石墨烯导热膜，导热系数高于1500 W/mK。"]
        listings = []
        for i, abstract in enumerate(abstracts):
            item = f.listing(uni, point, published=False, patent_kw={"title": f"测试专利{i}", "abstract": abstract})
            listing_service.submit_listing(lister, item)
            listings.append(item.id)
        op_user = f.user(operator)
        db.session.commit()
        return {"op": op_user.email, "listings": listings, "uni_id": uni.id, "mail": tmp_path / "mail",
                "abstracts": abstracts}


def test_review_cards_show_the_abstract(client, queue):
    f.login(client, queue["op"])
    page = client.get("/review").get_data(as_text=True)
    for abstract in queue["abstracts"]:
        assert abstract[:30] in page


def test_bulk_approval_first_says_how_many_and_what_then_publishes_them(client, app, queue):
    f.login(client, queue["op"])
    token = f.csrf_token(client, "/review")
    ids = [str(i) for i in queue["listings"]]
    confirm = client.post("/review/bulk", data={"csrf_token": token, "listing_ids": ids})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "2 项" in page and "测试专利0" in page and "测试专利1" in page
    with app.app_context():  # nothing happened yet
        assert {l.status for l in db.session.scalars(select(Listing))} == {ListingStatus.SUBMITTED}
    done = client.post("/review/bulk", data={"csrf_token": token, "listing_ids": ids, "confirmed": "1"})
    assert done.status_code == 302
    with app.app_context():
        assert {l.status for l in db.session.scalars(select(Listing))} == {ListingStatus.PUBLISHED}


def test_bulk_approval_of_another_points_listing_is_refused(client, app, queue):
    with app.test_request_context():
        other = f.listing(f.organisation("别的大学"), f.point(), published=False)
        db.session.commit()
        other_id = other.id
    f.login(client, queue["op"])
    response = client.post("/review/bulk", data={"csrf_token": f.csrf_token(client, "/review"),
                                                 "listing_ids": [str(other_id)], "confirmed": "1"})
    assert response.status_code == 403


def test_a_rejection_reaches_the_lister_in_the_inbox_and_by_email(client, app, queue):
    f.login(client, queue["op"])
    listing_id = queue["listings"][0]
    response = client.post(f"/listings/{listing_id}/review", data={
        "csrf_token": f.csrf_token(client, "/review"), "decision": "reject", "note": "权利人名称与登记不一致"})
    assert response.status_code == 302
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.organisation_id == queue["uni_id"]))
        assert note is not None and "权利人名称与登记不一致" in note.body_zh
        process_outbox()
    (mail,) = queue["mail"].glob("*.eml")
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert "未通过" in message["Subject"] and "权利人名称与登记不一致" in message.get_body().get_content()


def _queries(client, app, url: str) -> int:
    return f.page_queries(client, app, url)


def test_the_queue_takes_as_many_queries_for_eight_cards_as_for_two(client, app, queue):
    f.login(client, queue["op"])
    two = _queries(client, app, "/review")
    with app.test_request_context():
        point = db.session.scalar(select(Listing).where(Listing.id == queue["listings"][0])).point
        for i in range(6):
            owner = f.organisation(f"沪北测试大学{i}")
            item = f.listing(owner, point, published=False, patent_kw={"title": f"更多专利{i}"})
            listing_service.submit_listing(f.user(owner), item)
        db.session.commit()
    assert client.get("/review").get_data(as_text=True).count('class="panel review-item"') == 8
    assert _queries(client, app, "/review") == two
