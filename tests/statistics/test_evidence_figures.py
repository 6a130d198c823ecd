"""Figures that show their evidence (issue 12 §4): by evidence level, verified-only public figures,
absurd amounts held for the point's confirmation, and licences filed with CNIPA (备案次数)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from market.accounts.services import issue_api_token
from market.core.errors import Conflict
from market.core.extensions import db
from market.deals import evidence, verification
from market.statistics import queries
from market.statistics.export import TITLE_ROWS
from market.statistics.measures import Column
from market.statistics.periods import year
from market.statistics.queries import Selection
from tests import factories as f
from tests.statistics import ledger

TEN_TRILLION_YUAN_FEN = 10 * 10**12 * 100


@pytest.fixture
def world(session):
    bureau = f.organisation("宝山区知识产权局（证据测试）", "BUREAU")
    operator = f.organisation("证据测试网点运营", "POINT_OPERATOR")
    uni = f.organisation("证据测试大学", "UNIVERSITY", district="宝山区")
    firm = f.organisation("证据测试企业", "PRIVATE", district="宝山区")
    shell_a = f.organisation("合谋甲公司", "PRIVATE", district="宝山区")
    shell_b = f.organisation("合谋乙公司", "PRIVATE", district="宝山区")
    point = f.point(operator, name="证据测试网点")
    pats = [f.patent(uni) for _ in range(3)]
    transfer = ledger.deal("TRANSFER", pats[0], uni, firm, point=point, on=date(2024, 3, 5), price_fen=300_000_00,
                           payments=[(date(2024, 3, 20), 300_000_00)])
    licence = ledger.deal("LICENSE_ORDINARY", pats[1], uni, firm, point=point, on=date(2024, 5, 6),
                          price_fen=50_000_00, effective=date(2023, 11, 1))
    absurd = ledger.deal("TRANSFER", f.patent(shell_a), shell_a, shell_b, point=point, on=date(2024, 6, 1),
                         price_fen=TEN_TRILLION_YUAN_FEN)
    for deal in (transfer, licence, absurd):
        evidence.refresh(deal)
    users = {"bureau": f.user(bureau), "operator": f.user(operator), "shell": f.user(shell_a)}
    db.session.commit()
    return {"users": users, "transfer": transfer, "licence": licence, "absurd": absurd, "point": point,
            "patents": pats, "uni": uni, "firm": firm}


def _api(client, user):
    token = issue_api_token(user, "evidence")[1]
    return lambda path: client.get(path, headers={"Authorization": f"Bearer {token}"}).get_json()


def test_two_colluding_parties_cannot_put_ten_trillion_yuan_into_the_figures(client, world):
    """A 10-trillion-yuan transfer counts nowhere until the point confirms the amount, even once verified."""
    api = _api(client, world["users"]["bureau"])
    absurd = world["absurd"]
    # The parties' own ledger line says REGISTRATION; the point even verified the documents.
    verification.verify_deal(world["users"]["operator"], absurd, "登记号与登记簿一致")
    verification.verify_deal(world["users"]["operator"], world["transfer"], "核对了转让登记证明")
    db.session.commit()

    totals = api("/api/v1/statistics/summary?period=2024")["totals"]["DEALS"]
    assert totals["transactions"] == 2 and totals["contract_fen"] == 350_000_00
    public = api("/api/v1/statistics/public")
    assert public["totals"]["DEALS"]["contract_fen"] == 300_000_00
    assert sum(r["figures"]["DEALS"]["contract_fen"] for r in public["by_evidence"]) == 350_000_00
    deals = api("/api/v1/statistics/deals?period=2024")
    assert absurd.reference not in {d["reference"] for d in deals["items"]}

    # It waits in the point's (and the bureau's) review queue, and its deal page says why.
    assert [d.id for d in verification.review_queue(world["users"]["operator"]).amounts] == [absurd.id]
    assert [d.id for d in verification.review_queue(world["users"]["bureau"]).amounts] == [absurd.id]
    f.login(client, world["users"]["operator"])
    assert absurd.reference in client.get("/deals/review").get_data(as_text=True)
    page = client.get(f"/deals/{absurd.id}").get_data(as_text=True)
    assert "超过单笔复核线" in page and "确认金额" in page

    # Confirmed by the operator (a ledger line with the amount), it counts.
    line = verification.confirm_amount(world["users"]["operator"], absurd, "经核对合同与银行流水，金额属实")
    db.session.commit()
    assert line.kind == "AMOUNT_CONFIRMED" and line.amount_fen == TEN_TRILLION_YUAN_FEN
    totals = api("/api/v1/statistics/summary?period=2024")["totals"]["DEALS"]
    assert totals["transactions"] == 3 and totals["contract_fen"] == 350_000_00 + TEN_TRILLION_YUAN_FEN
    assert verification.review_queue(world["users"]["operator"]).amounts == []


def test_the_amount_review_line_is_configurable(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "DEAL_AMOUNT_REVIEW_FEN", 100_000_00)  # 10 万元
    sel = Selection(period=year(2024), amount_review_fen=evidence.amount_review_fen())
    totals = queries.aggregate(db.session, sel).totals[Column.DEALS]
    assert totals.transactions == 1 and totals.contract_fen == 50_000_00  # only the licence is under the line


def test_a_confirmation_is_for_the_amount_confirmed(world):
    """A confirmed amount that later changes is held again: the line names the amount it confirmed."""
    absurd = world["absurd"]
    verification.confirm_amount(world["users"]["bureau"], absurd, "金额经核对属实")
    assert not evidence.awaits_amount_review(absurd)
    absurd.price_fen = TEN_TRILLION_YUAN_FEN + 1
    assert evidence.awaits_amount_review(absurd)
    sel = Selection(period=year(2024))
    db.session.flush()
    assert queries.aggregate(db.session, sel).totals[Column.DEALS].transactions == 2


def test_confirming_an_ordinary_amount_is_refused_and_changes_nothing(world):
    deal = world["transfer"]
    before = len(deal.events)
    with pytest.raises(Conflict) as refused:
        verification.confirm_amount(world["users"]["operator"], deal, "金额经核对属实")
    assert "无需确认" in refused.value.zh and "DEAL_AMOUNT_REVIEW_FEN" in refused.value.en
    assert len(deal.events) == before


def test_every_figure_breaks_down_and_filters_by_evidence_level(client, world):
    verification.verify_deal(world["users"]["operator"], world["transfer"], "核对了转让登记证明")
    db.session.commit()
    api = _api(client, world["users"]["bureau"])
    pivot = api("/api/v1/statistics/pivot?period=2024&by=evidence")
    rows = {r["key"]: r["figures"]["DEALS"]["transactions"] for r in pivot["rows"]}
    # The transfer verified; the licence only the parties' word (the absurd amount counts nowhere).
    assert rows == {"VERIFIED": 1, "DOCUMENTED": 0, "SELF_DECLARED": 1}
    self_declared = api("/api/v1/statistics/summary?period=2024&evidence=SELF_DECLARED")["totals"]
    assert self_declared["DEALS"]["contract_fen"] == 50_000_00
    deals = api("/api/v1/statistics/deals?period=2024&evidence=VERIFIED")
    assert [d["reference"] for d in deals["items"]] == [world["transfer"].reference]
    assert deals["items"][0]["keys"]["evidence"] == "VERIFIED"
    bad = client.get("/api/v1/statistics/summary?evidence=TRUSTED",
                     headers={"Authorization": f"Bearer {issue_api_token(world['users']['bureau'], 'x')[1]}"})
    assert bad.status_code == 400

    f.login(client, world["users"]["bureau"])
    html = client.get("/statistics/?period=2024").get_data(as_text=True)
    assert 'id="by-evidence"' in html and "已核实" in html and "当事人自报" in html
    response = client.get("/statistics/export?period=2024&format=xlsx")
    wb = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = {row[1]: row for row in list(wb["按证据等级"].iter_rows(values_only=True))[TITLE_ROWS:] if len(row) > 2}
    assert sheet["VERIFIED"][2] == 1 and sheet["SELF_DECLARED"][2] == 1
    detail = list(wb["明细"].iter_rows(values_only=True))[TITLE_ROWS:]  # below the title and period rows
    assert detail[0][-1] == "证据等级"
    assert {r[0]: r[-1] for r in detail[1:]}[world["transfer"].reference] == "已核实（国知局登记簿或服务点）"
    csv_text = client.get("/statistics/export?period=2024&format=csv&pivot=evidence", buffered=True).get_data().decode()
    assert "已核实" in csv_text


def test_public_figures_count_verified_deals_and_say_so(client, world):
    public = client.get("/statistics/public").get_data(as_text=True)
    assert "仅统计经核实的交易" in public
    assert client.get("/api/v1/statistics/public").get_json()["totals"]["DEALS"]["transactions"] == 0
    verification.verify_deal(world["users"]["bureau"], world["licence"], "核对了备案证明")
    db.session.commit()
    body = client.get("/api/v1/statistics/public").get_json()
    assert body["counts"] == "VERIFIED"
    assert body["totals"]["DEALS"]["transactions"] == 1 and body["totals"]["DEALS"]["contract_fen"] == 50_000_00
    english = client.get("/statistics/public?lang=en").get_data(as_text=True)
    assert "Verified deals only" in english


def test_licence_filings_count_by_filing_date_on_cnipa_basis(client, world):
    """备案次数: the licence filed in 2024 counts in 2024 even when licences are counted by effective date."""
    api = _api(client, world["users"]["bureau"])
    filing = api("/api/v1/statistics/summary?period=2024")["totals"]
    assert filing["LICENCE_FILINGS"]["transactions"] == 1
    assert filing["DEALS"]["transactions"] == 2  # a second count of licences, never a deal
    effective = api("/api/v1/statistics/summary?period=2024&basis=effective")["totals"]
    assert effective["LICENSE_ORDINARY"]["transactions"] == 0  # effective in 2023
    assert effective["LICENCE_FILINGS"]["transactions"] == 1
    assert api("/api/v1/statistics/summary?period=2023&basis=effective")["totals"]["LICENCE_FILINGS"]["transactions"] == 0
    # An open licence filed with CNIPA is a licence filing too.
    ol = ledger.deal("OPEN_LICENSE", world["patents"][2], world["uni"], world["firm"], point=world["point"],
                     on=date(2024, 7, 1), fee_terms={"mode": "LUMP_SUM", "lump_fen": 10_000_00},
                     extra=[("FILING", date(2024, 8, 1))])
    db.session.commit()
    totals = api("/api/v1/statistics/summary?period=2024")["totals"]
    assert totals["LICENCE_FILINGS"]["transactions"] == 2 and totals["OPEN_LICENSE"]["transactions"] == 1
    # Lists show each deal once: a filing is not a second row.
    deals = api("/api/v1/statistics/deals?period=2024")
    assert [d["reference"] for d in deals["items"]].count(ol.reference) == 1
    only = api("/api/v1/statistics/deals?period=2024&type=LICENCE_FILING")
    assert {d["reference"] for d in only["items"]} == {ol.reference, world["licence"].reference}

    f.login(client, world["users"]["bureau"])
    assert "许可备案次数" in client.get("/statistics/?period=2024").get_data(as_text=True)
    wb = load_workbook(io.BytesIO(client.get("/statistics/export?period=2024&format=xlsx").get_data()), read_only=True)
    summary = {row[1]: row for row in list(wb["汇总"].iter_rows(values_only=True))[TITLE_ROWS:] if len(row) > 5}
    assert summary["LICENCE_FILINGS"][2] == 2
