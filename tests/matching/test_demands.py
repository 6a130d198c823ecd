"""Demands: posting, who sees what, acting on matches, deal requests, notices."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from listings.vocabulary import DealMode
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.notifications import Notification
from market.core.outbox import process_outbox
from matching import services
from matching.recommend import matches_for_demand
from matching.vocabulary import DemandStatus
from tests import factories as f

BATTERY = {"title": "一种锂离子电池用陶瓷涂覆隔膜及其制备方法",
           "abstract": "本发明公开了一种锂电池隔膜，耐高温、孔隙均匀，提高电池安全性。"}


def _demand(user, **kw):
    fields = {"title": "需要耐高温的锂电池隔膜", "problem": "现有隔膜在高温下收缩，导致电池短路，需要耐高温隔膜技术。",
              "expected_outcome": "隔膜150℃不收缩", "existing_basis": "我司已有涂布产线（保密）",
              "budget_min_fen": 10_000_000, "budget_max_fen": 50_000_000, "modes": ["LICENSE_ORDINARY"],
              "industries": [], "timeline": "一年内", "visibility": "PUBLIC", **kw}
    demand = services.post_demand(user, fields)
    db.session.flush()
    return demand


@pytest.fixture
def world(session):
    enterprise = f.organisation("沪东电池有限公司", org_type="PRIVATE")
    uni = f.organisation("沪北理工大学")
    point = f.point()
    listing = f.listing(uni, point, patent_kw=BATTERY, modes=[DealMode.OPEN_LICENSE, DealMode.LICENSE_ORDINARY],
                        price_fen=20_000_000)
    return {"ent": f.user(enterprise), "uni": f.user(uni), "listing": listing,
            "other_ent": f.user(f.organisation("别的企业", org_type="PRIVATE"))}


def test_a_budget_minimum_above_the_maximum_is_refused(world):
    with pytest.raises(DomainError) as err:
        _demand(world["ent"], budget_min_fen=2, budget_max_fen=1)
    assert err.value.field == "budget_min_fen"


def test_unknown_industries_are_refused(world):
    with pytest.raises(DomainError):
        _demand(world["ent"], industries=["NOT_AN_INDUSTRY"])


@pytest.mark.parametrize("visibility, stranger_sees, patentee_sees", [
    ("PUBLIC", True, True), ("PATENTEES", False, True), ("PRIVATE", False, False)])
def test_visibility_decides_who_sees_a_demand(world, visibility, stranger_sees, patentee_sees):
    demand = _demand(world["ent"], visibility=visibility)
    assert services.can_view_demand(world["ent"], demand)
    assert services.can_view_demand(world["other_ent"], demand) is stranger_sees
    assert services.can_view_demand(world["uni"], demand) is patentee_sees
    assert services.can_view_demand(None, demand) is stranger_sees


def test_only_the_enterprise_changes_its_demand(world):
    demand = _demand(world["ent"])
    with pytest.raises(Forbidden):
        services.update_demand(world["other_ent"], demand, {"title": "x"})
    with pytest.raises(Forbidden):
        services.dismiss_match(world["other_ent"], demand, world["listing"].id, "PRICE")


def test_the_engine_proposes_the_fitting_patent_with_reasons(world, app):
    demand = _demand(world["ent"])
    db.session.commit()
    process_outbox()
    matches = matches_for_demand(demand).matches
    assert matches and matches[0].listing_id == world["listing"].id
    assert matches[0].reasons and all(r.zh and r.en for r in matches[0].reasons)


def test_a_dismissed_patent_does_not_come_back_for_that_demand(world):
    demand = _demand(world["ent"])
    db.session.commit()
    process_outbox()
    services.dismiss_match(world["ent"], demand, world["listing"].id, "PRICE")
    db.session.flush()
    assert world["listing"].id not in {m.listing_id for m in matches_for_demand(demand).matches}


def test_other_as_a_reason_needs_words(world):
    demand = _demand(world["ent"])
    with pytest.raises(DomainError):
        services.dismiss_match(world["ent"], demand, world["listing"].id, "OTHER", "  ")


def test_dismissal_reasons_reach_the_patentee_in_aggregate(world):
    demand = _demand(world["ent"])
    services.dismiss_match(world["ent"], demand, world["listing"].id, "TOO_EARLY")
    db.session.flush()
    assert services.dismissal_summary(world["uni"].organisation_id) == [("TOO_EARLY", 1)]


def test_a_deal_request_uses_a_mode_the_listing_offers(world):
    with pytest.raises(DomainError):
        services.request_deal(world["ent"], world["listing"], DealMode.EQUITY)
    demand = _demand(world["ent"])
    inquiry = services.request_deal(world["ent"], world["listing"], DealMode.LICENSE_ORDINARY, "想谈普通许可",
                                    demand)
    db.session.flush()
    assert inquiry.id and demand.status == DemandStatus.MATCHED
    note = db.session.scalar(select(Notification).where(
        Notification.organisation_id == world["uni"].organisation_id))
    assert "沪东电池有限公司" in note.title_zh
    with pytest.raises(Conflict):
        services.request_deal(world["ent"], world["listing"], DealMode.LICENSE_ORDINARY)


def test_a_patentee_cannot_request_its_own_listing(world):
    with pytest.raises(DomainError):
        services.request_deal(world["uni"], world["listing"], DealMode.LICENSE_ORDINARY)


def test_a_new_demand_notifies_the_patentee_of_a_fitting_listing_once(world):
    demand = _demand(world["ent"])
    db.session.commit()
    process_outbox()
    services.update_demand(world["ent"], demand, {"timeline": "半年内"})
    db.session.commit()
    process_outbox()
    notes = db.session.scalars(select(Notification).where(
        Notification.organisation_id == world["uni"].organisation_id)).all()
    assert len(notes) == 1 and demand.title in notes[0].title_zh


def test_a_private_demand_is_never_announced(world):
    _demand(world["ent"], visibility="PRIVATE")
    db.session.commit()
    process_outbox()
    assert db.session.scalar(select(Notification.id).where(
        Notification.organisation_id == world["uni"].organisation_id)) is None


def test_a_newly_published_listing_notifies_the_enterprise_whose_demand_it_fits(world):
    demand = _demand(world["ent"])
    db.session.commit()
    process_outbox()
    f.listing(world["uni"].organisation, world["listing"].point,
              patent_kw={"title": "一种耐高温锂电池隔膜", "abstract": "隔膜在150℃下不收缩，提高锂电池安全性。"})
    db.session.commit()
    process_outbox()
    notes = db.session.scalars(select(Notification).where(
        Notification.organisation_id == world["ent"].organisation_id)).all()
    assert any(demand.title in n.title_zh for n in notes)


def test_an_unseen_demand_is_not_found(world):
    demand = _demand(world["ent"], visibility="PRIVATE")
    with pytest.raises(NotFound):
        services.get_demand(demand.id, world["other_ent"])
