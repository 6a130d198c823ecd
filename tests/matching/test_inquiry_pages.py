"""The 交易请求 page (issue 15 #4): current wording, and a request that became a deal shown as that deal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from listings.vocabulary import DealMode
from market.core.extensions import db
from market.deals.models import Deal
from matching import services
from tests import factories as f
from tests.deals import negotiation_world as nw


@pytest.fixture
def requested(app):
    with app.test_request_context():
        w = nw.world(modes=(DealMode.TRANSFER, DealMode.LICENSE_ORDINARY))
        inquiry = services.request_deal(w.buyer, w.listing, DealMode.TRANSFER, "我司希望受让该专利。")
        db.session.flush()
        deal = db.session.scalar(select(Deal).where(Deal.inquiry_id == inquiry.id))
        db.session.commit()
        return {"buyer": w.buyer.email, "seller": w.seller.email, "deal": deal.id, "reference": deal.reference,
                "inquiry": inquiry.id}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_no_longer_says_contracts_and_payments_come_later(client, requested, lang):
    f.login(client, requested["buyer"])
    page = client.get(f"/inquiries?lang={lang}").get_data(as_text=True)
    assert "后续版本上线" not in page and "later release" not in page
    assert ("签约、付款和登记都在平台上办理" if lang == "zh" else "all happen on the platform") in page


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_a_request_that_became_a_deal_is_one_item_leading_to_the_deal(client, requested, who):
    f.login(client, requested[who])
    page = client.get("/inquiries").get_data(as_text=True)
    card = re.search(rf'<li class="card inquiry-card[^"]*" id="inquiry-{requested["inquiry"]}">(.*?)</li>', page, re.S)
    assert card, page[:3000]
    item = card.group(1)
    assert f'href="/deals/{requested["deal"]}"' in item and requested["reference"] in item
    assert "洽谈中" in item  # the deal's own state, not the request's
    # Not a second, separate thing waiting for a reply: the talks happen in the deal.
    assert "等待专利权人回复" not in item and "/answer" not in item
    assert "条待回复" not in page  # nor counted as a request awaiting the patentee's reply
