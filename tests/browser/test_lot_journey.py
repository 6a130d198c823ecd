"""Issue 14's journey: 挂牌 → registration with deposit → competitive bidding → deal, in the browser.

A university offers a patent on the exchange (the form in 元, a five-working-day period). Two
enterprises register and are shown the bank details of their deposit; the seller confirms each
deposit arrived and qualifies both with a reason. The period then ends: the live server's clock
(the whole process's wall clock, time-machine; the browser's clock is never read, the bidding page
counts down from the server's time) moves to the bidding announced with the lot. Both bid through
the page and its confirmation; the clock moves past the close; the winner opens the deal, whose
price the lot formed, and the loser sees its deposit refunded.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import time_machine
from sqlalchemy import select

SELLER_TYPES = ("UNIVERSITY", "RESEARCH_INSTITUTE")
BUYERS = ("hengxin", "ruiyan")
DEPOSIT_YUAN = 50_000


def test_a_lot_is_registered_for_bid_on_and_awarded(actors, live_server):
    target = free_listing(live_server)
    seller = actors(target["seller_key"])
    page = seller.page

    # The seller opens the lot from its patent page; amounts in 元.
    seller.goto(f"/patents/{target['app_no']}")
    seller.submit(page.get_by_role("link", name="挂牌交易（公告期与竞价）…"))
    price_yuan = target["price_fen"] // 100
    page.locator("#f-price_yuan").fill(f"{price_yuan:,}")
    page.locator("#f-deposit_yuan").fill(str(DEPOSIT_YUAN))
    page.locator("#f-increment_yuan").fill("10000")
    page.locator("#f-disclosure_working_days").fill("5")
    page.locator("#f-qualifications").fill("依法设立的企业法人；具备实施本专利的生产条件。")
    page.locator("input[name=confirm]").check()
    seller.submit(page.get_by_role("button", name="发布挂牌公告"))
    lot_id = int(re.search(r"/lots/(\d+)", page.url).group(1))
    assert "公告期" in page.locator("#terms-title + dl").inner_text()

    # Two enterprises register (a confirmation page first) and open their deposit: bank details.
    buyers = [actors(key) for key in BUYERS]
    for buyer in buyers:
        buyer.goto(f"/lots/{lot_id}")
        buyer.submit(buyer.page.get_by_role("link", name="我要报名…"))
        assert target["title"] in buyer.page.locator(".confirm-lead").inner_text()
        buyer.page.locator("#f-statement").fill("我司具备实施条件。")
        buyer.page.locator("input[name=confirm]").check()
        buyer.submit(buyer.page.get_by_role("button", name="确认报名"))
        buyer.submit(buyer.page.get_by_role("button", name=re.compile("缴纳保证金")))
        bank = buyer.page.locator("#bank-title + dl").inner_text()
        assert f"{DEPOSIT_YUAN:,}" in bank and "付款附言" in bank, bank

    # The seller confirms each deposit arrived and qualifies each buyer with a reason.
    for _ in BUYERS:
        seller.goto(f"/lots/{lot_id}/manage")
        row = page.locator("tbody tr", has=page.get_by_role("button", name="确认保证金到账")).first
        row.locator("input[name=confirm]").check()
        seller.submit(row.get_by_role("button", name="确认保证金到账"))
        seller.submit(page.get_by_role("link", name="确认资格…").first)
        page.locator("#f-reason").fill("营业执照与实施条件材料齐全，资格符合。")
        page.locator("input[name=confirm]").check()
        seller.submit(page.get_by_role("button", name="确认报名资格"))
    assert page.locator("tbody tr", has_text="保证金已缴").count() == 2, page.locator("tbody").inner_text()

    announced, _, increment = bidding_window(live_server, lot_id)
    # The period ends; the clock stands a minute into the bidding announced with the lot.
    with time_machine.travel(announced.replace(tzinfo=UTC) + timedelta(minutes=1), tick=True) as clock:
        first, second = buyers
        first.goto(f"/lots/{lot_id}")
        # The first look settles the period: the bidding starts now, for the announced hour.
        _, closes, _ = bidding_window(live_server, lot_id)
        first.submit(first.page.get_by_role("link", name="进入竞价页面"))
        countdown = first.page.locator(".bidding-countdown").inner_text()
        assert re.fullmatch(r"0:5\d:\d\d", countdown), countdown  # the hour of the window, less a minute
        # Before any bid the page stays put while it polls (it once reloaded itself at every poll).
        first.page.evaluate("window.stillHere = true")
        with first.page.expect_response(lambda r: "/bidding/state.json" in r.url):
            pass
        first.page.wait_for_timeout(500)
        assert first.page.evaluate("window.stillHere === true"), "the bidding page reloaded itself"
        bid(first, price_yuan)
        bid(second, price_yuan + 2 * increment // 100, navigate=f"/lots/{lot_id}/bidding")
        first.goto(f"/lots/{lot_id}/bidding")
        assert "您的出价已被超过" in first.page.locator(".bidding-mine").inner_text()

        # The close passes; the first to look settles it, as the daily job would.
        clock.move_to(closes.replace(tzinfo=UTC) + timedelta(seconds=1))
        second.goto(f"/lots/{lot_id}/bidding")
        won = price_yuan + 2 * increment // 100
        result = second.page.locator(".bidding-result").inner_text()
        assert "贵单位以最高出价竞得" in result and f"{won:,}" in result, result
        second.submit(second.page.get_by_role("link", name="查看交易：审批与签约"))
        panel = second.page.locator("#lot").inner_text()
        assert "价格来源：平台挂牌交易" in panel and f"{won:,}.00" in panel, panel
        assert f"{DEPOSIT_YUAN:,}.00" in panel, panel  # the winner's deposit applied to the price

        # The loser's deposit goes back: on its registration and in the lot's public ledger.
        first.goto(f"/lots/{lot_id}")
        assert "保证金已退还" in first.page.locator("#mine").inner_text()
        ledger = first.page.locator("#ledger").inner_text()
        assert "保证金退还" in ledger and "竞价开始" in ledger and "竞价截止" in ledger, ledger

    state = lot_state(live_server, lot_id)
    assert state["status"] == "AWARDED" and state["deal"] == ("TRANSFER", "AGREED", won * 100, "LISTING")
    assert state["bids"] == [price_yuan * 100, won * 100]
    assert state["deposits"] == {BUYERS[0]: "REFUNDED", BUYERS[1]: "APPLIED"}


def bid(actor, amount_yuan: int, *, navigate: str | None = None) -> None:
    """Type the amount, read the confirmation, place the bid."""
    page = actor.page
    if navigate:
        actor.goto(navigate)
    page.locator("#bid-amount").fill(str(amount_yuan))
    actor.submit(page.get_by_role("button", name="出价…"))
    assert f"{amount_yuan:,}.00" in page.locator(".confirm-lead").inner_text()
    page.locator("input[name=confirm]").check()
    actor.submit(page.get_by_role("button", name=re.compile("确认出价")))
    assert "出价已被接受" in actor.flash_text(), actor.flash_text()


def free_listing(server) -> dict:
    """A university's or institute's published transfer with a price, no deal and no lot: the last one,
    away from the demo's own lots and the other journeys' patents."""
    from listings.models import Listing
    from market.accounts.models import Organisation, User
    from market.core.extensions import db
    from market.deals.exchange.models import Lot
    from market.deals.models import Deal

    with server.app.app_context():
        query = (select(Listing).join(Listing.organisation)
                 .where(Listing.status == "PUBLISHED", Listing.asking_price_fen.is_not(None),
                        Listing.asking_price_fen >= 10_000_000, Organisation.org_type.in_(SELLER_TYPES),
                        Listing.patent_id.not_in(select(Deal.patent_id)), Listing.id.not_in(select(Lot.listing_id)))
                 .order_by(Listing.id.desc()))
        for listing in db.session.scalars(query):
            if "TRANSFER" not in listing.modes or listing.is_package:
                continue
            seller = next((u for u in db.session.scalars(select(User).where(
                User.organisation_id == listing.organisation_id).order_by(User.id)) if u.is_admin), None)
            if seller is None:
                continue
            return {"app_no": listing.patent.application_number, "price_fen": listing.asking_price_fen,
                    "seller_key": seller.email.split("@")[0], "title": listing.patent.title}
        raise AssertionError("the demo has no university transfer left to offer on the exchange")


def bidding_window(server, lot_id: int):
    from market.core.extensions import db
    from market.deals.exchange.models import Lot

    with server.app.app_context():
        lot = db.session.get(Lot, lot_id)
        return lot.bidding_opens_at, lot.bidding_closes_at, lot.increment_fen


def lot_state(server, lot_id: int) -> dict:
    from market.accounts.models import User
    from market.core.extensions import db
    from market.deals.exchange.models import Bid, Lot
    from market.deals.models import Deal

    with server.app.app_context():
        lot = db.session.get(Lot, lot_id)
        deal = db.session.get(Deal, lot.deal_id)
        keys = {u.organisation_id: u.email.split("@")[0]
                for u in db.session.scalars(select(User).where(User.email.in_([f"{k}@demo.psm.test" for k in BUYERS])))}
        return {"status": lot.status,
                "deal": (deal.kind, deal.status, deal.price_fen, deal.price_formed_by),
                "bids": list(db.session.scalars(select(Bid.amount_fen).where(Bid.lot_id == lot.id).order_by(Bid.seq))),
                "deposits": {keys[r.buyer_org_id]: r.deposit_status for r in lot.registrations}}
