"""Journey 3 through the pages and the API: post a demand, see matches, act on them; privacy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.outbox import process_outbox
from tests import factories as f


@pytest.fixture
def setup(app):
    with app.test_request_context():
        ent = f.organisation("沪东电池有限公司", org_type="PRIVATE")
        uni = f.organisation("沪北理工大学")
        listing = f.listing(uni, f.point(), patent_kw={
            "title": "一种锂离子电池用陶瓷涂覆隔膜", "abstract": "锂电池隔膜耐高温，150℃不收缩。"})
        users = f.user(ent), f.user(uni), f.user(f.organisation("别的企业", org_type="PRIVATE"))
        tokens = [issue_api_token(u, "t")[1] for u in users]
        db.session.commit()
        process_outbox()
        return {"ent": users[0].email, "uni": users[1].email, "other": users[2].email, "listing_id": listing.id,
                "tokens": tokens}


def _post_demand(client, visibility="PUBLIC"):
    token = f.csrf_token(client, "/demands/new")
    return client.post("/demands/new", data={
        "csrf_token": token, "title": "需要耐高温锂电池隔膜", "problem": "现有隔膜高温收缩导致短路，寻求耐高温隔膜技术方案。",
        "expected_outcome": "150℃不收缩", "existing_basis": "保密的产线细节XYZ", "budget_min": "10",
        "budget_max": "50", "modes": ["LICENSE_ORDINARY"], "visibility": visibility})


def test_an_enterprise_posts_a_demand_and_sees_matches_with_reasons(client, setup):
    f.login(client, setup["ent"])
    response = _post_demand(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "一种锂离子电池用陶瓷涂覆隔膜" in page and "保密的产线细节XYZ" in page


def test_private_details_never_reach_another_organisation(client, setup):
    f.login(client, setup["ent"])
    url = _post_demand(client).headers["Location"]
    demand_id = int(url.rsplit("/", 1)[1])
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    f.login(client, setup["other"])
    page = client.get(url).get_data(as_text=True)
    assert "需要耐高温锂电池隔膜" in page and "保密的产线细节XYZ" not in page
    api = client.get(f"/api/v1/demands/{demand_id}", headers={"Authorization": f"Bearer {setup['tokens'][2]}"})
    assert "existing_basis" not in api.get_json()
    assert client.get(f"/api/v1/demands/{demand_id}/matches",
                      headers={"Authorization": f"Bearer {setup['tokens'][2]}"}).status_code == 404


def test_a_private_demand_is_a_404_to_others(client, setup):
    f.login(client, setup["ent"])
    url = _post_demand(client, visibility="PRIVATE").headers["Location"]
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"text": ""}, "text"), ({"text": "锂"}, "text"), ({"text": "锂" * 100_001}, "text"),
    ({"text": "锂电池隔膜", "budget_min_fen": 5, "budget_max_fen": 1}, "budget_min_fen"),
    ({"text": "锂电池隔膜", "filters": {"colour": ["red"]}}, "filters"),
])
def test_bad_match_requests_get_clear_errors(client, setup, body, field):
    response = client.post("/api/v1/matches", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_the_match_api_ranks_patents_with_reasons_before_any_demand_is_posted(client, setup):
    response = client.post("/api/v1/matches", json={"text": "需要耐高温的锂电池隔膜", "limit": 5})
    items = response.get_json()["items"]
    assert response.status_code == 200 and items[0]["listing_id"] == setup["listing_id"]
    assert items[0]["reasons"] and {"application_number", "title", "score"} <= set(items[0])


def test_a_bad_demand_form_keeps_the_input_and_stores_nothing(client, setup):
    f.login(client, setup["ent"])
    token = f.csrf_token(client, "/demands/new")
    page = client.post("/demands/new", data={"csrf_token": token, "title": "我的需求标题", "problem": "太短",
                                             "budget_min": "50", "budget_max": "10"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "我的需求标题" in text and "预算下限不能高于上限" in text
    assert "我的需求标题" not in client.get("/my/demands").get_data(as_text=True)


def test_a_patentee_sees_the_demands_that_fit_its_listings(client, setup):
    f.login(client, setup["ent"])
    _post_demand(client)
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    f.login(client, setup["uni"])
    page = client.get("/my/demand-matches").get_data(as_text=True)
    assert "需要耐高温锂电池隔膜" in page and "一种锂离子电池用陶瓷涂覆隔膜" in page
    assert "保密的产线细节XYZ" not in page
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    f.login(client, setup["other"])  # an enterprise without listings sees no such rows
    assert "需要耐高温锂电池隔膜" not in client.get("/my/demand-matches").get_data(as_text=True)


def test_a_patentee_with_many_fitting_listings_pages_through_them_all(client, setup, app, monkeypatch):
    """The listings that demands fit, a page at a time; the second is on a later page, not dropped."""
    import matching.views as views

    monkeypatch.setattr(views, "DEMAND_MATCH_PAGE", 1)
    with app.test_request_context():
        from market.accounts.models import User

        uni = db.session.scalars(select(User).where(User.email == setup["uni"])).one().organisation
        f.listing(uni, f.point(), patent_kw={"title": "一种锂电池隔膜的陶瓷涂层及其耐高温涂覆方法",
                                             "abstract": "陶瓷涂覆锂电池隔膜，高温下不收缩，防止短路。"})
        f.listing(uni, f.point(), patent_kw={"title": "耐高温锂电池隔膜及其制备方法",
                                             "abstract": "耐高温锂电池隔膜，150℃不收缩，防止高温短路。"})
        f.listing(uni, f.point(), patent_kw={"title": "一种光伏组件清洗机器人", "ipc": ["B08B 1/00"],
                                             "abstract": "机器人沿光伏组件行走，刷洗表面灰尘。"})
        db.session.commit()
        process_outbox()
    f.login(client, setup["ent"])
    _post_demand(client)
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    f.login(client, setup["uni"])
    first = client.get("/my/demand-matches").get_data(as_text=True)
    second = client.get("/my/demand-matches?page=2").get_data(as_text=True)
    third = client.get("/my/demand-matches?page=3").get_data(as_text=True)
    assert "?page=3" in first and "?page=4" not in first
    # Three separators, confident enough together for three matches (Confidence.most_matches).
    titles = ("一种锂离子电池用陶瓷涂覆隔膜", "耐高温锂电池隔膜及其制备方法", "一种锂电池隔膜的陶瓷涂层及其耐高温涂覆方法")
    assert sorted(t for t in titles for page in (first, second, third) if t in page) == sorted(titles)
    assert all("需要耐高温锂电池隔膜" in page for page in (first, second, third))
    assert "一种光伏组件清洗机器人" not in first + second + third


@pytest.mark.parametrize("text", ["区块链金融结算系统的开发", "需要新的生产工艺和方法，提高产品质量，降低成本"])
def test_a_demand_nothing_on_the_shelf_fits_gets_the_no_match_state(client, setup, text):
    response = client.post("/api/v1/matches", json={"text": text})
    body = response.get_json()
    assert response.status_code == 200
    assert body["state"] == "none" and body["items"] == []
    assert body["message"]["zh"] == "货架上暂无合适的专利"
    assert {"post_demand", "point_operator"} <= {step["code"] for step in body["next_steps"]}


def test_the_match_api_says_which_results_are_confident(client, setup):
    body = client.post("/api/v1/matches", json={"text": "需要耐高温的锂电池隔膜，高温下不收缩"}).get_json()
    assert body["state"] == "match" and body["next_steps"] == []
    assert body["items"][0]["grade"] == "match" and 0.5 <= body["items"][0]["confidence"] <= 1


def test_the_demand_page_shows_the_no_match_state_with_next_steps(client, setup):
    f.login(client, setup["ent"])
    token = f.csrf_token(client, "/demands/new")
    response = client.post("/demands/new", data={
        "csrf_token": token, "title": "铝合金轮毂低压铸造缩孔问题",
        "problem": "我公司成立于2005年，主要生产铝合金轮毂。低压铸造的轮毂轮辐处易出现缩孔，废品率高。"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-match-state="none"' in page and "货架上暂无合适的专利" in page
    assert "一种锂离子电池用陶瓷涂覆隔膜" not in page
    assert "需求保持征集中" in page and "网点的技术经理人" in page and "试试更宽的说法" in page


def test_a_deal_request_defaults_to_the_least_binding_mode_the_listing_offers(client, session):
    # An exclusive licence is the most a buyer can ask for; one unthinking click must not request it.
    uni = f.organisation("默认方式大学")
    point = f.point(f.organisation(org_type="POINT_OPERATOR"))
    listing = f.listing(uni, point, modes=["LICENSE_EXCLUSIVE", "TRANSFER", "LICENSE_ORDINARY"])
    buyer = f.user(f.organisation("默认方式科技有限公司", org_type="PRIVATE"))
    session.commit()
    f.login(client, buyer)
    page = client.get(f"/patents/{listing.patent.application_number}").get_data(as_text=True)
    assert '<option value="LICENSE_ORDINARY" selected>' in page
    assert '<option value="LICENSE_EXCLUSIVE" selected>' not in page


def _match_notices(app, email):
    """The demand-match notices in the patentee's inbox, as (demand id, listing title) pairs."""
    with app.test_request_context():
        from market.accounts.models import User
        from market.core.notifications import Notification

        org_id = db.session.scalars(select(User).where(User.email == email)).one().organisation_id
        notes = db.session.scalars(select(Notification).where(
            Notification.organisation_id == org_id, Notification.kind == "demand_matches_listing")).all()
        return [(int(n.link.rsplit("/", 1)[1]), n.title_zh) for n in notes]


