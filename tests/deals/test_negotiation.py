"""Negotiated deals through the services: requests, offers, agreement, rights on the patent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from listings.vocabulary import DealMode
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.notifications import Notification
from market.core.time import today_local
from market.deals import claims
from market.deals import negotiation as n
from market.deals.models import Deal, DealEvent, PatentClaim
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import ClaimGroup
from market.deals.vocabulary import DealStatus as S
from tests import factories as f
from tests.deals.negotiation_world import agreed, licence_terms, world
from tests.factories import sign_both


def kinds_of_events(deal) -> list[str]:
    return [e.kind for e in db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id)
                                                .order_by(DealEvent.seq))]


def test_a_request_from_a_listing_opens_a_deal_with_its_point_ledger_and_notice(session):
    w = world()
    deal = n.request_deal(w.buyer, w.listing, "LICENSE_ORDINARY", message="我司想获得普通许可")
    db.session.flush()
    assert (deal.status, deal.kind) == (S.NEGOTIATING, "LICENSE_ORDINARY")
    assert (deal.seller_org_id, deal.buyer_org_id) == (w.listing.organisation_id, w.buyer.organisation_id)
    assert deal.point_id == w.point.id and deal.pricing_method == "LISTING"
    assert deal.reference == f"PSM-{today_local().year}-P-{deal.id:06d}"
    assert kinds_of_events(deal) == ["REQUESTED"]
    assert deal.offers == []
    note = db.session.scalar(select(Notification).where(Notification.organisation_id == deal.seller_org_id))
    assert note.link == f"/deals/{deal.id}" and w.buyer.organisation.name in note.title_zh


def test_R_LC_1_a_licence_of_unspecified_kind_is_an_ordinary_licence(session):
    assert n.deal_kind(None) == n.deal_kind("") == n.deal_kind("LICENSE") == "LICENSE_ORDINARY"
    assert n.deal_kind("LICENSE_EXCLUSIVE") == "LICENSE_EXCLUSIVE"
    w = world()
    deal = n.request_deal(w.buyer, w.listing, None)
    assert deal.kind == "LICENSE_ORDINARY"


@pytest.mark.parametrize("who, kind, code", [
    ("buyer", "OPEN_LICENSE", "deal.open_licence_not_negotiated"),
    ("seller", "LICENSE_ORDINARY", "deal.own_listing"),
    ("buyer", "NOT_A_KIND", "deal.kind"),
])
def test_bad_requests_are_refused_and_write_nothing(session, who, kind, code):
    w = world()
    with pytest.raises(DomainError) as err:
        n.request_deal(getattr(w, who), w.listing, kind)
    assert err.value.code == code
    assert db.session.scalar(select(Deal.id)) is None


def test_a_mode_the_listing_does_not_offer_is_refused(session):
    w = world(modes=[DealMode.TRANSFER])
    with pytest.raises(DomainError) as err:
        n.request_deal(w.buyer, w.listing, "LICENSE_EXCLUSIVE")
    assert err.value.code == "deal.mode_not_offered"


def test_an_unapproved_enterprise_cannot_request(session):
    w = world()
    pending = f.user(f.organisation(org_type="PRIVATE", approved=False))
    with pytest.raises(Forbidden):
        n.request_deal(pending, w.listing, "TRANSFER")


def test_the_same_request_twice_is_refused(session):
    w = world()
    n.request_deal(w.buyer, w.listing, "TRANSFER")
    with pytest.raises(Conflict) as err:
        n.request_deal(w.buyer, w.listing, "TRANSFER")
    assert err.value.code == "deal.already_requested"


def test_offers_and_counter_offers_then_only_the_other_party_accepts(session):
    w = world()
    deal = n.request_deal(w.buyer, w.listing, "LICENSE_ORDINARY", terms=licence_terms(w, price_fen=2_000_000))
    first = n.open_offer(deal)
    assert first.from_org_id == w.buyer.organisation_id and first.price_fen == 2_000_000
    with pytest.raises(Conflict) as err:
        n.accept_offer(w.buyer, deal, first.id)
    assert err.value.code == "deal.own_offer"
    counter = n.make_offer(w.seller, deal, licence_terms(w, price_fen=2_600_000), "最低260万")
    assert first.status == "SUPERSEDED" and n.open_offer(deal) is counter
    with pytest.raises(Conflict) as err:  # a stale page accepting the replaced offer
        n.accept_offer(w.seller, deal, first.id)
    assert err.value.code == "deal.offer_superseded"
    n.accept_offer(w.buyer, deal, counter.id)
    assert deal.status == S.AGREED and deal.price_fen == 2_600_000
    assert deal.fee_terms == {"mode": "LUMP_SUM", "lump_fen": 2_600_000, "payment_due_days": 30, "audit_right": True}
    assert counter.status == "ACCEPTED"
    assert kinds_of_events(deal) == ["REQUESTED", "OFFER", "OFFER", "ACCEPTED"]


def test_a_stranger_cannot_offer_or_accept(session):
    w = world()
    deal = n.request_deal(w.buyer, w.listing, "TRANSFER", terms={"price_fen": 1_000_000})
    for user in (w.stranger, w.operator, w.bureau):
        with pytest.raises(Forbidden):
            n.make_offer(user, deal, {"price_fen": 1})
        with pytest.raises(Forbidden):
            n.accept_offer(user, deal)


def test_R_LC_2_no_sublicence_unless_the_parties_agree_one(session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY")
    assert deal.sublicense_allowed is False
    w2 = world()
    deal2 = n.request_deal(w2.buyer, w2.listing, "LICENSE_ORDINARY", terms=licence_terms(w2, sublicense_allowed=True))
    n.accept_offer(w2.seller, deal2)
    assert deal2.sublicense_allowed is True


def test_R_LC_3_a_licence_past_the_last_protected_day_is_refused(session):
    w = world()
    last = w.patent.last_protected_day
    with pytest.raises(DomainError) as err:
        n.request_deal(w.buyer, w.listing, "LICENSE_EXCLUSIVE",
                       terms=licence_terms(w, end=last + timedelta(days=1)))
    assert err.value.code == "deal.term_beyond_patent" and err.value.field == "end_date"
    assert last.isoformat() in err.value.zh
    ok = n.request_deal(w.buyer, w.listing, "LICENSE_EXCLUSIVE", terms=licence_terms(w, end=last))
    n.accept_offer(w.seller, ok)
    assert ok.end_date == last


def test_R_LC_3_a_lapsed_patent_cannot_be_licensed(session):
    w = world()
    deal = n.request_deal(w.buyer, w.listing, "LICENSE_ORDINARY", terms=licence_terms(w))
    w.patent.legal_status = "LAPSED"
    with pytest.raises(Conflict) as err:
        n.accept_offer(w.seller, deal)
    assert err.value.code == "deal.patent_lapsed" and deal.status == S.NEGOTIATING


def test_a_second_exclusive_licence_over_an_overlapping_term_is_refused(session):
    w = world()
    first = agreed(w, "LICENSE_EXCLUSIVE")
    assert db.session.scalar(select(PatentClaim).where(PatentClaim.deal_id == first.id)).claim_group == "EXCLUSIVITY"
    second = n.request_deal(w.other, w.listing, "LICENSE_SOLE", terms=licence_terms(w, start=first.end_date))
    with pytest.raises(Conflict) as err:
        n.accept_offer(w.seller, second)
    assert err.value.code == "deal.exclusive_taken"
    db.session.rollback()


def test_an_exclusive_licence_after_the_first_one_ends_is_allowed(session):
    w = world()
    first = agreed(w, "LICENSE_EXCLUSIVE")
    later = n.request_deal(w.other, w.listing, "LICENSE_EXCLUSIVE",
                           terms=licence_terms(w, start=first.end_date + timedelta(days=1)))
    n.accept_offer(w.seller, later)
    assert later.status == S.AGREED
    # Ordinary licences are not exclusive rights: they need no claim.
    ordinary = agreed(w, "LICENSE_ORDINARY", buyer=w.stranger)
    assert db.session.scalar(select(PatentClaim.id).where(PatentClaim.deal_id == ordinary.id)) is None


def _declaration(w):
    decl = OpenLicenceDeclaration(patent_id=w.patent.id, organisation_id=w.listing.organisation_id,
                                  status="ANNOUNCED", patentees=w.patent.owner_names, consents={}, fee_terms={},
                                  term_start=today_local(), term_end=w.patent.last_protected_day,
                                  announce_date=today_local())
    db.session.add(decl)
    db.session.flush()
    return decl


def test_R_OL_7_an_announced_open_licence_blocks_sole_and_exclusive_licences(session):
    w = world()
    decl = _declaration(w)
    claims.take(w.patent.id, ClaimGroup.EXCLUSIVITY, "OPEN_LICENSE", starts_on=decl.term_start,
                ends_on=decl.term_end, declaration_id=decl.id)
    for kind in ("LICENSE_EXCLUSIVE", "LICENSE_SOLE"):
        with pytest.raises(Conflict) as err:
            n.request_deal(w.buyer, w.listing, kind)
        assert err.value.code == "deal.open_licence_active"
    # An ordinary licence at a negotiated fee is still possible (PL 51 ¶3).
    assert n.request_deal(w.buyer, w.listing, "LICENSE_ORDINARY").status == S.NEGOTIATING


def test_R_OL_7_an_exclusive_licence_blocks_an_open_licence_declaration(session):
    w = world()
    agreed(w, "LICENSE_EXCLUSIVE")
    decl = _declaration(w)
    with pytest.raises(Conflict) as err:
        claims.take(w.patent.id, ClaimGroup.EXCLUSIVITY, "OPEN_LICENSE", starts_on=today_local(),
                    ends_on=w.patent.last_protected_day, declaration_id=decl.id)
    assert err.value.code == "deal.exclusive_taken"


def test_an_agreed_transfer_holds_the_patent_and_closes_the_other_requests(session):
    w = world()
    licence_talk = n.request_deal(w.other, w.listing, "LICENSE_ORDINARY")
    rival = n.request_deal(w.stranger, w.listing, "TRANSFER", terms={"price_fen": 9_000_000})
    deal = agreed(w, "TRANSFER")
    claim = db.session.scalar(select(PatentClaim).where(PatentClaim.deal_id == deal.id))
    assert (claim.claim_group, claim.from_org_id, claim.starts_on) == (
        "OWNERSHIP", w.listing.organisation_id, today_local())
    for closed in (licence_talk, rival):
        assert closed.status == S.CANCELLED
        assert kinds_of_events(closed)[-1] == "CANCELLED"
    assert [o.status for o in rival.offers] == ["WITHDRAWN"]
    notes = db.session.scalars(select(Notification.title_zh).where(
        Notification.organisation_id == w.stranger.organisation_id)).all()
    assert any("已关闭" in t for t in notes)
    with pytest.raises(Conflict) as err:
        n.request_deal(w.other, w.listing, "EQUITY")
    assert err.value.code == "deal.ownership_taken"


def test_accepting_the_listed_terms_agrees_at_once(session):
    w = world(price_fen=4_000_000)
    deal = n.accept_listed_terms(w.buyer, w.listing, "LICENSE_EXCLUSIVE")
    assert deal.status == S.AGREED and deal.price_fen == 4_000_000
    assert (deal.start_date, deal.end_date) == (today_local(), w.patent.last_protected_day)
    assert deal.offers[0].from_org_id == w.listing.organisation_id and deal.offers[0].status == "ACCEPTED"
    with pytest.raises(Conflict) as err:
        n.accept_listed_terms(w.other, w.listing, "LICENSE_EXCLUSIVE")
    assert err.value.code == "deal.exclusive_taken"


def test_a_negotiable_price_cannot_be_accepted_as_listed(session):
    w = world(price_fen=None)
    with pytest.raises(Conflict) as err:
        n.accept_listed_terms(w.buyer, w.listing, "TRANSFER")
    assert err.value.code == "deal.price_negotiable"


def test_decline_and_cancel_close_the_deal_and_free_its_rights(session):
    w = world()
    talk = n.request_deal(w.buyer, w.listing, "LICENSE_SOLE")
    n.decline(w.seller, talk, "价格差距太大")
    assert talk.status == S.DECLINED
    deal = agreed(w, "LICENSE_SOLE", buyer=w.other)
    with pytest.raises(DomainError):
        n.cancel(w.other, deal, " ")
    n.cancel(w.other, deal, "公司战略调整")
    assert deal.status == S.CANCELLED
    assert db.session.scalar(select(PatentClaim.active).where(PatentClaim.deal_id == deal.id)) is False
    # The period is free again for someone else.
    assert agreed(w, "LICENSE_SOLE", buyer=w.stranger).status == S.AGREED


def test_an_illegal_transition_names_both_states(session):
    w = world()
    deal = n.request_deal(w.buyer, w.listing, "TRANSFER")
    with pytest.raises(Conflict) as err:
        sign_both(deal, first=w.buyer)
    assert "洽谈中" in err.value.zh and deal.status == S.NEGOTIATING
    n.decline(w.seller, deal)
    with pytest.raises(Conflict) as err:
        n.decline(w.seller, deal)
    assert err.value.code == "deal.illegal_transition"
