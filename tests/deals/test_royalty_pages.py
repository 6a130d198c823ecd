"""The royalty pages: the licensee files, the licensor answers, everyone else reads or gets a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template_string
from sqlalchemy import select

from market.core.extensions import db
from market.core.time import add_months, today_local
from market.deals.models import RoyaltyReport
from tests import factories as f
from tests.deals import royalty_builders as rb


@pytest.fixture
def setup(app):
    with app.test_request_context():
        p = rb.parties()
        operator = f.organisation(org_type="POINT_OPERATOR")
        point = f.point(operator)
        start = add_months(today_local(), -7)  # two quarters have ended
        d = rb.deal(p, point=point, start=start, end=add_months(start, 36) - timedelta(days=1))
        users = {"licensee": p.licensee_user.email, "licensor": p.licensor_user.email,
                 "operator": f.user(operator).email,
                 "bureau": f.user(f.organisation(org_type="BUREAU")).email,
                 "outsider": f.user(f.organisation(org_type="PRIVATE")).email}
        db.session.commit()
        return {"deal_id": d.id, "start": start, "users": users}


def _as(client, setup, who):
    f.login(client, setup["users"][who])
    return f.csrf_token(client, "/account")


def _file(client, setup, token, base="12,345.67", period=None):
    return client.post(f"/deals/{setup['deal_id']}/royalties", data={
        "csrf_token": token, "period": (period or setup["start"]).isoformat(), "base_amount": base,
        "note": "一季度"})


def _report(session, setup):
    return session.scalar(select(RoyaltyReport).where(RoyaltyReport.deal_id == setup["deal_id"]))


def test_licensee_files_a_report_in_yuan_and_sees_the_royalty(client, setup, session):
    token = _as(client, setup, "licensee")
    page = client.get(f"/deals/{setup['deal_id']}/royalties").get_data(as_text=True)
    assert "提交第1期提成报告" in page and 'name="csrf_token"' in page
    response = _file(client, setup, token)
    assert response.status_code == 302
    report = _report(session, setup)
    # ¥12,345.67 = 1,234,567 fen × 5 % = 61,728.35 → 61,728 fen
    assert (report.base_amount_fen, report.amount_due_fen) == (1_234_567, 61_728)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "617.28 元" in page and "12,345.67 元" in page and "提交第2期提成报告" in page


def test_yuan_with_three_decimals_is_refused_on_the_form(client, setup, session):
    token = _as(client, setup, "licensee")
    response = _file(client, setup, token, base="100.123")
    assert response.status_code == 422
    assert "最多保留两位小数" in response.get_data(as_text=True) and 'value="100.123"' in response.get_data(as_text=True)
    assert _report(session, setup) is None


def test_a_second_report_for_the_period_is_a_conflict(client, setup, session):
    token = _as(client, setup, "licensee")
    _file(client, setup, token)
    response = _file(client, setup, token, base="1")
    assert response.status_code == 409 and "不能重复提交" in response.get_data(as_text=True)
    assert _report(session, setup).base_amount_fen == 1_234_567


def test_a_form_without_csrf_token_changes_nothing(client, setup, session):
    _as(client, setup, "licensee")
    response = client.post(f"/deals/{setup['deal_id']}/royalties",
                           data={"period": setup["start"].isoformat(), "base_amount": "1"})
    assert response.status_code == 400 and _report(session, setup) is None


def test_the_licensor_cannot_file_and_an_outsider_cannot_see(client, setup, session):
    token = _as(client, setup, "licensor")
    assert _file(client, setup, token).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = _as(client, setup, "outsider")
    assert client.get(f"/deals/{setup['deal_id']}/royalties").status_code == 404
    assert _file(client, setup, token).status_code == 404
    assert _report(session, setup) is None


@pytest.mark.parametrize("who", ["operator", "bureau"])
def test_operator_and_bureau_read_without_forms(client, setup, who):
    token = _as(client, setup, who)
    page = client.get(f"/deals/{setup['deal_id']}/royalties")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "结算期间" in html and "提交报告" not in html and "提出异议" not in html
    assert _file(client, setup, token).status_code == 403


def test_licensor_confirms_once_and_disputes_need_a_reason(client, setup, session):
    _file(client, setup, _as(client, setup, "licensee"))
    report_id = _report(session, setup).id
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    token = _as(client, setup, "licensor")
    page = client.get(f"/deals/{setup['deal_id']}/royalties").get_data(as_text=True)
    assert "确认" in page and "提出异议" in page
    base = f"/deals/{setup['deal_id']}/royalties/{report_id}"
    response = client.post(f"{base}/dispute", data={"csrf_token": token, "reason": " "})
    assert response.status_code == 422 and "请说明理由" in response.get_data(as_text=True)
    assert client.post(f"{base}/confirm", data={"csrf_token": token}).status_code == 302
    assert _report(session, setup).status == "CONFIRMED"
    again = client.post(f"{base}/dispute", data={"csrf_token": token, "reason": "迟到的异议"})
    assert again.status_code == 409 and _report(session, setup).status == "CONFIRMED"


def test_a_disputed_report_is_corrected_by_the_licensee(client, setup, session):
    _file(client, setup, _as(client, setup, "licensee"))
    report_id = _report(session, setup).id
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    token = _as(client, setup, "licensor")
    client.post(f"/deals/{setup['deal_id']}/royalties/{report_id}/dispute",
                data={"csrf_token": token, "reason": "漏报了网店销售"})
    client.post("/logout", data={"csrf_token": token})
    token = _as(client, setup, "licensee")
    page = client.get(f"/deals/{setup['deal_id']}/royalties").get_data(as_text=True)
    assert "漏报了网店销售" in page and "提交更正" in page and 'value="12345.67"' in page
    assert _file(client, setup, token, base="20000").status_code == 302
    report = _report(session, setup)
    assert (report.id, report.status, report.amount_due_fen) == (report_id, "SUBMITTED", 100_000)


def test_the_deal_page_panel_shows_what_is_due(app, client, setup):
    token = _as(client, setup, "licensee")
    _file(client, setup, token)
    with app.test_request_context():
        from flask_login import login_user

        from market.accounts.models import User
        from market.deals.models import Deal

        login_user(db.session.scalar(select(User).where(User.email == setup["users"]["licensee"])))
        html = render_template_string("{% include 'deals/_royalty_panel.html' %}",
                                      deal=db.session.get(Deal, setup["deal_id"]))
    assert "提成报告" in html and "617.28 元" in html and "第2期" in html
    assert f"/deals/{setup['deal_id']}/royalties#file-report" in html


def test_the_deal_page_carries_the_royalty_panel(client, setup):
    _as(client, setup, "licensee")
    page = client.get(f"/deals/{setup['deal_id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="royalty-title"' in html and f"/deals/{setup['deal_id']}/royalties#file-report" in html
