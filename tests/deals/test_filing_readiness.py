"""R-LC-5 / REC 9 asked early: the deal page lists what the filing still lacks before anyone reaches the
filing step, each item with where to fill it in; the list reads the same checker as the refusal."""

from __future__ import annotations

import pytest

from market.core.errors import Conflict
from market.core.extensions import db
from market.deals import negotiation
from market.deals.documents.grounds import filing_blockers
from market.deals.negotiation import signature
from tests import factories as f
from tests.deals.negotiation_world import agreed, world
from tests.deals.test_deal_pages import as_user, post


def _agreed_without_buyer_address(setup):
    w = setup(buyer_kw={"address": ""})
    deal = agreed(w, "LICENSE_ORDINARY")
    db.session.commit()
    return w, deal


def test_the_deal_page_lists_a_missing_address_before_signature_with_where_to_fill_it_in(app, setup):
    w, deal = _agreed_without_buyer_address(setup)
    assert "contract_incomplete" in {code for code, _, _ in filing_blockers(deal)}
    buyer_page = as_user(app, w.buyer).get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'id="filing-readiness"' in buyer_page
    assert "被许可人住所" in buyer_page and 'href="/account#organisation"' in buyer_page
    assert "许可期限" not in buyer_page.split('id="filing-readiness"')[1].split("</section>")[0]
    seller_page = as_user(app, w.seller).get(f"/deals/{deal.id}").get_data(as_text=True)
    # The seller cannot fill in another organisation's address: it is told whose it is, with no link.
    assert "被许可人住所" in seller_page and w.buyer.organisation.name in seller_page
    assert 'href="/account#organisation"' not in seller_page


def test_the_readiness_list_is_in_english_with_lang_en(app, setup):
    w, deal = _agreed_without_buyer_address(setup)
    page = as_user(app, w.buyer).get(f"/deals/{deal.id}?lang=en").get_data(as_text=True)
    assert "Still needed before the contract can be filed" in page and "Licensee&#39;s address" in page


def test_once_the_address_is_filled_in_the_list_is_gone_and_the_refusal_too(app, setup):
    w, deal = _agreed_without_buyer_address(setup)
    buyer = as_user(app, w.buyer)
    response = post(buyer, "/account/organisation", {
        "address": "上海市宝山区沪太路100号", "contact_name": "王五", "contact_phone": "021-66000000"})
    assert response.status_code == 302
    assert 'id="filing-readiness"' not in buyer.get(f"/deals/{deal.id}").get_data(as_text=True)
    db.session.expire_all()
    assert "contract_incomplete" not in {code for code, _, _ in filing_blockers(deal)}


def test_R_LC_5_a_licence_is_not_signed_while_a_partys_address_is_missing(session):
    """The signed text is frozen: signing without the licensee's 住所 would leave it out of the contract for
    good, and the filing would later rest on an address added after signature."""
    w = world(buyer_kw={"address": ""})
    deal = agreed(w, "LICENSE_ORDINARY")
    with pytest.raises(Conflict) as refused:
        negotiation.sign_contract(w.seller, deal, negotiation.contract_hash(deal))
    assert refused.value.code == "deal.party_details_missing"
    assert "被许可人住所" in refused.value.zh and "R-LC-5" in refused.value.zh
    assert deal.status == "AGREED" and not signature.texts_of(deal)
    w.buyer.organisation.address = "上海市宝山区沪太路100号"
    f.sign_both(deal)
    assert deal.status == "SIGNED" and "上海市宝山区沪太路100号" in signature.signed_text(deal).html.decode()