DEMAND_TITLES = ["需要耐高温锂电池隔膜", "动力电池隔膜高温收缩问题", "寻求陶瓷涂覆隔膜技术", "储能电池隔膜耐热改进"]


def _post_fitting_demands(client, titles):
    ids = []
    for title in titles:
        token = f.csrf_token(client, "/demands/new")
        response = client.post("/demands/new", data={
            "csrf_token": token, "title": title, "problem": "现有锂电池隔膜高温收缩导致短路，寻求耐高温陶瓷涂覆隔膜技术方案。",
            "expected_outcome": "150℃不收缩", "modes": ["LICENSE_ORDINARY"], "visibility": "PUBLIC"})
        ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    return ids


def test_every_demand_the_inbox_announces_is_on_the_patentees_demand_matches_page(client, setup, app):
    """One source: the page lists each demand a match notice announced, beside the listing it named."""
    f.login(client, setup["ent"])
    _post_fitting_demands(client, DEMAND_TITLES)
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    notices = _match_notices(app, setup["uni"])
    assert len(notices) == len(DEMAND_TITLES)
    f.login(client, setup["uni"])
    page = client.get("/my/demand-matches").get_data(as_text=True)
    for demand_id, _ in notices:
        assert f'href="/demands/{demand_id}"' in page
    assert "一种锂离子电池用陶瓷涂覆隔膜" in page


