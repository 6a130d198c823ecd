"""R-LC-6: the filing package and the filing action judge REC 12 by one checker, so they always agree."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from market.core.errors import Conflict
from market.core.extensions import db
from market.core.time import today_local
from market.deals import documents
from market.deals import negotiation as n
from market.deals.documents.grounds import BLOCKED, filing_blockers, filing_grounds
from tests import factories as f
from tests.deals.open_licence import world as wb
from tests.deals.test_documents import _deal


def _page_blocks(deal) -> set[str]:
    return {c.rule for c in documents.filing_prechecks(deal) if c.status == BLOCKED}


def _action_blocks(deal) -> set[str]:
    return {code for code, _zh, _en in filing_blockers(deal)}


def _codes_of(rules: set[str], deal) -> set[str]:
    return {c.code for c in filing_grounds(deal) if c.rule in rules}


def test_r_lc_6_a_licensor_named_with_full_width_brackets_is_the_registered_patentee(session):
    # R-DI-3: the register writes （） and a form (); the old page compared the names exactly and refused.
    w = wb.world()
    w.uni.name = w.uni.name + "(技术转移中心)"
    w.patent.owners[0].name = w.uni.name.replace("(", "（").replace(")", "）")
    deal = _deal(w, "LICENSE_ORDINARY")
    db.session.flush()
    assert "REC 12(2)" not in _page_blocks(deal)
    assert "licensor_not_patentee" not in _action_blocks(deal)


def test_r_lc_6_a_pledgee_consent_recorded_on_the_deal_counts_for_the_page_and_the_action(session):
    # The old page read the consent only from the register flag, the old action from either place.
    w = wb.world()
    wb.flag(w.patent, "PLEDGED", pledgee="上海银行")
    deal = _deal(w, "LICENSE_ORDINARY")
    assert "REC 12(9)" in _page_blocks(deal) and "pledged_without_consent" in _action_blocks(deal)
    deal.approvals = {"PLEDGEE_CONSENT": {"done": True, "document_id": 1}}
    assert "REC 12(9)" not in _page_blocks(deal)
    assert "pledged_without_consent" not in _action_blocks(deal)


def test_r_lc_6_an_exclusive_licence_on_the_register_only_blocks_filing_an_ordinary_one(session):
    # The old action looked at platform deals only and filed over a register-only exclusive licence.
    w = wb.world()
    wb.flag(w.patent, "EXCLUSIVE_LICENSE")
    deal = _deal(w, "LICENSE_ORDINARY")
    assert "REC 12(10)" in _page_blocks(deal)
    with pytest.raises(Conflict) as err:
        n.record_filing(deal, "2026310000999", today_local(), None)
    assert err.value.code == "deal.filing_conflicts_with_filed"
    assert deal.filing_record_no is None


@pytest.mark.parametrize("spoil", [
    lambda w, d: setattr(w.patent, "legal_status", "LAPSED"),
    lambda w, d: setattr(d, "seller_org_id", f.organisation("另一家公司", address="上海市").id),
    lambda w, d: setattr(w.buyer, "address", ""),
    lambda w, d: setattr(d, "end_date", date(2040, 3, 1)),
    lambda w, d: setattr(w.patent, "legal_status", "FEE_GRACE"),
    lambda w, d: wb.flag(w.patent, "SUSPENDED"),
    lambda w, d: wb.flag(w.patent, "PRESERVED"),
    lambda w, d: setattr(d, "filing_record_no", "2026310000123"),
    lambda w, d: wb.flag(w.patent, "PLEDGED", pledgee="上海银行"),
    lambda w, d: _deal(w, "LICENSE_EXCLUSIVE", status="FILED", filing_record_no="X1",
                       start_date=today_local() - timedelta(days=10)),
])
def test_r_lc_6_the_page_and_the_action_block_on_the_same_grounds(session, spoil):
    w = wb.world()
    deal = _deal(w, "LICENSE_ORDINARY")
    spoil(w, deal)
    db.session.flush()
    db.session.expire(deal, ["seller"])
    page = _page_blocks(deal)
    assert page, "the spoiled deal must be refused"
    assert _codes_of(page, deal) == _action_blocks(deal)
