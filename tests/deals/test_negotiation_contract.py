"""After agreement: signature, filing (R-LC-5, R-LC-6), registration (R-TR-1, R-TR-6), payment, equity (R-ST-4), void."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from listings.vocabulary import ListingStatus
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.time import add_months, today_local
from market.deals import negotiation as n
from market.deals.models import Deal, DealEvent, PatentClaim
from market.deals.vocabulary import DealStatus as S
from market.payments import services as payments
from market.payments.models import Payment
from tests.deals.negotiation_world import agreed, doc, flag, licence_terms, pledge, world
from tests.factories import sign_both


def lines(deal, kind=None) -> list[DealEvent]:
    query = select(DealEvent).where(DealEvent.deal_id == deal.id).order_by(DealEvent.seq)
    if kind:
        query = query.where(DealEvent.kind == kind)
    return list(db.session.scalars(query))


def pay_all(deal, user):
    for payment in n.payments_of(deal):
        payments.mark_paid(db.session, payment, at=utcnow(), actor=user, evidence={"test": True})


def signed_licence(w, kind="LICENSE_ORDINARY", buyer=None, **terms):
    deal = agreed(w, kind, terms=licence_terms(w, **terms), buyer=buyer)
    sign_both(deal, first=w.seller)
    return deal


def test_R_LC_5_signature_sets_the_filing_deadline_three_months_after_taking_effect(session):
    w = world()
    start = today_local() + timedelta(days=10)
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w, price_fen=1_200_000, start=start))
    printed = n.to_sign(deal).html.decode()
    sign_both(deal, first=w.seller)
    # Signed, and in effect, on the server's date (both confirmations); the sums fall due as the text says.
    assert (deal.signed_date, deal.effective_date) == (today_local(), today_local())
    assert deal.filing_deadline == add_months(today_local(), 3)
    (payment,) = n.payments_of(deal)
    assert (payment.kind, payment.amount_fen, payment.status) == ("LUMP_SUM", 1_200_000, "DUE")
    assert payment.due_date.isoformat() in printed
    assert [e.kind for e in lines(deal)][-2:] == ["SIGNATURE", "PAYMENT_DUE"]


def test_a_licence_is_filed_with_its_record_number(session):
    w = world()
    deal = signed_licence(w)
    n.record_filing(deal, "2025310000123", today_local(), w.buyer)
    assert (deal.status, deal.filing_record_no, deal.filing_date) == (S.FILED, "2025310000123", today_local())
    assert lines(deal, "FILING")[0].evidence["record_no"] == "2025310000123"


def test_a_refused_filing_can_be_made_again(session):
    w = world()
    deal = signed_licence(w)
    with pytest.raises(DomainError):
        n.record_filing_rejected(deal, "", w.seller)
    n.record_filing_rejected(deal, "合同缺少专利号", w.seller)
    assert deal.status == S.FILING_REJECTED
    n.record_filing(deal, "2025310000124", today_local(), w.seller)
    assert deal.status == S.FILED


def _breaks(rule: str, w, deal, other_deal=None):
    patent = w.patent
    if rule == "patent_lapsed":
        patent.legal_status = "LAPSED"
    elif rule == "licensor_not_patentee":
        patent.owners[0].name = "别的单位"
    elif rule == "contract_incomplete":
        patent.grant_date = None
    elif rule == "term_beyond_patent":
        patent.last_protected_day = deal.end_date - timedelta(days=1)
    elif rule == "co_owner_breach":
        deal.approvals = {}
    elif rule == "fee_grace":
        patent.legal_status = "FEE_GRACE"
    elif rule == "suspended_or_preserved":
        flag(patent, "PRESERVED")
    elif rule == "pledged_without_consent":
        pledge(patent)
    elif rule == "duplicate_filing":
        n.record_filing(other_deal, "2025310000999", today_local(), w.seller)
        return "2025310000999"
    elif rule == "conflicts_with_filed":
        n.record_filing(other_deal, "2025310000777", today_local(), w.seller)
    return "2025310000555"


@pytest.mark.parametrize("rule", [
    "patent_lapsed", "licensor_not_patentee", "contract_incomplete", "term_beyond_patent", "co_owner_breach",
    "fee_grace", "suspended_or_preserved", "pledged_without_consent", "duplicate_filing", "conflicts_with_filed",
])
def test_R_LC_6_what_cnipa_would_refuse_is_refused_before_filing(session, rule):
    w = world(co_owners=["共有人乙"] if rule == "co_owner_breach" else ())
    kind = "LICENSE_SOLE" if rule == "co_owner_breach" else "LICENSE_ORDINARY"
    if rule == "co_owner_breach":
        deal = agreed(w, kind)
        n.record_consent(w.seller, deal, "共有人乙", doc(deal, w.seller))
        n.confirm_consent(w.operator, deal, "共有人乙", "已电话核实共有人并核对公章")
        sign_both(deal, first=w.seller)
    else:
        deal = signed_licence(w, kind)
    other = None
    if rule == "duplicate_filing":
        other = signed_licence(w, buyer=w.other)
    if rule == "conflicts_with_filed":
        # An exclusive licence filed over an earlier, non-overlapping term is fine; an overlapping one is not.
        other = agreed(w, "LICENSE_EXCLUSIVE", buyer=w.other,
                       terms=licence_terms(w, start=deal.end_date + timedelta(days=1)))
        other.start_date = deal.start_date  # as if filed from an old paper contract
        sign_both(other, first=w.seller)
    assert n.filing_blockers(deal) == []
    record_no = _breaks(rule, w, deal, other)
    with pytest.raises(Conflict) as err:
        n.record_filing(deal, record_no, today_local(), w.buyer)
    assert err.value.code == f"deal.filing_{rule}"
    assert deal.status == S.SIGNED and deal.filing_record_no is None


def test_an_open_licence_deal_is_filed_through_the_same_service(session):
    w = world()
    deal = Deal(kind="OPEN_LICENSE", status=S.LICENSED, patent_id=w.patent.id, seller_org_id=w.listing.organisation_id,
                buyer_org_id=w.buyer.organisation_id, point_id=w.point.id, fee_terms={}, valuation={},
                approvals={}, start_date=today_local(), end_date=w.patent.last_protected_day,
                licensed_date=today_local())
    db.session.add(deal)
    db.session.flush()
    n.record_filing_rejected(deal, "材料不全", w.buyer)
    assert deal.status == S.LICENSED
    n.record_filing(deal, "2025310000321", today_local(), w.buyer)
    assert deal.status == S.FILED and [e.kind for e in lines(deal)] == ["FILING_REJECTED", "FILING"]


def test_filing_a_transfer_is_refused(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    sign_both(deal, first=w.seller)
    with pytest.raises(Conflict) as err:
        n.record_filing(deal, "1", today_local(), w.seller)
    assert err.value.code == "deal.not_a_licence"


def _registered_transfer(w, buyer=None):
    deal = agreed(w, "TRANSFER", buyer=buyer)
    signed = today_local() - timedelta(days=20)
    sign_both(deal, first=w.seller, on=signed)
    n.file_registration(w.buyer if buyer is None else buyer, deal, today_local() - timedelta(days=10))
    return deal, signed


def test_R_TR_1_a_transfer_takes_effect_on_its_registration_date(session):
    w = world()
    deal, signed = _registered_transfer(w)
    registered = today_local() - timedelta(days=2)
    with pytest.raises(DomainError) as err:
        n.record_registration(w.buyer, deal, today_local() - timedelta(days=11), "ZR2025000001")
    assert err.value.code == "deal.date_order"
    n.record_registration(w.buyer, deal, registered, "ZR2025000002", doc(deal, w.buyer, "REGISTRATION_PROOF"))
    assert (deal.status, deal.signed_date, deal.registration_date) == (S.REGISTERED, signed, registered)
    line = lines(deal, "REGISTRATION")[0]
    assert line.occurred_on == registered and line.evidence["contract_signed"] == signed.isoformat()
    assert w.patent.owner_names == [w.buyer.organisation.name]
    assert w.patent.owners[0].organisation_id == w.buyer.organisation_id
    assert w.listing.status == ListingStatus.DEALT
    claim = db.session.scalar(select(PatentClaim).where(PatentClaim.deal_id == deal.id))
    assert claim.transferred is True
    # Unpaid: registered, not yet completed; paying completes it.
    assert deal.status == S.REGISTERED
    pay_all(deal, w.seller)
    assert deal.status == S.COMPLETED and deal.completed_date == today_local()
    assert [e.kind for e in lines(deal)][-2:] == ["PAYMENT", "COMPLETED"]
    assert lines(deal, "PAYMENT")[0].amount_fen == 8_000_000


def test_a_transfer_paid_before_registration_completes_on_registration(session):
    w = world()
    deal, _ = _registered_transfer(w)
    pay_all(deal, w.seller)
    assert deal.status == S.REGISTRATION_FILED
    n.record_registration(w.seller, deal, today_local(), "ZR202500002")
    assert deal.status == S.COMPLETED


def test_the_former_owner_cannot_start_a_deal_on_a_transferred_patent(session):
    from sqlalchemy.exc import IntegrityError

    w = world()
    deal, _ = _registered_transfer(w)
    n.record_registration(w.seller, deal, today_local(), "ZR202500003")
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Deal(kind="LICENSE_ORDINARY", status=S.NEGOTIATING, patent_id=w.patent.id,
                                seller_org_id=w.listing.organisation_id, buyer_org_id=w.other.organisation_id,
                                fee_terms={}, valuation={}, approvals={}))
            db.session.flush()


def test_a_negotiation_started_before_a_transfer_cannot_be_bound_after_it(session):
    """The database refuses agreement or signature by a seller that no longer owns the patent;
    a licence already filed before the transfer goes on (R-TR-6)."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    w = world()
    deal, _ = _registered_transfer(w)
    # Talks the services would have closed, written behind their back while registration is pending.
    talks = Deal(kind="LICENSE_ORDINARY", status=S.NEGOTIATING, patent_id=w.patent.id,
                 seller_org_id=w.listing.organisation_id, buyer_org_id=w.other.organisation_id,
                 fee_terms={}, valuation={}, approvals={})
    db.session.add(talks)
    db.session.flush()
    n.record_registration(w.seller, deal, today_local(), "ZR202500005")
    for target in (S.AGREED, S.SIGNED):
        with pytest.raises(IntegrityError, match="patent_transferred"):
            with db.session.begin_nested():
                db.session.execute(update(Deal).where(Deal.id == talks.id).values(status=target))
    # Closing it is still possible.
    db.session.execute(update(Deal).where(Deal.id == talks.id).values(status=S.CANCELLED))


