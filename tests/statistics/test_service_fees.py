"""技术服务金额 (issue 14): services chosen with open licences are a figure of their own on the bureau's
dashboard and export; the licence amounts stay the patent fee only."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from market.accounts.models import Organisation, User
from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.time import today_local
from market.deals.models import Deal
from market.deals.open_licence import acquisition, extras
from market.deals.rewards import contributors
from market.payments import services as payments
from market.payments.models import Payment
from market.statistics import queries
from market.statistics.annual import annual_report
from market.statistics.export import write_xlsx
from market.statistics.measures import Column
from market.statistics.periods import year
from market.statistics.queries import Selection
from market.statistics.service_fees import service_figures
from tests import factories as f
from tests.deals.open_licence import world as wb


def _pay(deal, kind: str) -> None:
    payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id, Payment.kind == kind))
    payments.mark_paid(db.session, payment, at=datetime.now(UTC).replace(tzinfo=None), actor=None,
                       evidence={"provider": "offline"})


def licensed_with_services():
    w = wb.world(enterprises=2)
    decl = wb.announced(w)
    training = extras.offer_service(w.uni_user, decl, {"kind": "TRAINING", "description": "现场培训", "unit": "人天",
                                                        "unit_price_fen": 300_000})
    with_services = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: 4})
    org, user = w.enterprises[1]
    without = acquisition.take_open_licence(decl.id, org, user)
    for deal in (with_services, without):
        _pay(deal, "LUMP_SUM")
    _pay(with_services, "SERVICE_FEE")
    return w, with_services, without


def test_the_open_licence_amounts_stay_the_patent_fee_and_services_are_their_own_figure(session):
    licensed_with_services()
    sel = Selection(period=year(today_local().year))
    totals = queries.aggregate(db.session, sel).totals
    assert (totals[Column.OPEN_LICENSE].transactions, totals[Column.OPEN_LICENSE].contract_fen,
            totals[Column.OPEN_LICENSE].received_fen) == (2, 10_000_000, 10_000_000)
    fees = service_figures(db.session, sel)
    assert (fees.licences, fees.contract_fen, fees.received_fen) == (1, 1_200_000, 1_200_000)


def test_services_follow_the_selection_a_transfer_only_question_has_none(session):
    licensed_with_services()
    sel = Selection(period=year(today_local().year), filters={"type": "TRANSFER"})
    assert service_figures(db.session, sel).contract_fen == 0
    last_year = Selection(period=year(today_local().year - 1))
    assert service_figures(db.session, last_year).contract_fen == 0


@pytest.fixture
def bureau_client(app, client):
    with app.test_request_context():
        licensed_with_services()
        bureau = f.organisation("宝山区知识产权局（服务费测试）", "BUREAU")
        user = f.user(bureau)
        db.session.commit()
        f.login(client, user)
    return client


def test_the_dashboard_shows_the_services_apart(bureau_client):
    for lang, title, amount in (("zh", "技术服务金额", "1.2 万元"), ("en", "Technical services", "¥12,000")):
        page = bureau_client.get(f"/statistics/?lang={lang}").get_data(as_text=True)
        card = page[page.index("stats-card-services"):]
        card = card[:card.index("</li>")]
        assert title in card and amount in card


def test_the_summary_api_gives_the_services_apart_from_the_licences(app, client):
    with app.test_request_context():
        licensed_with_services()
        user = f.user(f.organisation("宝山区知识产权局（服务费接口）", "BUREAU"))
        db.session.commit()
        token = issue_api_token(user, "services")[1]
        db.session.commit()
    body = client.get(f"/api/v1/statistics/summary?period={today_local().year}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["technical_services"] == {"licences": 1, "contract_fen": 1_200_000, "received_fen": 1_200_000}
    assert body["totals"]["OPEN_LICENSE"]["contract_fen"] == 10_000_000  # the patent fee alone


def test_the_export_summary_has_a_services_row_apart_from_the_licences(app, session):
    licensed_with_services()
    out = io.BytesIO()
    write_xlsx(out, db.session, Selection(period=year(today_local().year)), today=today_local())
    rows = [[c for c in r] for r in load_workbook(io.BytesIO(out.getvalue()), read_only=True)["汇总"].iter_rows(values_only=True)]
    (services,) = [r for r in rows if len(r) > 1 and r[1] == "OPEN_LICENSE_SERVICES"]
    (open_licences,) = [r for r in rows if len(r) > 1 and r[1] == "OPEN_LICENSE"]
    assert services[0].startswith("技术服务金额") and float(services[4]) == 12_000 and float(services[5]) == 12_000
    assert float(open_licences[4]) == 100_000  # two licences of ¥50,000; no service in it


def test_the_universitys_annual_report_shows_service_income_apart(session):
    w, with_services, _ = licensed_with_services()
    report = annual_report(db.session, w.uni, today_local().year)
    assert report.service_income_fen == 1_200_000 and [i.deal_id for i in report.service_income] == [with_services.id]
    assert report.income_fen == 10_000_000  # the two patent fees only
    assert report.total.contract_fen == 10_000_000


def test_service_fees_are_not_in_the_licence_income_contributors_rewards_rest_on(session):
    _, with_services, without = licensed_with_services()
    assert contributors.received_fen(with_services) == contributors.received_fen(without) == 5_000_000


def test_the_kept_services_figure_follows_a_new_take_and_its_payment(app, client):
    """Kept between requests (statistics/kept.py), the figure is computed again once a take with
    services, or a service payment, is committed."""
    with app.test_request_context():
        licensed_with_services()
        later = wb.world()  # another declaration, taken after the figure was kept
        decl = wb.announced(later)
        consulting = extras.offer_service(later.uni_user, decl, {"kind": "CONSULTING", "description": "工艺咨询",
                                                                 "unit": "次", "unit_price_fen": 500_000})
        user = f.user(f.organisation("宝山区知识产权局（服务费缓存）", "BUREAU"))
        db.session.commit()
        ids = (decl.id, consulting.id, later.buyer.id, later.buyer_user.id)
        token = issue_api_token(user, "services")[1]
        db.session.commit()
    url, headers = f"/api/v1/statistics/summary?period={today_local().year}", {"Authorization": f"Bearer {token}"}

    def figure() -> dict:
        return client.get(url, headers=headers).get_json()["technical_services"]

    assert figure() == figure() == {"licences": 1, "contract_fen": 1_200_000, "received_fen": 1_200_000}
    decl_id, service_id, org_id, user_id = ids
    with app.test_request_context():
        deal = acquisition.take_open_licence(decl_id, db.session.get(Organisation, org_id),
                                             db.session.get(User, user_id), services={service_id: 1})
        db.session.commit()
        deal_id = deal.id
    # Not licensed before its fee is paid (PL 51 ¶1), so not counted yet; then counted, then its services paid.
    assert figure() == {"licences": 1, "contract_fen": 1_200_000, "received_fen": 1_200_000}
    for kind, expected in (("LUMP_SUM", {"licences": 2, "contract_fen": 1_700_000, "received_fen": 1_200_000}),
                           ("SERVICE_FEE", {"licences": 2, "contract_fen": 1_700_000, "received_fen": 1_700_000})):
        with app.test_request_context():
            _pay(db.session.get(Deal, deal_id), kind)
            db.session.commit()
        assert figure() == expected, kind
