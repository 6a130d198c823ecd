"""The listing lifecycle and who may move it (domain.md §3.1)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from listings import patents as patent_service
from listings import services
from listings.models import Listing
from listings.vocabulary import DealMode, Encumbrance, LegalStatus
from listings.vocabulary import ListingStatus as S
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from tests import factories as f


@pytest.fixture
def world(session):
    operator = f.organisation(org_type="POINT_OPERATOR")
    other_operator = f.organisation(org_type="POINT_OPERATOR")
    uni = f.organisation("沪北理工大学")
    return {
        "uni": uni, "uni_user": f.user(uni), "point": f.point(operator),
        "operator_user": f.user(operator), "other_operator_user": f.user(other_operator),
        "other_uni_user": f.user(f.organisation("东海大学")),
    }


def _draft(world, **kw):
    patent = f.patent(world["uni"], **kw)
    return services.create_listing(world["uni_user"], patent, world["uni"], {
        "modes": [DealMode.TRANSFER], "asking_price_fen": 120_000_00, "point_id": world["point"].id})


def test_a_listing_goes_from_draft_through_review_to_the_shelf(world):
    listing = _draft(world)
    services.submit_listing(world["uni_user"], listing)
    services.review_listing(world["operator_user"], listing, approve=True)
    assert listing.status == S.PUBLISHED
    assert [e.to_status for e in listing.events] == [S.DRAFT, S.SUBMITTED, S.PUBLISHED]


def test_only_the_operator_of_the_listings_point_reviews_it(world):
    listing = _draft(world)
    services.submit_listing(world["uni_user"], listing)
    with pytest.raises(Forbidden):
        services.review_listing(world["other_operator_user"], listing, approve=True)


def test_a_patentee_cannot_edit_another_organisations_listing(world):
    listing = _draft(world)
    with pytest.raises(Forbidden):
        services.update_listing(world["other_uni_user"], listing, {"modes": [DealMode.TRANSFER],
                                                                   "asking_price_fen": 1, "point_id": world["point"].id})


def test_rejection_needs_a_reason_and_can_be_resubmitted(world):
    listing = _draft(world)
    services.submit_listing(world["uni_user"], listing)
    with pytest.raises(DomainError):
        services.review_listing(world["operator_user"], listing, approve=False, note="")
    services.review_listing(world["operator_user"], listing, approve=False, note="摘要不完整")
    assert listing.status == S.REJECTED
    services.submit_listing(world["uni_user"], listing)
    assert listing.status == S.SUBMITTED


def test_an_illegal_transition_is_refused_with_a_clear_message(world):
    listing = _draft(world)
    with pytest.raises(Conflict) as err:
        services.resume_listing(world["uni_user"], listing)
    assert "草稿" in err.value.zh


@pytest.mark.parametrize("price", [-1, 1.5, "100", True])
def test_a_price_must_be_whole_non_negative_fen(world, price):
    patent = f.patent(world["uni"])
    with pytest.raises(DomainError) as err:
        services.create_listing(world["uni_user"], patent, world["uni"], {
            "modes": [DealMode.TRANSFER], "asking_price_fen": price, "point_id": world["point"].id})
    assert err.value.field == "asking_price_fen"


def test_a_price_or_negotiable_is_required(world):
    patent = f.patent(world["uni"])
    with pytest.raises(DomainError):
        services.create_listing(world["uni_user"], patent, world["uni"], {
            "modes": [DealMode.TRANSFER], "asking_price_fen": None, "point_id": world["point"].id})


def test_only_a_patentee_can_list_a_patent(world):
    patent = f.patent(world["uni"])
    other = world["other_uni_user"]
    with pytest.raises(Forbidden):
        services.create_listing(other, patent, other.organisation, {
            "modes": [DealMode.TRANSFER], "price_negotiable": True, "point_id": world["point"].id})


def test_a_patent_has_one_live_listing(world):
    listing = _draft(world)
    with pytest.raises(Conflict):
        services.create_listing(world["uni_user"], listing.patent, world["uni"], {
            "modes": [DealMode.TRANSFER], "price_negotiable": True, "point_id": world["point"].id})


def test_the_database_itself_refuses_a_second_live_listing(world):
    listing = _draft(world)
    db.session.flush()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Listing(patent_id=listing.patent_id, organisation_id=world["uni"].id,
                                   point_id=world["point"].id, modes=["TRANSFER"], price_negotiable=True))
            db.session.flush()


def test_a_lapsed_patent_cannot_be_submitted(world):
    listing = _draft(world, status=LegalStatus.LAPSED)
    with pytest.raises(Conflict) as err:
        services.submit_listing(world["uni_user"], listing)
    assert "失效" in err.value.zh


@pytest.mark.parametrize("event, flag", [("专利权保全", Encumbrance.PRESERVED), ("中止", Encumbrance.SUSPENDED)])
def test_a_preserved_or_suspended_patent_is_taken_off_the_shelf(world, event, flag):
    listing = f.listing(world["uni"], world["point"])
    patent_service.apply_legal_events(listing.patent, [(date(2025, 5, 1), event)])
    assert flag in listing.patent.active_flags()
    services.enforce_shelf_rules(listing.patent)
    assert listing.status == S.SUSPENDED
    assert listing.events[-1].actor_id is None  # the system did it


def test_a_lapse_takes_the_listing_off_the_shelf(world):
    listing = f.listing(world["uni"], world["point"])
    patent_service.apply_legal_events(listing.patent, [(date(2025, 5, 1), "未缴年费专利权终止")])
    services.enforce_shelf_rules(listing.patent)
    assert listing.patent.legal_status == LegalStatus.LAPSED
    assert listing.status == S.SUSPENDED
    with pytest.raises(Conflict):
        services.resume_listing(world["uni_user"], listing)


def test_changing_the_price_of_a_published_listing_sends_it_back_to_review(world):
    listing = f.listing(world["uni"], world["point"])
    services.update_listing(world["uni_user"], listing, {
        "modes": listing.modes, "asking_price_fen": 1, "point_id": world["point"].id})
    assert listing.status == S.SUBMITTED


def test_changing_only_the_summary_keeps_it_on_the_shelf(world):
    listing = f.listing(world["uni"], world["point"])
    services.update_listing(world["uni_user"], listing, {
        "modes": listing.modes, "asking_price_fen": listing.asking_price_fen, "point_id": world["point"].id,
        "advantages": "成本低"})
    assert listing.status == S.PUBLISHED


def test_an_unapproved_organisation_cannot_list(session):
    org = f.organisation(approved=False)
    patent = f.patent(org)
    with pytest.raises(Forbidden):
        services.create_listing(f.user(org), patent, org, {"modes": [DealMode.TRANSFER],
                                                           "price_negotiable": True, "point_id": f.point().id})


def test_expired_term_makes_a_patent_lapsed_whatever_the_import_says(session):
    org = f.organisation()
    patent = f.patent(org, filing=date(1990, 1, 1))
    assert patent.legal_status == LegalStatus.LAPSED
    assert patent.lapse_reason == "EXPIRED"
    assert patent.last_protected_day == date(2009, 12, 31)