def test_R_TR_6_licences_granted_before_a_transfer_survive_it(session):
    w = world()
    licence = signed_licence(w, buyer=w.other)
    n.record_filing(licence, "2025310000888", today_local(), w.other)
    deal = agreed(w, "TRANSFER")
    assert deal.approvals["prior_licences"][0]["deal_id"] == licence.id
    assert deal.approvals["prior_licences"][0]["record_no"] == "2025310000888"
    sign_both(deal, first=w.seller)
    n.file_registration(w.seller, deal, today_local())
    n.record_registration(w.seller, deal, today_local(), "ZR202500004")
    assert licence.status == S.FILED
    assert lines(deal, "REGISTRATION")[0].evidence["prior_licences"] == [licence.id]
    note = lines(licence, "MESSAGE")[-1]
    assert w.buyer.organisation.name in note.note and note.evidence["transfer_deal_id"] == deal.id


def test_a_rejected_registration_can_be_filed_again(session):
    w = world()
    deal, _ = _registered_transfer(w)
    n.record_registration_rejected(w.seller, deal, "著录项目变更申报书签章不符")
    assert deal.status == S.REGISTRATION_REJECTED
    n.file_registration(w.seller, deal, today_local())
    assert deal.status == S.REGISTRATION_FILED


def test_R_ST_4_an_equity_deal_completes_only_after_patent_and_capital_registration(session):
    w = world()
    deal = agreed(w, "EQUITY", terms={"price_fen": 10_000_000, "share_pct": "20"})
    n.record_step(w.seller, deal, "VALUATION", {"basis": "EVALUATION", "appraiser": "评估所", "report_no": "R-9",
                                                "value_fen": "10000000", "base_date": today_local().isoformat()},
                  doc(deal, w.seller, "VALUATION_REPORT"))
    sign_both(deal, first=w.seller)
    assert n.payments_of(deal) == []  # paid in shares, not money
    with pytest.raises(Conflict) as err:
        n.record_capital_registration(w.buyer, deal, today_local())
    assert err.value.code == "deal.patent_not_registered"
    n.file_registration(w.buyer, deal, today_local())
    n.record_registration(w.buyer, deal, today_local(), "ZR202500005")
    assert deal.status == S.REGISTERED and w.patent.owner_names == [w.buyer.organisation.name]
    n.record_capital_registration(w.buyer, deal, today_local(), doc(deal, w.buyer, "CAPITAL_REGISTRATION"))
    assert deal.status == S.COMPLETED and deal.capital_registered_date == today_local()
    assert [e.kind for e in lines(deal)][-2:] == ["CAPITAL_REGISTERED", "COMPLETED"]


