"""The bid tables on a phone (390 px): every amount, bidder and number stays on one line; the table scrolls
sideways in its wrap instead (.table-oneline, shared with the annual report).

The demo's auction is bidding now with one bid; an enterprise qualified for it (lanqi) opens the live
page, whose script redraws the rows from the JSON board at its first poll (it once wrote 元 under each
amount). The demo's finished competitive bidding shows its seven bids on the public notice. Only looks.
This file runs before test_lot_journey.py (pytest's order of files), whose moved clock ends the demo's
auction for the rest of the package.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import EN_PHONE, ZH_PHONE

BIDDER = "lanqi"
# For each cell of the table's body: its text and how many lines it takes.
LINES = """(selector) => Array.from(document.querySelectorAll(selector)).map((td) => {
  const range = document.createRange();
  range.selectNodeContents(td);
  const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
  return [td.textContent.trim(), tops.size];
})"""


def demo_lots(server) -> tuple[int, int]:
    from market.core.extensions import db
    from market.deals.exchange.models import Bid, Lot

    with server.app.app_context():
        auction = db.session.scalar(select(Lot.id).where(Lot.method == "AUCTION", Lot.status == "BIDDING"))
        finished = db.session.scalar(select(Lot.id).where(Lot.status == "AWARDED", Lot.id.in_(select(Bid.lot_id))))
        assert auction and finished, "the demo has no live auction or finished bidding (did the lot journey run first?)"
        return auction, finished


@pytest.mark.parametrize("variant", [ZH_PHONE, EN_PHONE], ids=["zh-phone", "en-phone"])
def test_bid_amounts_stay_on_one_line_on_a_phone(actors, live_server, variant):
    auction, finished = demo_lots(live_server)
    bidder = actors(BIDDER)
    page = bidder.page
    with page.expect_response(lambda r: "/bidding/state.json" in r.url):
        bidder.goto(f"/lots/{auction}/bidding")
    page.wait_for_function("document.querySelector(\"[data-bind='bids'] td.num\") !== null")
    cells = page.evaluate(LINES, "table.bidding-bids tbody td")
    assert cells and all(lines == 1 for _, lines in cells), cells
    assert any(bidder.t("元", "¥") in text for text, _ in cells), cells  # the amount is among them

    bidder.goto(f"/lots/{finished}")
    cells = page.evaluate(LINES, "#bids-title ~ .table-wrap tbody td")
    assert len(cells) >= 3 * 7 and all(lines == 1 for _, lines in cells), cells


def lot_in_period(server) -> tuple[int, str]:
    """The demo's lot in its disclosure period and its seller's login key."""
    from market.accounts.models import User
    from market.core.extensions import db
    from market.deals.exchange.models import Lot

    with server.app.app_context():
        lot = db.session.scalar(select(Lot).where(Lot.status == "OPEN"))
        seller = db.session.scalar(select(User).where(User.organisation_id == lot.seller_org_id).order_by(User.id))
        return lot.id, seller.email.split("@")[0]


@pytest.mark.parametrize("variant", [ZH_PHONE, EN_PHONE], ids=["zh-phone", "en-phone"])
def test_the_lot_list_ledger_and_registrations_are_cards_on_a_phone(actors, live_server, variant):
    """Seven columns in 390 px put 拍卖 · 转让 one character per line and broke dates at their hyphen."""
    lot_id, seller_key = lot_in_period(live_server)
    seller = actors(seller_key)
    page = seller.page
    seller.goto("/lots/")
    # Reference, price, deposit and count on one line each; the method in words (two lines at most in English).
    cells = page.evaluate(LINES, ".table-lots tbody td:is(:nth-child(1), :nth-child(4), :nth-child(5), :nth-child(6))")
    assert cells and all(lines == 1 for _, lines in cells), cells
    methods = page.evaluate(LINES, ".table-lots tbody td:nth-child(3)")
    assert methods and all(lines <= 2 for _, lines in methods), methods
    seller.goto(f"/lots/{lot_id}")
    times = page.evaluate(LINES, "#ledger tbody td:nth-child(2)")
    assert times and all(lines == 1 for _, lines in times), times
    seller.goto(f"/lots/{lot_id}/manage")
    cells = page.evaluate(LINES, ".table-lot-registrations tbody td:nth-child(-n+2)")
    assert cells and all(lines == 1 for _, lines in cells), cells
