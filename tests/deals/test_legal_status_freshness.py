"""R-DI-1: steps that depend on legal status need it confirmed by the register, recently."""

from __future__ import annotations

import pytest

from listings import patents as patent_records
from listings.importing.readers import read_table
from listings.importing.status import import_status_updates
from market.core.errors import Conflict, Forbidden
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.open_licence import acquisition
from market.deals.open_licence import declarations as ol
from tests import factories as f
from tests.deals.negotiation_world import agreed, licence_terms, world
from tests.deals.open_licence import world as wb
from tests.deals.test_documents import _deal


def _refused(call) -> Conflict:
    with pytest.raises(Conflict) as err:
        call()
    assert err.value.code == "legal_status_stale"
    assert "R-DI-1" in err.value.zh and "status-import" in err.value.zh and "status-import" in err.value.en
    return err.value


def test_R_DI_1_signing_is_refused_when_the_register_last_confirmed_the_status_too_long_ago(session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    f.stale(w.patent, days=31)
    err = _refused(lambda: n.sign_contract(w.seller, deal, n.contract_hash(deal)))
    assert "31 天前" in err.zh and "30 天" in err.zh
    assert deal.status == "AGREED" and deal.signed_date is None


def test_R_DI_1_signing_is_refused_when_only_a_user_gave_the_status(session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    w.patent.legal_status_source = "USER"
    err = _refused(lambda: n.sign_contract(w.seller, deal, n.contract_hash(deal)))
    assert "从未经国知局登记簿确认" in err.zh


def test_R_DI_1_the_age_limit_is_configurable(app, session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    f.stale(w.patent, days=31)
    app.config["LEGAL_STATUS_MAX_AGE_DAYS"] = 60
    try:
        f.sign_both(deal)
    finally:
        app.config["LEGAL_STATUS_MAX_AGE_DAYS"] = 30
    assert deal.status == "SIGNED"


def test_R_DI_1_a_register_import_of_the_current_status_lets_the_step_go_ahead(session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    f.stale(w.patent, days=90)
    csv = f"申请号,事件,日期\n{w.patent.application_number},专利权维持,{today_local().isoformat()}\n"
    import_status_updates(read_table(csv.encode("utf-8"), "status.csv"))
    f.sign_both(deal)
    assert deal.status == "SIGNED"


def test_R_DI_1_recording_a_filing_is_refused_on_a_stale_status(session):
    w = wb.world()
    deal = _deal(w, "LICENSE_ORDINARY")
    f.stale(w.patent)
    _refused(lambda: n.record_filing(deal, "2026310000999", today_local(), None))
    assert deal.filing_record_no is None


def test_R_DI_1_declaring_an_open_licence_is_refused_on_a_stale_status(session):
    w = wb.world()
    decl = wb.draft(w)
    f.stale(w.patent)
    _refused(lambda: ol.confirm_eligible(w.uni_user, decl))
    assert decl.status == "DRAFT"


def test_R_DI_1_taking_an_open_licence_is_refused_on_a_stale_status(session):
    w = wb.world()
    decl = wb.announced(w)
    f.stale(w.patent)
    _refused(lambda: acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user))
    db.session.flush()
    assert acquisition.existing_licence(decl.id, w.buyer.id) is None


def test_R_DI_1_the_listings_point_confirms_a_stale_status_from_the_patent_page(client, session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    f.stale(w.patent, days=45)
    f.login(client, w.operator)
    page = client.get(f"/patents/{w.patent.application_number}")
    assert "确认法律状态" in page.get_data(as_text=True)
    response = client.post(f"/patents/{w.patent.application_number}/legal-status/confirm",
                           data={"csrf_token": f.csrf_token(client, f"/patents/{w.patent.application_number}")})
    assert response.status_code == 302
    db.session.expire_all()
    assert w.patent.legal_status_source == "POINT"
    f.sign_both(deal)
    assert deal.status == "SIGNED"


def test_R_DI_1_only_the_listings_point_may_confirm_the_status(client, session):
    w = world()
    f.stale(w.patent, days=45)
    f.login(client, w.buyer)
    token = f.csrf_token(client, f"/patents/{w.patent.application_number}")
    response = client.post(f"/patents/{w.patent.application_number}/legal-status/confirm", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert w.patent.legal_status_source == "REGISTER"


def test_R_DI_1_the_patent_page_offers_no_confirmation_of_a_status_only_a_user_typed(client, session):
    # Before: the operator saw the button, and pressing it could only be refused.
    w = world()
    w.patent.legal_status_source = "USER"
    db.session.commit()
    f.login(client, w.operator)
    page = client.get(f"/patents/{w.patent.application_number}").get_data(as_text=True)
    assert "/legal-status/confirm" not in page and "待国知局登记簿核实" in page


def test_R_DI_1_a_point_cannot_confirm_a_status_only_a_user_typed(session):
    w = world()
    w.patent.legal_status_source = "USER"
    with pytest.raises(Conflict):
        patent_records.confirm_status_by_point(w.operator, w.patent)


def test_R_DI_1_a_point_operator_cannot_vouch_for_the_status_of_its_own_patent(client, session):
    """An operator that is also a patentee would be confirming its own record: refused, no button."""
    w = world()
    owner = w.patent.owners[0]
    owner.organisation_id, owner.name = w.operator.organisation_id, w.operator.organisation.name
    db.session.commit()
    with pytest.raises(Forbidden) as refused:
        patent_records.confirm_status_by_point(w.operator, w.patent)
    assert "专利权人或挂牌机构本身不能确认" in refused.value.zh
    f.login(client, w.operator)
    page = client.get(f"/patents/{w.patent.application_number}").get_data(as_text=True)
    assert "/legal-status/confirm" not in page
    refused_page = client.post(f"/patents/{w.patent.application_number}/legal-status/confirm",
                               data={"csrf_token": f.csrf_token(client, f"/patents/{w.patent.application_number}")})
    assert refused_page.status_code == 403