def test_a_licence_cannot_be_registered(session):
    w = world()
    deal = signed_licence(w)
    with pytest.raises(Conflict) as err:
        n.file_registration(w.seller, deal, today_local())
    assert err.value.code == "deal.not_a_transfer"


def test_void_releases_the_rights_and_is_kept_in_the_ledger(session):
    w = world()
    deal = agreed(w, "LICENSE_EXCLUSIVE")
    sign_both(deal, first=w.seller)
    for outsider in (w.other, w.operator):
        with pytest.raises(Forbidden):
            n.void_deal(outsider, deal, "错了")
    with pytest.raises(DomainError):
        n.void_deal(w.buyer, deal, "  ")
    n.void_deal(w.bureau, deal, "重复录入")
    assert (deal.status, deal.void_reason) == (S.VOID, "重复录入")
    line = lines(deal, "VOID")[0]
    assert (line.actor_user_id, line.from_status, line.note) == (w.bureau.id, "SIGNED", "重复录入")
    assert db.session.scalar(select(PatentClaim.active).where(PatentClaim.deal_id == deal.id)) is False
    assert [p.status for p in n.payments_of(deal)] == ["CANCELLED"]
    with pytest.raises(Conflict):
        n.void_deal(w.seller, deal, "再来一次")
    assert agreed(w, "LICENSE_EXCLUSIVE", buyer=w.other).status == S.AGREED


