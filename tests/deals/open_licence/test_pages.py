"""The open-licence pages in each state and language render, and show what each reader may do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template_string

from market.core.extensions import db
from market.core.time import today_local
from market.deals.open_licence import acquisition
from market.deals.open_licence import declarations as ol
from tests import factories as f
from tests.deals.open_licence import world as wb


@pytest.fixture
def drafted(app):
    with app.test_request_context():
        w = wb.world(co_owners=("张某某",), type_code="2")
        decl = wb.draft(w)
        db.session.commit()
        return {"decl": decl.id, "app_no": w.patent.application_number, "owner": w.uni_user.email,
                "buyer": w.buyer_user.email, "operator": w.operator_user.email}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_patentee_works_on_a_draft(client, drafted, lang):
    f.login(client, drafted["owner"])
    page = client.get(f"/open-licences/{drafted['decl']}?lang={lang}").get_data(as_text=True)
    assert ("R-OL-3" in page) and ("R-OL-5" in page)
    assert ("登记书面同意" if lang == "zh" else "Record written consent") in page
    assert 'disabled' in page  # blocked checks keep the confirm button off
    edit = client.get(f"/open-licences/{drafted['decl']}/edit?lang={lang}")
    assert edit.status_code == 200 and 'name="lump_yuan"' in edit.get_data(as_text=True)
    patent = client.get(f"/patents/{drafted['app_no']}").get_data(as_text=True)
    assert f"/open-licences/{drafted['decl']}" in patent and ("草稿" if lang == "zh" else "Draft") in patent


def test_a_draft_is_hidden_from_enterprises(client, drafted):
    f.login(client, drafted["buyer"])
    assert client.get(f"/open-licences/{drafted['decl']}").status_code == 404
    assert client.get(f"/open-licences/{drafted['decl']}/edit").status_code == 404
    assert client.get(f"/patents/{drafted['app_no']}/open-licence").status_code == 404
    page = client.get(f"/patents/{drafted['app_no']}").get_data(as_text=True)
    assert "获取开放许可" not in page


def test_only_the_declarant_edits_and_strangers_cannot_act(client, drafted):
    f.login(client, drafted["operator"])
    assert client.get(f"/open-licences/{drafted['decl']}/edit").status_code == 403
    token = f.csrf_token(client, f"/open-licences/{drafted['decl']}")
    assert client.post(f"/open-licences/{drafted['decl']}/eligible", data={"csrf_token": token}).status_code == 403


def test_an_invalid_form_is_answered_with_its_errors(client, drafted):
    f.login(client, drafted["owner"])
    path = f"/open-licences/{drafted['decl']}/edit"
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "mode": "INSTALLMENTS",
                                       "instalment_yuan": ["100", ""], "instalment_months": ["", ""],
                                       "term_start": "2026-13-01", "term_end": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "error-summary" in page and "日期格式无效" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_public_sees_an_announced_declaration_and_the_list(client, app, lang):
    with app.test_request_context():
        w = wb.world()
        decl = wb.announced(w, {"mode": "ENTRY_PLUS_ROYALTY", "entry_fee_fen": 1_000_000, "royalty_base": "PROFIT",
                                "royalty_rate": "5", "payment_period": "ANNUAL"})
        ol.record_withdrawal_request(w.uni_user, decl, today_local())
        db.session.commit()
        decl_id, app_no = decl.id, w.patent.application_number
    page = client.get(f"/open-licences/{decl_id}?lang={lang}").get_data(as_text=True)
    assert ("按利润的5%提成" if lang == "zh" else "a royalty of 5% of profit") in page
    assert ("登录后获取开放许可" if lang == "zh" else "Log in to take the licence") in page
    listing = client.get(f"/open-licences?lang={lang}").get_data(as_text=True)
    assert f"/open-licences/{decl_id}" in listing and ("撤回中" if lang == "zh" else "Being withdrawn") in listing
    patent = client.get(f"/patents/{app_no}?lang={lang}").get_data(as_text=True)
    assert ("专利权人已于" if lang == "zh" else "The patentee asked on") in patent


def test_the_deal_page_panel_links_the_papers(app, session):
    w = wb.world()
    deal = acquisition.take_open_licence(wb.announced(w).id, w.buyer, w.buyer_user)
    html = render_template_string("{% include 'deals/_open_licence_panel.html' ignore missing %}", deal=deal)
    for path in ("notice", "contract", "contract.pdf", "filing-package", "licence"):
        assert f"/deals/{deal.id}/{path}" in html
    assert deal.reference in html and "一次总算、一次总付50,000.00元" in html
    assert render_template_string("{% include 'deals/_open_licence_panel.html' %}",
                                  deal=type("D", (), {"kind": "TRANSFER"})()).strip() == ""


def test_the_licence_record_in_english(client, app):
    with app.test_request_context():
        w = wb.world()
        deal = acquisition.take_open_licence(wb.announced(w, {"mode": "FREE"}).id, w.buyer, w.buyer_user)
        db.session.commit()
        deal_id, email = deal.id, w.buyer_user.email
    f.login(client, email)
    page = client.get(f"/deals/{deal_id}/licence?lang=en").get_data(as_text=True)
    assert "The open licence is in force" in page and "Free of charge" in page
    assert "No fixed sum is payable up front" in page
    contract = client.get(f"/deals/{deal_id}/contract?lang=en").get_data(as_text=True)
    assert "Patent Licence Contract (Open Licence)" in contract
    assert client.get(f"/deals/{deal_id}/filing-package.pdf?lang=en").data.startswith(b"%PDF")


def test_the_operator_records_cnipa_dates_through_the_page(client, app):
    with app.test_request_context():
        w = wb.world()
        decl = wb.draft(w)
        ol.confirm_eligible(w.uni_user, decl)
        db.session.commit()
        decl_id, email = decl.id, w.operator_user.email
    f.login(client, email)
    page = f"/open-licences/{decl_id}"
    assert "登记提交日" in client.get(page).get_data(as_text=True)
    future = (today_local() + timedelta(days=1)).isoformat()
    response = client.post(f"{page}/filed", data={"csrf_token": f.csrf_token(client, page), "on": future})
    assert "日期不能晚于今天" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(f"{page}/filed", data={"csrf_token": f.csrf_token(client, page), "on": today_local().isoformat()})
    with app.test_request_context():
        assert ol.get_declaration(decl_id).status == "FILED_WITH_CNIPA"
