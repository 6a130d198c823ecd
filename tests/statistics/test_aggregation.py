"""The counting over ledger rows written directly: basis dates, units, voids, amounts, dimensions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from market.deals.fees import FeeTerms
from market.statistics import queries
from market.statistics.measures import Basis, Column
from market.statistics.periods import month, parse_period, quarter, year
from market.statistics.queries import Scope, Selection
from tests import factories as f
from tests.statistics import ledger


@pytest.fixture
def world(session):
    uni = f.organisation("复旦测试大学", "UNIVERSITY", district="杨浦区")
    soe = f.organisation("宝武测试集团", "SOE", soe_level="CENTRAL", district="宝山区")
    firm = f.organisation("宝山测试电池公司", "PRIVATE", district="宝山区")
    zj = f.organisation("杭州测试科技公司", "PRIVATE", province="浙江省", district="西湖区")
    op = f.organisation(org_type="POINT_OPERATOR")
    p1, p2 = f.point(op), f.point()
    battery = f.patent(uni, ipc=["H01M 50/449"])  # new-energy vehicles & new energy
    drug = f.patent(uni, ipc=["A61K 31/496"])
    steel = f.patent(soe, ipc=["C21D 1/00"])
    return {"uni": uni, "soe": soe, "firm": firm, "zj": zj, "op": op, "p1": p1, "p2": p2,
            "battery": battery, "drug": drug, "steel": steel}


def totals(session, period, **kw):
    return queries.aggregate(session, Selection(period=period, **kw)).totals


def test_an_empty_period_gives_zeros_not_errors(session, world):
    t = totals(session, year(2031))
    assert all(c.empty for c in t.values())


def test_each_type_counts_on_its_own_basis_date(session, world):
    w = world
    # Requested in 2023, registered in January 2024: it counts in 2024.
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 1, 10), price_fen=500_000_00)
    # Filed in 2024, signed 2023.
    ledger.deal("LICENSE_EXCLUSIVE", w["drug"], w["uni"], w["zj"], on=date(2024, 3, 2),
                effective=date(2023, 12, 20), price_fen=80_000_00)
    ledger.deal("EQUITY", w["steel"], w["soe"], w["firm"], on=date(2024, 6, 30), price_fen=3_000_000_00)
    ledger.deal("OPEN_LICENSE", w["drug"], w["uni"], w["firm"], on=date(2024, 7, 1),
                fee_terms={"mode": "LUMP_SUM", "lump_fen": 2_000_00})
    # Never reached its basis date: not a deal yet.
    ledger.deal("TRANSFER", w["steel"], w["soe"], w["zj"], on=None, price_fen=9_999_00)

    t = totals(session, year(2024))
    assert t[Column.TRANSFER].transactions == 1 and t[Column.TRANSFER].contract_fen == 500_000_00
    assert t[Column.LICENSE_EXCLUSIVE].transactions == 1
    assert t[Column.EQUITY].contract_fen == 3_000_000_00
    assert t[Column.OPEN_LICENSE].contract_fen == 2_000_00
    assert t[Column.DEALS].transactions == 4
    assert t[Column.DEALS].contract_fen == 500_000_00 + 80_000_00 + 3_000_000_00 + 2_000_00
    # Two licences on one patent: 2 次, 1 件.
    assert (t[Column.LICENCES].transactions, t[Column.LICENCES].patents) == (2, 1)
    assert t[Column.DEALS].patents == 3
    # By quarter: the equity deal registered on 30 June is in Q2, not Q3.
    assert totals(session, quarter(2024, 2))[Column.DEALS].transactions == 1
    assert totals(session, quarter(2024, 3))[Column.OPEN_LICENSE].transactions == 1
    # The contract effective date as the alternate licence basis moves the licence to 2023.
    assert totals(session, year(2023), basis=Basis.EFFECTIVE)[Column.LICENSE_EXCLUSIVE].transactions == 1
    assert totals(session, year(2024), basis=Basis.EFFECTIVE)[Column.LICENSE_EXCLUSIVE].transactions == 0


def test_a_voided_deal_never_counts(session, world):
    w = world
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 5, 1), price_fen=100_00,
                void_on=date(2024, 5, 3))
    ledger.deal("TRANSFER", w["drug"], w["uni"], w["firm"], on=date(2024, 5, 1), price_fen=200_00)
    t = totals(session, month(2024, 5))
    assert (t[Column.TRANSFER].transactions, t[Column.TRANSFER].contract_fen) == (1, 200_00)


def test_received_is_the_payments_dated_up_to_the_period_end(session, world):
    w = world
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 3, 15), price_fen=1_000_00,
                payments=[(date(2024, 3, 20), 300_00), (date(2024, 3, 31), 200_00), (date(2024, 4, 1), 500_00)])
    assert totals(session, month(2024, 3))[Column.TRANSFER].received_fen == 500_00
    assert totals(session, quarter(2024, 1))[Column.TRANSFER].received_fen == 500_00
    assert totals(session, year(2024))[Column.TRANSFER].received_fen == 1_000_00


@pytest.mark.parametrize("terms", [
    {"mode": "LUMP_SUM", "lump_fen": 12_345_67},
    {"mode": "INSTALLMENTS", "lump_fen": 3_000_000_000,
     "instalments": [{"amount_fen": 1_000_000_000, "months_after_start": 0},
                     {"amount_fen": 2_000_000_000, "months_after_start": 6}]},
    {"mode": "ENTRY_PLUS_ROYALTY", "entry_fee_fen": 50_000_00, "royalty_base": "NET_SALES", "royalty_rate": "3"},
    {"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "5"},
    {"mode": "FREE"},
])
def test_a_licence_without_a_price_counts_the_fixed_part_of_its_fee_terms(session, world, terms):
    w = world
    ledger.deal("LICENSE_ORDINARY", w["drug"], w["uni"], w["firm"], on=date(2024, 2, 2), fee_terms=terms)
    expected = FeeTerms.from_dict(terms).fixed_total_fen
    assert totals(session, year(2024))[Column.LICENSE_ORDINARY].contract_fen == expected


def test_declarations_are_counted_on_their_announcement_and_not_as_deals(session, world):
    w = world
    ledger.declaration(w["drug"], w["uni"], announced=date(2024, 4, 8))
    ledger.declaration(w["battery"], w["uni"], announced=None)
    t = totals(session, year(2024))
    assert (t[Column.OPEN_DECLARATION].transactions, t[Column.OPEN_DECLARATION].patents) == (1, 1)
    assert t[Column.DEALS].transactions == 0


def test_breakdowns_by_supplier_geography_industry_and_section(session, world):
    w = world
    ledger.deal("TRANSFER", w["steel"], w["soe"], w["zj"], on=date(2024, 1, 5), point=w["p1"], price_fen=10_00)
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 1, 6), point=w["p1"], price_fen=20_00)
    ledger.deal("LICENSE_SOLE", w["drug"], w["uni"], w["firm"], on=date(2024, 1, 7), price_fen=40_00)
    agg = queries.aggregate(session, Selection(period=year(2024)),
                            ["supplier_type", "demander_geo", "supplier_geo", "industry", "ipc_section", "point"])
    rows = agg.rows
    assert rows["supplier_type"]["SOE_CENTRAL"][Column.DEALS].contract_fen == 10_00
    assert rows["supplier_type"]["UNIVERSITY"][Column.DEALS].transactions == 2
    assert rows["demander_geo"]["YRD"][Column.DEALS].transactions == 1
    assert rows["demander_geo"]["IN_DISTRICT"][Column.DEALS].transactions == 2
    assert rows["supplier_geo"]["OTHER_SHANGHAI"][Column.DEALS].transactions == 2
    # H01M 50/449 maps to two industries: the battery counts in both.
    assert {k for k, v in rows["industry"].items() if v[Column.DEALS].transactions} >= {"NEV", "NEN"}
    assert rows["industry"]["NEV"][Column.TRANSFER].contract_fen == 20_00
    assert rows["ipc_section"]["C"][Column.DEALS].transactions == 1
    assert rows["ipc_section"]["H"][Column.DEALS].transactions == 1
    assert rows["point"][str(w["p1"].id)][Column.TRANSFER].transactions == 2
    assert rows["point"]["NONE"][Column.LICENSE_SOLE].transactions == 1


def test_filters_narrow_every_figure(session, world):
    w = world
    ledger.deal("TRANSFER", w["steel"], w["soe"], w["zj"], on=date(2024, 1, 5), point=w["p1"], price_fen=10_00)
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 1, 6), point=w["p2"], price_fen=20_00)
    t = totals(session, year(2024), filters={"point": str(w["p2"].id)})
    assert t[Column.DEALS].contract_fen == 20_00
    t = totals(session, year(2024), filters={"industry": "NEV", "type": "TRANSFER"})
    assert t[Column.DEALS].contract_fen == 20_00
    t = totals(session, year(2024), filters={"supplier_type": "SOE_CENTRAL"})
    assert t[Column.DEALS].contract_fen == 10_00


def test_scopes_keep_to_a_point_or_an_organisation(session, world):
    w = world
    ledger.deal("TRANSFER", w["steel"], w["soe"], w["zj"], on=date(2024, 1, 5), point=w["p1"], price_fen=10_00)
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 1, 6), point=w["p2"], price_fen=20_00)
    assert totals(session, year(2024), scope=Scope("point", (w["p1"].id,)))[Column.DEALS].contract_fen == 10_00
    assert totals(session, year(2024), scope=Scope("org", org_id=w["firm"].id))[Column.DEALS].contract_fen == 20_00
    assert totals(session, year(2024), scope=Scope("org", org_id=w["zj"].id))[Column.DEALS].contract_fen == 10_00
    assert totals(session, year(2024), scope=Scope("point", ()))[Column.DEALS].transactions == 0


def test_a_trend_buckets_by_basis_month(session, world):
    w = world
    ledger.deal("TRANSFER", w["steel"], w["soe"], w["zj"], on=date(2024, 1, 31), price_fen=10_00)
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 2, 1), price_fen=20_00)
    ledger.deal("TRANSFER", w["drug"], w["uni"], w["firm"], on=date(2024, 11, 30), price_fen=30_00)
    for granularity, expected in [("month", {"2024-01": 10_00, "2024-02": 20_00, "2024-11": 30_00}),
                                  ("quarter", {"2024-Q1": 30_00, "2024-Q4": 30_00}),
                                  ("half", {"2024-H1": 30_00, "2024-H2": 30_00}),
                                  ("year", {"2024": 60_00})]:
        rows = queries.aggregate(session, Selection(period=year(2024)), ["period"], granularity).rows["period"]
        assert {k: v[Column.DEALS].contract_fen for k, v in rows.items()} == expected


def test_a_closed_period_changes_only_by_lines_recorded_after_it_closed(session, world):
    w = world
    q1 = parse_period("2024-Q1")
    close = queries.closing_instant(q1)
    assert close == datetime(2024, 3, 31, 16, 0)  # midnight in Shanghai
    kept = ledger.deal("TRANSFER", w["steel"], w["soe"], w["zj"], on=date(2024, 2, 1), price_fen=10_00,
                       recorded_at=datetime(2024, 2, 1, 3))
    voided = ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 2, 2), price_fen=20_00,
                         recorded_at=datetime(2024, 2, 2, 3), void_on=date(2024, 5, 6),
                         void_recorded_at=datetime(2024, 5, 6, 2))
    late = ledger.deal("LICENSE_ORDINARY", w["drug"], w["uni"], w["firm"], on=date(2024, 3, 30), price_fen=40_00,
                       recorded_at=datetime(2024, 4, 10, 2))
    sel = Selection(period=q1)
    at_close = queries.aggregate(session, sel.replace(as_of=close)).totals
    now = queries.aggregate(session, sel).totals
    assert at_close[Column.DEALS].contract_fen == 30_00
    assert now[Column.DEALS].contract_fen == 50_00
    changes = queries.revisions(session, sel, close)
    assert [(c["change"], c["deal_id"], c["amount_fen"]) for c in changes] == [
        ("LATE_BASIS", late.id, 40_00), ("VOID", voided.id, -20_00)]
    assert at_close[Column.DEALS].contract_fen + sum(c["amount_fen"] for c in changes) == \
        now[Column.DEALS].contract_fen
    assert kept.id not in {c["deal_id"] for c in changes}


def test_a_deal_takes_effect_once_the_database_refuses_a_second_basis_line(session, world):
    from sqlalchemy.exc import IntegrityError

    w = world
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            ledger.deal("EQUITY", w["steel"], w["soe"], w["firm"], on=date(2024, 1, 5), price_fen=10_00,
                        extra=[("CAPITAL_REGISTERED", date(2024, 8, 1))])
    assert totals(session, year(2024))[Column.EQUITY].transactions == 0


def test_void_status_and_void_lines_agree(session, world):
    w = world
    ledger.deal("TRANSFER", w["battery"], w["uni"], w["firm"], on=date(2024, 5, 1), price_fen=100_00,
                void_on=date(2024, 5, 3))
    assert queries.reconcile(session) == []


def test_the_dashboards_cube_gives_the_same_figures_as_one_group_by_per_breakdown(session, world):
    w = world
    for i, (kind, patent, seller, buyer, point) in enumerate([
            ("TRANSFER", "steel", "soe", "zj", "p1"), ("TRANSFER", "battery", "uni", "firm", "p2"),
            ("LICENSE_SOLE", "drug", "uni", "firm", None), ("OPEN_LICENSE", "drug", "uni", "zj", "p1"),
            ("OPEN_LICENSE", "drug", "uni", "firm", "p1"), ("EQUITY", "battery", "uni", "zj", "p2")]):
        ledger.deal(kind, w[patent], w[seller], w[buyer], point=w[point] if point else None,
                    on=date(2024, 1 + 2 * i, 3), price_fen=(i + 1) * 1_000_00, payments=[(date(2024, 12, 1), 500_00)])
    ledger.declaration(w["steel"], w["soe"], announced=date(2024, 6, 1))
    dims = ["period", "point", "industry", "supplier_type", "demander_geo"]
    full = queries.aggregate(session, Selection(period=year(2024)), dims, "quarter", full_rows=True)
    lean = queries.aggregate(session, Selection(period=year(2024)), dims, "quarter", full_rows=False)
    assert full.totals == lean.totals
    for dim in dims:
        assert full.rows[dim].keys() == lean.rows[dim].keys(), dim
        for key, cells in full.rows[dim].items():
            for col, figures in cells.items():
                other = lean.rows[dim][key][col]
                assert (figures.transactions, figures.contract_fen, figures.received_fen) == \
                    (other.transactions, other.contract_fen, other.received_fen), (dim, key, col)
            if dim != "period":
                assert cells[Column.DEALS].patents == lean.rows[dim][key][Column.DEALS].patents, (dim, key)
    assert full.rows["point"][str(w["p1"].id)][Column.DEALS].patents == 2  # steel, drug (licensed twice)