def test_a_demand_stays_on_the_patentees_page_after_the_enterprise_contacts_a_patent(client, setup, app):
    """The enterprise's first deal request marks its demand MATCHED; it is still on the board, and the
    patentee's notice still points to it, so the page keeps it too."""
    f.login(client, setup["ent"])
    [demand_id] = _post_fitting_demands(client, DEMAND_TITLES[:1])
    token = f.csrf_token(client, f"/demands/{demand_id}")
    response = client.post(f"/listings/{setup['listing_id']}/request", data={
        "csrf_token": token, "mode": "LICENSE_ORDINARY", "demand_id": str(demand_id)})
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    assert [d for d, _ in _match_notices(app, setup["uni"])] == [demand_id]
    f.login(client, setup["uni"])
    assert f'href="/demands/{demand_id}"' in client.get("/my/demand-matches").get_data(as_text=True)


def _listing_notices(app, email):
    with app.test_request_context():
        from market.accounts.models import User
        from market.core.notifications import Notification

        org_id = db.session.scalars(select(User).where(User.email == email)).one().organisation_id
        return [n.title_zh for n in db.session.scalars(select(Notification).where(
            Notification.organisation_id == org_id, Notification.kind == "listing_matches_demand"))]


def _publish(app, email, title, abstract, ipc):
    with app.test_request_context():
        from market.accounts.models import User

        uni = db.session.scalars(select(User).where(User.email == email)).one().organisation
        listing = f.listing(uni, f.point(), patent_kw={"title": title, "abstract": abstract, "ipc": ipc})
        db.session.commit()
        process_outbox()
        return listing.id


def test_a_new_listing_is_announced_to_an_enterprise_only_when_its_demand_page_lists_it(client, setup, app):
    """The enterprise's notice reads the same decision as the patentee's: a listing that shares one word
    with the demand is no news; one its demand page proposes is announced."""
    f.login(client, setup["ent"])
    [demand_id] = _post_fitting_demands(client, DEMAND_TITLES[:1])
    _publish(app, setup["uni"], "一种耐高温陶瓷输送辊", "窑炉用输送辊，耐高温，寿命长。", ["F27D 3/02"])
    assert _listing_notices(app, setup["ent"]) == []
    fitting = "一种锂电池隔膜的陶瓷涂层及其耐高温涂覆方法"
    _publish(app, setup["uni"], fitting, "陶瓷涂覆锂电池隔膜，高温下不收缩，防止短路。", ["H01M 50/449"])
    assert [n for n in _listing_notices(app, setup["ent"]) if fitting in n]
    assert fitting in client.get(f"/demands/{demand_id}").get_data(as_text=True)
