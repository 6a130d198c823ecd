"""The live bidding page, the bid confirmation, the polled JSON and the API: who sees what."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from market.accounts.services import issue_api_token
from market.core.db import utcnow
from market.core.extensions import db
from market.deals.exchange.board import RECENT
from market.deals.exchange.models import Bid, BiddingFormat, LotMethod, LotStatus
from tests import factories as f
from tests.deals.bidding.world import person, world

RESERVE = 1_234_567  # 12,345.67 元: must never reach a bidder


def _committed(**kw):
    w = world(**kw)
    ids = {"lot": w.lot.id, "bidders": [u.email for u in w.bidders], "seller": w.seller.email,
           "operator": w.operator.email}
    db.session.commit()
    return w, ids


def _count(lot_id: int) -> int:
    return db.session.scalar(select(func.count(Bid.id)).where(Bid.lot_id == lot_id))


def _bid(client, lot_id: int, amount: str, *, confirm: bool = True, lang: str = "zh"):
    data = {"amount": amount, "csrf_token": f.csrf_token(client, f"/lots/{lot_id}/bidding")}
    if confirm:
        data["confirm"] = "1"
    return client.post(f"/lots/{lot_id}/bids" + ("?lang=en" if lang == "en" else ""), data=data)


def test_the_page_shows_price_minimum_countdown_and_form_in_chinese_first(client, session):
    w, ids = _committed()
    f.login(client, ids["bidders"][0])
    html = client.get(f"/lots/{ids['lot']}/bidding").get_data(as_text=True)
    for words in ("网络竞价", "当前价", "尚无出价", "最低应价", "10,000.00 元", "距离截止", "出价金额（元）", "请刷新页面"):
        assert words in html, words
    assert 'data-bind="countdown"' in html and "bidding.js" in html
    en = client.get(f"/lots/{ids['lot']}/bidding?lang=en").get_data(as_text=True)
    assert "Next minimum bid" in en and "¥10,000.00" in en and "Time left" in en


def test_strangers_see_nothing_and_anonymous_visitors_are_asked_to_log_in(client, session):
    _, ids = _committed()
    assert client.get(f"/lots/{ids['lot']}/bidding").status_code == 302
    stranger = person(f.organisation(org_type="PRIVATE"))
    db.session.commit()
    f.login(client, stranger)
    for url in ("/bidding", "/bidding/state.json", "/bidding/confirm?amount=10000"):
        assert client.get(f"/lots/{ids['lot']}{url}").status_code == 404
    assert client.get("/lots/99999999/bidding").status_code == 404


def test_a_bid_goes_through_its_confirmation_then_binds(client, session):
    _, ids = _committed()
    f.login(client, ids["bidders"][0])
    page = client.get(f"/lots/{ids['lot']}/bidding/confirm?amount=10,500.50")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "10,500.50 元" in html and "约束力" in html and 'name="confirm"' in html
    assert _count(ids["lot"]) == 0  # nothing on GET
    refused = _bid(client, ids["lot"], "10500.50", confirm=False)
    assert refused.status_code == 422 and "请勾选确认" in refused.get_data(as_text=True)
    assert _count(ids["lot"]) == 0
    done = _bid(client, ids["lot"], "10500.50")
    assert done.status_code == 302
    assert db.session.scalars(select(Bid.amount_fen).where(Bid.lot_id == ids["lot"])).all() == [1_050_050]
    after = client.get(f"/lots/{ids['lot']}/bidding").get_data(as_text=True)
    assert "出价已被接受：10,500.50 元" in after and "您是当前最高出价人" in after
    assert 'id="bid-amount"' not in after  # the leader has nothing to bid against


def test_bad_amounts_are_refused_beside_the_field_keeping_what_was_typed(client, session):
    _, ids = _committed()
    f.login(client, ids["bidders"][0])
    for typed, words in (("abc", "请输入金额"), ("NaN", "请输入金额"), ("Infinity", "请输入金额"), ("-5", "不能为负数"),
                         ("100.001", "精确到分"), ("", "请填写出价金额"), ("9999.99", "低于最低应价 10000.00")):
        page = client.get(f"/lots/{ids['lot']}/bidding/confirm", query_string={"amount": typed})
        html = page.get_data(as_text=True)
        assert page.status_code == 422 and words in html, typed
        assert 'id="bid-amount-error"' in html and 'aria-invalid="true"' in html
        assert f'value="{typed or "10000.00"}"' in html
    low = _bid(client, ids["lot"], "9,999.99")
    assert low.status_code == 422 and "低于最低应价" in low.get_data(as_text=True)
    assert _count(ids["lot"]) == 0


def test_a_post_without_the_csrf_token_is_refused(client, session):
    _, ids = _committed()
    f.login(client, ids["bidders"][0])
    response = client.post(f"/lots/{ids['lot']}/bids", data={"amount": "10000", "confirm": "1"})
    assert response.status_code == 400 and _count(ids["lot"]) == 0


def test_the_seller_sees_the_page_but_has_no_form_and_cannot_post(client, session):
    _, ids = _committed()
    f.login(client, ids["seller"])
    html = client.get(f"/lots/{ids['lot']}/bidding").get_data(as_text=True)
    assert 'id="bid-amount"' not in html
    response = _bid(client, ids["lot"], "10000")
    assert response.status_code == 403 and "卖方及网点运营方不得参与" in response.get_data(as_text=True)
    assert _count(ids["lot"]) == 0


def test_other_bidders_are_anonymised_and_the_reserve_never_leaves_the_server(client, session):
    w, ids = _committed(method=LotMethod.AUCTION, reserve_fen=RESERVE)
    w.bid(1, 10_000)
    w.bid(2, 10_100)
    db.session.commit()
    f.login(client, ids["bidders"][0])
    state = client.get(f"/lots/{ids['lot']}/bidding/state.json").get_json()
    assert [b["bidder"] for b in state["bids"]] == ["竞买人3", "竞买人2"]
    assert state["current_fen"] == 1_010_000 and state["next_min_fen"] == 1_020_000
    page = client.get(f"/lots/{ids['lot']}/bidding").get_data(as_text=True)
    for text in (page, json.dumps(state)):
        assert "12,345.67" not in text and "12345.67" not in text and str(RESERVE) not in text
    assert w.bidders[1].organisation.name not in page
    client.get("/logout")
    f.login(client, ids["seller"])  # the seller qualified them: names are shown to it
    assert [b["bidder"] for b in client.get(f"/lots/{ids['lot']}/bidding/state.json").get_json()["bids"]] == [
        w.bidders[2].organisation.name, w.bidders[1].organisation.name]


def test_sealed_amounts_are_hidden_from_everyone_but_their_bidder_until_the_close(client, session):
    w, ids = _committed(fmt=BiddingFormat.SEALED)
    w.bid(1, 12_345)
    db.session.commit()
    f.login(client, ids["bidders"][0])
    state = client.get(f"/lots/{ids['lot']}/bidding/state.json").get_json()
    assert state["bids"][0]["amount_fen"] is None and state["current_fen"] is None
    assert "12,345.00" not in client.get(f"/lots/{ids['lot']}/bidding").get_data(as_text=True)
    client.get("/logout")
    f.login(client, ids["seller"])
    assert client.get(f"/lots/{ids['lot']}/bidding/state.json").get_json()["bids"][0]["amount_fen"] is None
    client.get("/logout")
    f.login(client, ids["bidders"][1])
    mine = client.get(f"/lots/{ids['lot']}/bidding/state.json").get_json()
    assert mine["bids"][0]["amount_fen"] == 1_234_500 and mine["bids"][0]["mine"] and not mine["can_bid"]


def test_reading_a_closed_bidding_settles_it_and_shows_the_result(client, session):
    w, ids = _committed(now=utcnow() - timedelta(hours=2))
    w.bid(0, 10_000)
    w.bid(1, 10_100)
    db.session.commit()
    f.login(client, ids["bidders"][1])
    html = client.get(f"/lots/{ids['lot']}/bidding").get_data(as_text=True)
    assert "贵单位以最高出价竞得" in html and "10,100.00 元" in html and "/deals/" in html
    db.session.refresh(w.lot)
    assert w.lot.status == LotStatus.AWARDED
    client.get("/logout")
    f.login(client, ids["bidders"][0])
    state = client.get(f"/lots/{ids['lot']}/bidding/state.json").get_json()
    assert state["result"]["winner"] == "竞买人2" and state["result"]["deal_id"] is None and not state["can_bid"]


def test_the_api_takes_whole_fen_only_and_answers_with_the_board(client, session):
    w, ids = _committed()
    token = {"Authorization": "Bearer " + issue_api_token(w.bidders[0], "t")[1]}
    db.session.commit()
    url = f"/api/v1/lots/{ids['lot']}/bids"
    for body in ({"amount_fen": 1_000_000.5}, {"amount_fen": "1000000"}, {"amount_fen": -1}, {}):
        response = client.post(url, headers=token, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 422, body
    nan = client.post(url, headers=token, data='{"amount_fen": NaN}', content_type="application/json")
    assert nan.status_code == 422
    low = client.post(url, headers=token, json={"amount_fen": 999_999})
    assert low.status_code == 422 and low.get_json()["error"]["code"] == "bid_too_low"
    assert _count(ids["lot"]) == 0
    ok = client.post(url, headers=token, json={"amount_fen": 1_000_000})
    assert ok.status_code == 201 and ok.get_json()["current_fen"] == 1_000_000 and ok.get_json()["bid"]["seq"] == 1
    board = client.get(f"/api/v1/lots/{ids['lot']}/bidding", headers=token).get_json()
    assert board["bids"][0]["mine"] and "reserve_fen" not in json.dumps(board)
    stranger = {"Authorization": "Bearer " + issue_api_token(person(f.organisation(org_type="PRIVATE")), "t")[1]}
    db.session.commit()
    assert client.get(f"/api/v1/lots/{ids['lot']}/bidding", headers=stranger).status_code == 404
    assert client.post(url, headers=stranger, json={"amount_fen": 2_000_000}).status_code == 404


def test_the_board_lists_the_latest_bids_newest_first_and_counts_them_all(client, session):
    w, ids = _committed(bidders=2)
    for i in range(RECENT + 2):
        w.bid(i % 2, 10_000 + 100 * i)
    db.session.commit()
    f.login(client, ids["bidders"][0])
    state = client.get(f"/lots/{ids['lot']}/bidding/state.json").get_json()
    assert state["bids_count"] == RECENT + 2 and len(state["bids"]) == RECENT
    assert [b["seq"] for b in state["bids"]] == list(range(RECENT + 2, 2, -1))
    assert state["my_bid_fen"] == 1_000_000 + 10_000 * RECENT and not state["leading"]


def test_the_public_lot_notice_shows_no_sealed_amount_before_the_close(client, session):
    w, ids = _committed(fmt=BiddingFormat.SEALED)
    w.bid(1, 12_345)
    db.session.commit()
    f.login(client, ids["bidders"][0])
    notice = client.get(f"/lots/{ids['lot']}").get_data(as_text=True)
    assert notice.count("12,345.00") == 0 and "1234500" not in notice
    assert f"/lots/{ids['lot']}/bidding" in notice  # a registered bidder finds the bidding page
    open_lot, open_ids = _committed()
    open_lot.bid(1, 12_345)
    db.session.commit()
    assert "12,345.00" in client.get(f"/lots/{open_ids['lot']}").get_data(as_text=True)  # ascending: public
