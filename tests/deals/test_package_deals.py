"""Deals on a package (专利包, issue 14): every patent in the contract, the filing, the claims and the
registration; statistics count a package deal once (次) and each of its patents (件)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from listings.models import ListingPatent
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from market.core.time import today_local
from market.deals import claims, documents
from market.deals import negotiation as n
from market.deals.documents.grounds import filing_blockers
from market.deals.models import DealPatent, PatentClaim
from market.deals.vocabulary import DealStatus as S
from market.statistics import export, queries
from market.statistics.measures import Column
from market.statistics.periods import parse_period
from market.statistics.queries import Selection
from tests import factories as f
from tests.deals.negotiation_world import agreed, licence_terms, world
from tests.statistics import ledger


def package_world(size: int = 3):
    """The world's listing made a package of `size` patents of the same patentee."""
    w = world()
    seller_org = w.listing.organisation
    for position in range(1, size):
        member = f.patent(seller_org, title=f"一种配套工艺{position}", filing=w.patent.filing_date)
        w.listing.further_members.append(ListingPatent(patent=member, position=position))
    db.session.flush()
    w.members = w.listing.members
    return w


def test_a_deal_on_a_package_covers_every_patent_it_held_when_requested(session):
    w = package_world()
    deal = agreed(w, "LICENSE_ORDINARY")
    assert deal.members == w.members
    requested = next(e for e in deal.events if e.kind == "REQUESTED")
    assert requested.evidence["patents"] == [p.application_number for p in w.members]


def test_an_exclusive_licence_of_a_package_claims_each_patent(session):
    w = package_world()
    deal = agreed(w, "LICENSE_EXCLUSIVE")
    claimed = set(db.session.scalars(select(PatentClaim.patent_id).where(PatentClaim.deal_id == deal.id)))
    assert claimed == {p.id for p in w.members}


def test_a_package_deal_is_refused_when_one_member_is_exclusively_licensed(session):
    w = package_world()
    taken = w.members[2]
    claims.take(taken.id, "EXCLUSIVITY", "LICENSE_EXCLUSIVE", starts_on=today_local(),
                ends_on=today_local() + timedelta(days=400))
    deal = n.request_deal(w.buyer, w.listing, "LICENSE_EXCLUSIVE", terms=licence_terms(w))
    with pytest.raises(Conflict) as err:
        n.accept_offer(w.seller, deal, n.open_offer(deal).id)
    assert taken.application_number in err.value.zh
    assert db.session.scalar(select(PatentClaim.id).where(PatentClaim.deal_id == deal.id)) is None


def test_the_contract_and_the_one_filing_list_every_patent(session):
    w = package_world()
    deal = agreed(w, "LICENSE_ORDINARY")
    contract = documents.contract(deal)
    rows = dict(contract.sections[1].rows)
    assert "3 件专利组成的专利包" in rows["专利包"]
    assert [rows[f"{i}. 申请号"] for i in (1, 2, 3)] == [p.application_number for p in w.members]
    form = dict(documents.filing_package(deal).sections[0].rows)
    assert form["专利件数"].startswith("3 件")
    assert [form[f"{i}. 专利号"] for i in (1, 2, 3)] == [p.patent_no for p in w.members]
    en = dict(documents.contract(deal, "en").sections[1].rows)
    assert "package of the 3 patents" in en["Package"]


def test_a_filing_ground_failing_for_one_member_blocks_the_package_and_names_it(session):
    w = package_world()
    deal = agreed(w, "LICENSE_ORDINARY")
    w.members[1].legal_status = "LAPSED"
    blockers = filing_blockers(deal)
    lapsed = next(b for b in blockers if b[0] == "patent_lapsed")
    assert w.members[1].application_number in lapsed[1] and w.members[0].application_number not in lapsed[1]


def _registration_filed(w):
    deal = agreed(w, "TRANSFER")
    f.sign_both(deal)
    n.file_registration(w.buyer, deal, today_local())
    return deal


