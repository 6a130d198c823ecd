"""The dashboard, drill-down, exports, public page and API: scopes, bad input, the same figures."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.statistics.export import TITLE_ROWS
from tests import factories as f
from tests.statistics import ledger


@pytest.fixture
def chain(session):
    bureau = f.organisation("宝山区知识产权局（测试）", "BUREAU")
    uni = f.organisation("上海测试大学", "UNIVERSITY", district="宝山区")
    firm = f.organisation("宝山测试企业", "PRIVATE", district="宝山区")
    other = f.organisation("另一家测试企业", "PRIVATE", district="静安区")
    operator = f.organisation("测试网点运营", "POINT_OPERATOR")
    p1, p2 = f.point(operator, name="测试网点甲"), f.point(name="测试网点乙")
    pat1, pat2 = f.patent(uni, ipc=["H01M 50/449"]), f.patent(uni, ipc=["A61K 31/496"])
    t = ledger.deal("TRANSFER", pat1, uni, firm, point=p1, on=date(2024, 3, 5), price_fen=1_234_567_89,
                    payments=[(date(2024, 3, 20), 1_000_000_00)])
    lic = ledger.deal("LICENSE_ORDINARY", pat2, uni, other, point=p2, on=date(2024, 5, 6), price_fen=50_000_00)
    orgs = {"bureau": bureau, "uni": uni, "firm": firm, "other": other, "operator": operator}
    db.session.commit()
    return {"orgs": orgs, "users": {}, "transfer": t, "licence": lic, "p1": p1, "p2": p2}


def _user(chain, who):
    """Users are made on demand: hashing a password is the slowest part of a test."""
    if who not in chain["users"]:
        chain["users"][who] = f.user(chain["orgs"][who])
        db.session.commit()
    return chain["users"][who]


def _login(client, chain, who):
    f.login(client, _user(chain, who))


def test_the_bureau_sees_district_figures_with_a_drill_down(client, chain):
    _login(client, chain, "bureau")
    html = client.get("/statistics/?period=2024").get_data(as_text=True)
    assert "2024年" in html and "测试网点甲" in html
    assert "123.46 万元" in html  # the transfer's contract amount
    assert "/statistics/deals?" in html
    deals = client.get("/statistics/deals?period=2024&type=TRANSFER").get_data(as_text=True)
    assert chain["transfer"].reference in deals and chain["licence"].reference not in deals
    assert f"DJ-{chain['transfer'].id}" in deals  # the registration number from the ledger
    assert f"PAY-{chain['transfer'].id}-1" in deals  # the payment reference


def test_a_point_operator_sees_only_its_points(client, chain):
    _login(client, chain, "operator")
    html = client.get("/statistics/deals?period=2024").get_data(as_text=True)
    assert chain["transfer"].reference in html and chain["licence"].reference not in html
    assert client.get("/statistics/?period=2024&scope=district").status_code == 403


def test_an_organisation_sees_only_its_own_deals(client, chain):
    _login(client, chain, "other")
    html = client.get("/statistics/deals?period=2024").get_data(as_text=True)
    assert chain["licence"].reference in html and chain["transfer"].reference not in html
    assert client.get("/statistics/?scope=district").status_code == 403
    assert client.get("/statistics/export?scope=district&format=csv").status_code == 403
    assert client.get("/statistics/?scope=point").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, chain):
    assert client.get("/statistics/").status_code == 302


@pytest.mark.parametrize("query, needle", [
    ("from=2024-12-31&to=2024-01-01", "晚于截止日期"),
    ("flavour=sweet", "未知的统计维度"),
    ("industry=SPACE", "没有取值"),
    ("period=2024-13", "无法识别的统计期间"),
    ("from=2024-01-01", "同时给出"),
    ("basis=signed", "计数日期"),
])
def test_bad_input_is_explained(client, chain, query, needle):
    _login(client, chain, "bureau")
    response = client.get(f"/statistics/?{query}")
    assert response.status_code == 400
    assert needle in response.get_data(as_text=True)


def test_an_empty_period_shows_zeros(client, chain):
    _login(client, chain, "bureau")
    response = client.get("/statistics/?period=2019-Q1")
    assert response.status_code == 200
    assert "本期没有交易" in response.get_data(as_text=True)


def test_the_csv_export_has_a_bom_chinese_headers_and_one_row_per_deal(client, chain):
    _login(client, chain, "bureau")
    # buffered: the body is read inside the request's own context (the fixture gives each its own).
    response = client.get("/statistics/export?period=2024&format=csv", buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff交易编号,交易类型")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3
    by_ref = {r[0]: r for r in rows[1:]}
    transfer = by_ref[chain["transfer"].reference]
    assert transfer[1] == "转让" and transfer[3] == "2024-03-05" and transfer[22] == "1234567.89"
    assert transfer[23] == "1000000.00" and transfer[20] == "测试网点甲"


def test_the_xlsx_export_has_a_sheet_per_pivot_the_detail_and_the_rules(client, chain):
    _login(client, chain, "bureau")
    response = client.get("/statistics/export?period=2024&format=xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert {"汇总", "按期间", "按网点", "按产业", "按供方类型", "交叉汇总", "明细", "统计口径"} <= set(wb.sheetnames)
    summary = {row[1]: row for row in list(wb["汇总"].iter_rows(values_only=True))[TITLE_ROWS:] if len(row) > 1}
    assert summary["DEALS"][2] == 2 and float(summary["DEALS"][4]) == 1_284_567.89
    detail = list(wb["明细"].iter_rows(values_only=True))[TITLE_ROWS:]  # below the title and period rows
    assert len(detail) == 3 and detail[0][0] == "交易编号"
    rules = " ".join(str(c) for row in wb["统计口径"].iter_rows(values_only=True) for c in row if c)
    assert "转让登记日" in rules and "件" in rules and "sei-ipc-2021.v1" in rules and "作废" in rules


def test_the_public_page_needs_no_login_and_shows_the_ledger_totals(client, chain):
    response = client.get("/statistics/public")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "政务公开" in html and "128.46 万元" in html and "测试网点甲" in html


def test_the_api_gives_the_same_figures_and_refuses_district_figures_to_others(client, chain):
    token = issue_api_token(_user(chain, "bureau"), "stats")[1]
    body = client.get("/api/v1/statistics/summary?period=2024",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["totals"]["DEALS"] == {"transactions": 2, "patents": 2, "contract_fen": 1_284_567_89,
                                       "received_fen": 1_000_000_00}
    pivot = client.get("/api/v1/statistics/pivot?period=2024&by=point",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {r["label"]: r["figures"]["DEALS"]["transactions"] for r in pivot["rows"]}["测试网点甲"] == 1
    deals = client.get("/api/v1/statistics/deals?period=2024&type=TRANSFER",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert deals["total"] == 1 and [line["kind"] for line in deals["items"][0]["ledger"] if line["basis"]] == ["REGISTRATION"]
    other = issue_api_token(_user(chain, "firm"), "stats")[1]
    refused = client.get("/api/v1/statistics/summary?scope=district", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "statistics.district_forbidden"
    bad = client.get("/api/v1/statistics/pivot?by=colour", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "statistics.dimension_unknown"
    public = client.get("/api/v1/statistics/public").get_json()
    # Public figures count verified deals only (issue 12 §4); these two are on the ledger, unverified.
    assert public["totals"]["DEALS"]["transactions"] == 0
    assert sum(r["figures"]["DEALS"]["transactions"] for r in public["by_evidence"]) == 2


def test_more_breakdowns_are_one_click_away_and_unknown_ones_refused(client, chain):
    _login(client, chain, "bureau")
    html = client.get("/statistics/?period=2024").get_data(as_text=True)
    assert 'id="by-point"' in html and 'id="by-demander_geo"' not in html
    assert "by=evidence%2Cpoint%2Cindustry%2Cdemander_geo" in html
    html = client.get("/statistics/?period=2024&by=point,demander_geo").get_data(as_text=True)
    assert 'id="by-demander_geo"' in html and "上海市其他区" in html  # 静安区 licensee
    response = client.get("/statistics/?period=2024&by=point,colour")
    assert response.status_code == 400 and "未知的统计维度" in response.get_data(as_text=True)


def test_a_closed_period_explains_what_changed_after_it_closed(client, chain, session):
    from datetime import datetime

    uni = db.session.get(type(chain["transfer"].seller), chain["transfer"].seller_org_id)
    firm = db.session.get(type(uni), chain["transfer"].buyer_org_id)
    voided = ledger.deal("TRANSFER", f.patent(uni), uni, firm, on=date(2024, 6, 1), price_fen=7_000_00,
                         recorded_at=datetime(2024, 6, 1, 3), void_on=date(2025, 2, 1),
                         void_recorded_at=datetime(2025, 2, 1, 3))
    db.session.commit()
    _login(client, chain, "bureau")
    html = client.get("/statistics/?period=2024-Q2").get_data(as_text=True)
    assert "本期结束后台账有变动" in html and "期末后作废 1 笔" in html
    page = client.get("/statistics/revisions?period=2024-Q2").get_data(as_text=True)
    assert voided.reference in page and "作废：录入错误" in page
    assert "-7,000.00 元" in page


@pytest.mark.parametrize("path", ["/statistics/?period=2024&by=point,industry,supplier_type", "/statistics/deals?period=2024",
                                  "/statistics/revisions?period=2024", "/statistics/public"])
def test_the_pages_keep_to_the_content_security_policy(client, chain, path):
    import re

    _login(client, chain, "bureau")
    html = client.get(path).get_data(as_text=True)
    assert " style=" not in html and "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "交易统计" in html and "政务公开" in html  # in the navigation and the footer


def test_a_drill_down_page_past_any_real_page_is_the_last_bound_not_an_error(client, chain):
    _login(client, chain, "bureau")
    response = client.get("/statistics/deals?period=2024&page=9223372036854775808")
    assert response.status_code == 200