def test_a_payment_for_a_voided_deal_is_not_collectable(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    sign_both(deal, first=w.seller)
    n.void_deal(w.seller, deal, "签错了")
    (payment,) = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
    assert payment.status == "CANCELLED"


def test_a_lapsed_or_preserved_patent_stops_signature(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    flag(w.patent, "SUSPENDED")
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.seller)
    assert err.value.code == "deal.patent_suspended" and deal.status == S.AGREED


@pytest.mark.parametrize("status, allowed", [("VALID", True), ("PENDING", True), ("FEE_GRACE", False), ("LAPSED", False)])
def test_R_TR_2_only_valid_patents_and_pending_applications_are_transferred(session, status, allowed):
    w = world()
    w.patent.legal_status = status
    if status == "PENDING":
        w.patent.grant_date = None
    if allowed:
        assert agreed(w, "TRANSFER").status == S.AGREED
    else:
        with pytest.raises(Conflict):
            n.request_deal(w.buyer, w.listing, "TRANSFER")


def test_R_TR_2_a_preserved_patent_is_not_transferred(session):
    w = world()
    flag(w.patent, "PRESERVED")
    with pytest.raises(Conflict) as err:
        n.request_deal(w.buyer, w.listing, "TRANSFER")
    assert err.value.code == "deal.patent_preserved"