def test_a_package_transfer_is_registered_only_when_every_patent_is(session):
    w = package_world()
    deal = _registration_filed(w)
    first, second, third = w.members
    n.record_registration(w.buyer, deal, today_local(), "ZR2025000001", application_number=second.application_number)
    assert deal.status == S.REGISTRATION_FILED and second.owner_names == [deal.buyer.name]
    assert first.owner_names == [deal.seller.name]
    with pytest.raises(Conflict):  # the same patent twice
        n.record_registration(w.buyer, deal, today_local(), "ZR2025000002", application_number=second.application_number)
    with pytest.raises(DomainError):  # which patent must be said
        n.record_registration(w.buyer, deal, today_local(), "ZR2025000002")
    n.record_registration(w.buyer, deal, today_local(), "ZR2025000002", application_number=first.application_number)
    assert deal.status == S.REGISTRATION_FILED
    n.record_registration(w.buyer, deal, today_local(), "ZR2025000003", application_number=third.application_number)
    assert deal.status == S.REGISTERED
    assert all(p.owner_names == [deal.buyer.name] for p in w.members)
    assert [e.evidence["application_number"] for e in deal.events if e.kind == "MEMBER_REGISTERED"] == [
        second.application_number, first.application_number, third.application_number]


def test_statistics_count_a_package_deal_once_and_each_of_its_patents(session):
    """1 次 and 3 件 for a package of three; a single-patent deal on one of them adds 1 次 and no 件."""
    uni = f.organisation("同济测试大学", "UNIVERSITY")
    firm, other = f.organisation("宝山测试材料公司", "PRIVATE"), f.organisation("杨浦测试公司", "PRIVATE")
    lead, second, third = (f.patent(uni) for _ in range(3))
    package = ledger.deal("TRANSFER", lead, uni, firm, on=date(2024, 2, 1), price_fen=90_00)
    package.further_patents = [DealPatent(patent=second, position=1), DealPatent(patent=third, position=2)]
    ledger.deal("LICENSE_ORDINARY", second, uni, other, on=date(2024, 2, 5), price_fen=10_00)
    db.session.flush()
    sel = Selection(period=parse_period("2024-Q1"))
    result = queries.aggregate(session, sel, ("supplier_type", "point"))
    totals = result.totals
    assert (totals[Column.DEALS].transactions, totals[Column.DEALS].patents) == (2, 3)
    assert (totals[Column.TRANSFER].transactions, totals[Column.TRANSFER].patents) == (1, 3)
    assert totals[Column.DEALS].contract_fen == 100_00  # the package's one price, once
    row = result.rows["supplier_type"]["UNIVERSITY"]
    assert (row[Column.TRANSFER].transactions, row[Column.TRANSFER].patents, row[Column.DEALS].patents) == (1, 3, 3)


def test_the_exports_cross_table_counts_a_package_once_and_each_of_its_patents(session):
    uni = f.organisation("同济导出大学", "UNIVERSITY")
    firm = f.organisation("宝山导出材料公司", "PRIVATE")
    lead, second, third = (f.patent(uni) for _ in range(3))
    package = ledger.deal("TRANSFER", lead, uni, firm, on=date(2024, 2, 1), price_fen=90_00)
    package.further_patents = [DealPatent(patent=second, position=1), DealPatent(patent=third, position=2)]
    db.session.flush()
    header, *rows = list(export.cross_rows(session, Selection(period=parse_period("2024-Q1")), {}))
    counts = [(row[header.index("次数（次）")], row[header.index("件数（件）")], row[header.index("合同金额(元)")])
              for row in rows]
    # One line per industry the patents carry; in each, the package is 1 次, 3 件 and its one price.
    assert counts and all(c[:2] == (1, 3) for c in counts), rows
    assert all(str(c[2]).replace(",", "") in ("90", "90.00") for c in counts)
