"""The bid tables on a phone (390 px): every amount, bidder and number stays on one line; the table scrolls
sideways in its wrap instead (.table-oneline, shared with the annual report).

The demo's auction is bidding now with one bid; an enterprise qualified for it (lanqi) opens the live
page, whose script redraws the rows from the JSON board at its first poll (it once wrote 元 under each
amount). The demo's finished competitive bidding shows its seven bids on the public notice. Only looks.
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
        assert auction and finished, "the demo has no live auction or finished bidding"
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
