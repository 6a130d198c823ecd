"""The register import: records, idempotence, rejected rows, term, annual fees, owners and provenance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from listings import patents as patent_service
from listings.importing.columns import suggest_mapping
from listings.importing.readers import read_table
from listings.importing.service import ImportOptions, import_table
from listings.importing.status import import_status_updates
from listings.models import LegalEvent
from listings.patent_input import clean_patent
from listings.vocabulary import LegalStatus
from market.accounts.services import issue_api_token
from market.core.errors import Conflict
from market.core.extensions import db
from market.core.time import today_local
from market.deals import reminders
from tests import factories as f
from tests.deals import royalty_builders as rb


def _import(text: str):
    result = import_status_updates(read_table(text.encode("utf-8"), "register.csv"))
    db.session.flush()
    return result


@pytest.fixture
def uni(session):
    return f.organisation("上海示范大学")


def test_register_events_are_records_and_a_second_import_adds_nothing(uni):
    p = f.patent(uni)
    text = ("申请号,事件,日期,质权人\n"
            f"{p.application_number},专利权质押合同登记的生效,2024-03-01,上海银行宝山支行\n"
            f"{p.application_number},专利权人的姓名或者名称、地址的变更,2024-04-01,\n")
    first = _import(text)
    assert (first.recorded, first.already_recorded, first.rejected) == (2, 0, [])
    pledge = next(fl for fl in p.flags if fl.flag == "PLEDGED" and fl.active)
    assert pledge.pledgee == "上海银行宝山支行"
    again = _import(text)
    assert (again.recorded, again.already_recorded) == (0, 2)
    count = db.session.scalar(select(func.count(LegalEvent.id)).where(LegalEvent.patent_id == p.id))
    assert count == 2
    assert {e.source for e in db.session.scalars(select(LegalEvent).where(LegalEvent.patent_id == p.id))} == {"REGISTER"}


def test_a_register_file_reads_its_patents_and_their_events_once_not_per_row(uni):
    # Before: every row looked its patent up, then its stored events twice (to skip a repeat, to refold).
    patents = [f.patent(uni) for _ in range(3)]
    db.session.flush()
    db.session.expire_all()
    text = "申请号,事件,日期\n" + "".join(
        f"{p.application_number},{event},{day}\n" for p in patents
        for event, day in (("专利权质押合同登记的生效", "2024-03-01"), ("专利权质押合同登记的注销", "2024-09-01")))
    reads: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        result = _import(text)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert result.recorded == 6
    assert sum("FROM patents" in r and "application_number IN" in r for r in reads) == 1
    assert sum("FROM legal_events" in r for r in reads) == 1


def test_a_pledge_release_in_the_register_ends_the_encumbrance(uni):
    p = f.patent(uni)
    _import(f"申请号,事件,日期\n{p.application_number},专利权质押合同登记的生效,2024-03-01\n")
    assert "PLEDGED" in p.active_flags()
    _import(f"申请号,事件,日期\n{p.application_number},专利权质押合同登记的注销,2024-09-01\n")
    assert "PLEDGED" not in p.active_flags()


@pytest.mark.parametrize("row, reason", [
    ("202010123456.7,专利权的终止,2024-01-01,", "校验位"),
    ("{app},专利权的终止,,", "日期"),
    ("{app},,2024-01-01,", "事件"),
    ("{app},专利实施许可合同备案的生效,2024-01-01,独家", "许可类型"),
    ("{app},专利权期限补偿,2024-01-01,", "补偿天数"),
    ("202310999999.4,专利权的终止,2024-01-01,", "平台上没有专利"),
])
def test_each_rejected_register_row_is_reported_with_its_reason_in_chinese_first(uni, row, reason):
    p = f.patent(uni)
    result = _import("申请号,事件,日期,许可类型\n" + row.format(app=p.application_number) + "\n")
    (number, text), = result.rejected
    assert number == 2 and reason in text and text.index(" / ") > 0
    assert result.recorded == 0


def test_term_compensation_in_the_register_extends_the_last_protected_day(uni):
    # Before: a compensated invention still lapsed at 20 years.
    p = f.patent(uni, filing=date(2010, 3, 1))
    assert p.last_protected_day == date(2030, 2, 28)
    _import(f"申请号,事件,日期,补偿天数\n{p.application_number},专利权期限补偿,2014-06-01,400\n")
    assert p.term_extension_days == 400
    assert p.last_protected_day == date(2030, 2, 28) + timedelta(days=400)


def test_design_term_follows_the_configured_DESIGN_15Y_FROM(app, uni):
    # Before: the code used a constant and never read DESIGN_15Y_FROM.
    app.config["DESIGN_15Y_FROM"] = "2021-01-01"
    try:
        p = f.patent(uni, type_code="3", filing=date(2021, 3, 1))
        assert p.last_protected_day == date(2036, 2, 29)
    finally:
        app.config["DESIGN_15Y_FROM"] = "2021-06-01"
    patent_service.refresh_derived(p)
    assert p.last_protected_day == date(2031, 2, 28)


def test_a_filing_date_after_the_year_in_the_number_is_refused_naming_both():
    clean = clean_patent({"application_number": "95115608.X", "title": "测试", "filing_date": "2020-05-01"},
                         today=date(2026, 1, 1))
    (problem,) = [p for p in clean.problems if p.field == "filing_date"]
    assert "2020-05-01" in problem.zh and "1995" in problem.zh and "95115608.X" in problem.zh


def test_a_register_row_whose_filing_date_contradicts_its_number_is_rejected(uni):
    p = f.patent(uni)
    result = _import(f"申请号,事件,日期,申请日\n{p.application_number},授权,2022-01-05,2024-03-01\n")
    (_row, text), = result.rejected
    assert "申请日" in text and p.application_number in text


def test_the_api_refuses_a_filing_date_that_contradicts_the_number(client, uni):
    token = issue_api_token(f.user(uni), "t")[1]
    response = client.post("/api/v1/patents", headers={"Authorization": "Bearer " + token},
                           json={"application_number": "95115608.X", "title": "测试", "patent_type": "INVENTION",
                                 "filing_date": "2020-05-01"})
    assert response.status_code == 422
    assert "filing_date" in response.get_json()["error"]["fields"]


def test_R_OL_4_the_fee_paid_through_date_puts_a_patent_in_the_grace_period(uni):
    # Before: nothing filled the paid-through date, so FEE_GRACE never came from real data.
    p = f.patent(uni)
    paid = today_local() - timedelta(days=20)
    _import(f"申请号,事件,日期,年费缴至\n{p.application_number},专利权维持,{paid.isoformat()},{paid.isoformat()}\n")
    assert p.annual_fee_paid_through == paid and p.legal_status == LegalStatus.FEE_GRACE
    later = today_local() + timedelta(days=300)
    _import(f"申请号,事件,日期,年费缴至\n{p.application_number},专利权维持,{today_local()},{later.isoformat()}\n")
    assert p.legal_status == LegalStatus.VALID


def test_R_LC_8_annual_fee_reminders_fire_from_the_imported_paid_through_date(uni):
    parties = rb.parties()
    deal = rb.deal(parties, status="ACTIVE", fee_terms={"mode": "LUMP_SUM", "lump_fen": 1_000_000})
    due = today_local() + timedelta(days=20)
    _import(f"申请号,事件,日期,年费缴至\n{deal.patent.application_number},专利权维持,{today_local()},{due}\n")
    assert reminders.send_reminders(today_local())["ANNUAL_FEE:soon"] == 1


def test_a_portfolio_import_cannot_drop_a_co_owner(uni):
    # Before: a row naming only the importer made a co-owned patent the importer's alone.
    p = f.patent(uni, co_owners=["上海某研究所"])
    data = ("申请号,名称,专利权人,申请日\n"
            f"{p.application_number},{p.title},{uni.name},{p.filing_date.isoformat()}\n").encode("utf-8")
    table = read_table(data, "mine.csv")
    result = import_table(table, suggest_mapping(table.headers), uni, ImportOptions())
    assert p.owner_names == [uni.name, "上海某研究所"]
    assert result.rejected and "上海某研究所" in result.rejected[0].reasons_zh[0]


def test_a_user_cannot_drop_co_owners_through_the_service(uni):
    p = f.patent(uni, co_owners=["上海某研究所"])
    with pytest.raises(Conflict) as err:
        patent_service.upsert_patent({"application_number": p.application_number, "patent_type": p.patent_type},
                                     owners=[uni.name])
    assert "上海某研究所" in err.value.zh and "R-TR-3" in err.value.zh


def test_a_patent_typed_by_a_user_is_unconfirmed_until_the_register_confirms_it(client, uni):
    token = issue_api_token(f.user(uni), "t")[1]
    number = f.application_number()
    response = client.post("/api/v1/patents", headers={"Authorization": "Bearer " + token},
                           json={"application_number": number, "title": "测试", "patent_type": "INVENTION",
                                 "owners": []})
    body = response.get_json()
    assert response.status_code == 201 and body["owners_source"] == "USER"
    assert set(body["unconfirmed"]) == {"owners", "legal_status", "dates"}
    _import(f"申请号,事件,日期,专利权人\n{number},授权,2022-01-05,{uni.name}；上海某研究所\n")
    db.session.commit()
    body = client.get("/api/v1/patents/" + number).get_json()
    assert [o["name"] for o in body["owners"]] == [uni.name, "上海某研究所"]
    assert body["unconfirmed"] == ["dates"] and body["legal_status_source"] == "REGISTER"


def test_R_OL_4_the_daily_job_puts_a_patent_in_grace_once_its_paid_through_date_passes(uni):
    p = f.patent(uni)
    paid = today_local() + timedelta(days=5)
    _import(f"申请号,事件,日期,年费缴至\n{p.application_number},专利权维持,{today_local()},{paid}\n")
    assert p.legal_status == LegalStatus.VALID
    summary = reminders.run_daily(paid + timedelta(days=1))
    assert summary["fee_grace_entered"] == 1 and p.legal_status == LegalStatus.FEE_GRACE


def test_a_portfolio_export_that_agrees_with_the_register_leaves_it_confirmed(uni):
    p = f.patent(uni)
    data = ("申请号,名称,专利权人,法律状态,法律状态日\n"
            f"{p.application_number},{p.title},{uni.name},授权,2022-01-05\n").encode("utf-8")
    table = read_table(data, "mine.csv")
    result = import_table(table, suggest_mapping(table.headers), uni, ImportOptions())
    assert not result.rejected
    assert p.legal_status_source == "REGISTER" and p.legal_status == LegalStatus.VALID
