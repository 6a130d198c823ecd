"""product.md's reference case, built through the deal services, reconciled on dashboard, API and export.

长三角浦江之光专利连锁超市: 11 points; 113 deals — 10 equity investments, 61 transfers, 42 licences of
which 36 open licences — 94.80 million yuan in total. product.md gives no split of the amount, so
this test chooses one (all amounts in yuan):

    equity investments    10   17.5万, 22.5万 … (175万 + 50万·i, i = 0…9)      = 4,000 万
    transfers             61   40万 + 1万·i (i = 0…59) = 4,170 万, and one of 480 万 = 4,650 万
    negotiated licences    6   ordinary 50万, 80万, 120万; sole 100万, 100万; exclusive 150万 = 600 万
    open licences         36   from 12 declarations (230 万):
                               上海大学 one-to-many, 10 licensees × 5万 = 50 万;
                               宝武 one-to-many, 8 licensees × 10万 = 80 万;
                               2 declarations × 3 licensees × 3万 = 18 万;
                               4 declarations × 2 licensees × 5万 = 40 万;
                               4 declarations × 1 licensee × 10.5万 = 42 万 (one of them Shanghai's first one-to-one)
                                                                                  = 9,480 万

Every deal is dated in the last full calendar year (the services refuse legal dates in the future);
a 114th transfer is registered and then voided, and must never count. Distinct patents: 61 + 10 + 6
+ 12 = 89 件 for 113 次. Transfers are paid except every fourth one; licences are paid; equity is paid
in shares; so the amount received is known exactly.
"""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from listings.vocabulary import DealMode
from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals import verification
from market.deals.open_licence import acquisition
from market.deals.open_licence import declarations as ol
from market.payments import services as payments
from market.statistics.export import TITLE_ROWS
from tests import factories as f
from tests.deals.negotiation_world import doc
from tests.factories import sign_both

YEAR = today_local().year - 1
WAN = 10_000 * 100  # fen in 万元

EQUITY = [175 * WAN + 50 * WAN * i for i in range(10)]
TRANSFERS = [40 * WAN + 1 * WAN * i for i in range(60)] + [480 * WAN]
LICENCES = [("LICENSE_ORDINARY", 50 * WAN), ("LICENSE_ORDINARY", 80 * WAN), ("LICENSE_ORDINARY", 120 * WAN),
            ("LICENSE_SOLE", 100 * WAN), ("LICENSE_SOLE", 100 * WAN), ("LICENSE_EXCLUSIVE", 150 * WAN)]
# (licensees, fee) per declaration; the first two are the one-to-many of 上海大学 and 宝武.
DECLARATIONS = [(10, 5 * WAN), (8, 10 * WAN), (3, 3 * WAN), (3, 3 * WAN)] + [(2, 5 * WAN)] * 4 + [(1, 105_000 * 100)] * 4
TOTAL_FEN = 9_480 * WAN

SUPPLIERS = [
    ("上海大学", "UNIVERSITY", {"district": "宝山区", "is_state_funded_rnd": True}),
    ("中国宝武钢铁集团有限公司", "SOE", {"district": "宝山区", "soe_level": "CENTRAL", "wholly_state_owned": True}),
    ("上海材料研究所", "RESEARCH_INSTITUTE", {"district": "虹口区", "is_state_funded_rnd": True}),
    ("上海华谊（集团）公司", "SOE", {"district": "静安区", "soe_level": "MUNICIPAL"}),
    ("上海宝山科技园发展有限公司", "SOE", {"district": "宝山区", "soe_level": "DISTRICT"}),
]
ENTERPRISES = [
    ("上海锂源新能源科技有限公司", {"district": "宝山区"}), ("上海宝钢智造装备有限公司", {"district": "宝山区"}),
    ("上海吴淞生物医药有限公司", {"district": "宝山区"}), ("上海罗店新材料有限公司", {"district": "宝山区"}),
    ("上海月浦智能科技有限公司", {"district": "宝山区"}), ("上海嘉定汽车电子有限公司", {"district": "嘉定区"}),
    ("上海张江芯片设计有限公司", {"district": "浦东新区"}), ("苏州工业园区纳米材料有限公司", {"province": "江苏省", "district": "苏州工业园区"}),
    ("南京江北新区生物科技有限公司", {"province": "江苏省", "district": "江北新区"}),
    ("杭州余杭智能装备有限公司", {"province": "浙江省", "district": "余杭区"}),
    ("合肥高新区储能科技有限公司", {"province": "安徽省", "district": "高新区"}),
    ("深圳南山新材料有限公司", {"province": "广东省", "district": "南山区"}),
]
POINT_NAMES = ["上海大学店", "宝武店", "大学科技园店", "吴淞口创业园店", "机器人产业园店", "南大智慧城店",
               "超能新材料科创园店", "环上大科技园店", "宝山科创中心店", "美兰湖店", "长江软件园店"]


def _day(i: int) -> date:
    """Legal dates spread over every month of the reference year."""
    return date(YEAR, 1 + i % 12, 1 + (i * 7) % 28)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


class Chain:
    """The reference chain: the bureau, 11 points, 5 suppliers, 12 enterprises, one user each."""

    def __init__(self):
        self.bureau = f.user(f.organisation("宝山区知识产权局", "BUREAU"))
        self.points = [f.point(name=f"长三角浦江之光专利连锁超市·{name}") for name in POINT_NAMES]
        self.suppliers = [f.user(f.organisation(name, kind, **kw)) for name, kind, kw in SUPPLIERS]
        self.enterprises = [f.user(f.organisation(name, "PRIVATE", **kw)) for name, kw in ENTERPRISES]
        self.listings = itertools.count()
        self.expected_received = 0

    def listing(self, seller, modes, point_no: int):
        item = f.listing(seller.organisation, self.points[point_no % 11], modes=list(modes), price_fen=None)
        item.pricing_method = "LISTING"
        return item


def _approve(deal, seller, buyer, price_fen: int, on: date) -> None:
    """Every approval the deal needs (R-ST-1..4, R-TR-4), with its document, before signature."""
    # The reference deals were priced by listing (挂牌交易, 进场), a platform process a later issue
    # builds; until then the test writes what that process will record: the price it formed and
    # its first listing price (at the approved value). No party can set these (issue 12 §3).
    deal.price_formed_by = "LISTING"
    deal.approvals = {**(deal.approvals or {}), "EXCHANGE_LISTING": {"first_listing_price_fen": price_fen}}
    for state in n.missing(deal, on):
        code = state.step.code
        data = {"DECISION": {"decided_on": (on - timedelta(days=30)).isoformat(), "note": "集体决策"},
                "VALUATION_DECISION": {"evaluate": "", "reason": "按挂牌交易方式定价"},
                "VALUATION": {"basis": "EVALUATION", "appraiser": "上海东洲资产评估有限公司",
                              "report_no": f"东洲评报字{deal.id}", "value_fen": str(price_fen),
                              "base_date": (on - timedelta(days=60)).isoformat()},
                "VALUATION_FILED": {"filing_type": "RECORD", "filing_no": f"沪国资评备{deal.id}",
                                    "filing_date": (on - timedelta(days=20)).isoformat()},
                "INVENTOR_WAIVER": {"form": "WAIVER"}}[code]
        document = doc(deal, seller, state.step.document_kind) if state.step.document_required else None
        n.record_step(seller, deal, code, data, document)


def _pay_all(deal, actor, on: date) -> int:
    total = 0
    for payment in n.payments_of(deal):
        payments.mark_paid(db.session, payment, at=_at(on), actor=actor, evidence={"bank_ref": f"BANK-{payment.id}"})
        total += payment.amount_fen
    return total


def _ownership(chain: Chain, kind: str, i: int, price_fen: int, *, pay: bool):
    seller = chain.suppliers[i % len(chain.suppliers)]
    buyer = chain.enterprises[i % len(chain.enterprises)]
    listing = chain.listing(seller, [kind], i)
    registered = _day(i)
    terms = {"price_fen": price_fen, **({"share_pct": "15"} if kind == "EQUITY" else {})}
    deal = n.request_deal(buyer, listing, kind, terms=terms, message="参考案例")
    n.accept_offer(seller, deal, n.open_offer(deal).id)
    signed = registered - timedelta(days=25)
    _approve(deal, seller, buyer, price_fen, signed)
    sign_both(deal, first=seller, on=signed)
    n.file_registration(buyer, deal, registered - timedelta(days=15))
    n.record_registration(buyer, deal, registered, f"ZR{YEAR}{i:06d}")
    if kind == "EQUITY":
        n.record_capital_registration(buyer, deal, registered + timedelta(days=3) if registered.day < 25 else registered)
    elif pay:
        chain.expected_received += _pay_all(deal, seller, registered)
    return deal


def _licence(chain: Chain, kind: str, i: int, price_fen: int):
    seller = chain.suppliers[i % len(chain.suppliers)]
    buyer = chain.enterprises[(i + 3) % len(chain.enterprises)]
    listing = chain.listing(seller, [kind], i)
    filed = _day(i)
    effective = filed - timedelta(days=40)
    deal = n.request_deal(buyer, listing, kind, terms={
        "price_fen": price_fen, "start_date": effective, "end_date": date(YEAR + 3, 12, 31)}, message="参考案例")
    n.accept_offer(seller, deal, n.open_offer(deal).id)
    _approve(deal, seller, buyer, price_fen, effective)
    sign_both(deal, first=seller, on=effective)
    n.record_filing(deal, f"{YEAR}3100{i:05d}", filed, seller)
    chain.expected_received += _pay_all(deal, seller, filed)
    return deal


def _open_licences(chain: Chain) -> list:
    taken = []
    for d, (licensees, fee) in enumerate(DECLARATIONS):
        seller = chain.suppliers[_supplier_seat(d)]
        # 开放许可 reaches the listing when the declaration below is announced, not by typing it.
        listing = chain.listing(seller, [DealMode.TRANSFER], d + 5)
        announced = date(YEAR, 1 + d % 6, 10)
        decl = ol.start_declaration(seller, listing.patent, {
            "fee_terms": {"mode": "LUMP_SUM", "lump_fen": fee}, "fee_basis_note": "按成本法与同类许可费比较估算。",
            "contact": "技术转移中心 021-66130000"}, today=announced - timedelta(days=30))
        ol.confirm_eligible(seller, decl, today=announced - timedelta(days=30))
        ol.record_filing(seller, decl, announced - timedelta(days=20), today=announced - timedelta(days=20))
        ol.record_announcement(seller, decl, announced, f"第{YEAR - 1984}卷第{d + 1}号", today=announced)
        for k in range(licensees):
            buyer = chain.enterprises[k]
            day = announced + timedelta(days=30 * (k + 1))
            deal = acquisition.take_open_licence(decl.id, buyer.organisation, buyer, now=_at(day))
            chain.expected_received += _pay_all(deal, buyer, day)
            taken.append(deal)
    return taken


def _supplier_seat(d: int) -> int:
    return 0 if d == 0 else 1 if d == 1 else d % len(SUPPLIERS)


def _supplier_counts() -> dict[str, int]:
    """Deals per supplier type as the plan assigns them (supplier i % 5; declarations by `_supplier_seat`)."""
    keys = ["UNIVERSITY", "SOE_CENTRAL", "RESEARCH_INSTITUTE", "SOE_MUNICIPAL", "SOE_DISTRICT"]
    seats = [i % 5 for i in range(61)] + [(61 + i) % 5 for i in range(10)] + [(71 + i) % 5 for i in range(6)]
    seats += [_supplier_seat(d) for d, (licensees, _) in enumerate(DECLARATIONS) for _ in range(licensees)]
    return {key: seats.count(n) for n, key in enumerate(keys)}


@pytest.fixture
def reference(session):
    chain = Chain()
    transfers = [_ownership(chain, "TRANSFER", i, price, pay=i % 4 != 3) for i, price in enumerate(TRANSFERS)]
    equity = [_ownership(chain, "EQUITY", 61 + i, price, pay=False) for i, price in enumerate(EQUITY)]
    licences = [_licence(chain, kind, 71 + i, price) for i, (kind, price) in enumerate(LICENCES)]
    opened = _open_licences(chain)
    mistaken = _ownership(chain, "TRANSFER", 200, 999 * WAN, pay=False)
    n.void_deal(chain.bureau, mistaken, "重复录入，作废")
    db.session.commit()
    return {"chain": chain, "transfers": transfers, "equity": equity, "licences": licences, "open": opened,
            "voided": mistaken}


def test_the_reference_case_reconciles_on_the_dashboard_the_api_and_the_export(client, reference):
    chain = reference["chain"]
    assert len(reference["open"]) == 36 and sum(n for n, _ in DECLARATIONS) == 36
    assert sum(EQUITY) + sum(TRANSFERS) + sum(p for _, p in LICENCES) + sum(n * fee for n, fee in DECLARATIONS) \
        == TOTAL_FEN
    received = chain.expected_received
    expected = {
        "DEALS": {"transactions": 113, "patents": 89, "contract_fen": TOTAL_FEN, "received_fen": received},
        "TRANSFER": {"transactions": 61, "patents": 61, "contract_fen": 4_650 * WAN,
                     "received_fen": sum(p for i, p in enumerate(TRANSFERS) if i % 4 != 3)},
        "LICENCES": {"transactions": 42, "patents": 18, "contract_fen": 830 * WAN,
                     "received_fen": 830 * WAN},
        "LICENSE_ORDINARY": {"transactions": 3, "patents": 3, "contract_fen": 250 * WAN, "received_fen": 250 * WAN},
        "LICENSE_SOLE": {"transactions": 2, "patents": 2, "contract_fen": 200 * WAN, "received_fen": 200 * WAN},
        "LICENSE_EXCLUSIVE": {"transactions": 1, "patents": 1, "contract_fen": 150 * WAN, "received_fen": 150 * WAN},
        "OPEN_LICENSE": {"transactions": 36, "patents": 12, "contract_fen": 230 * WAN, "received_fen": 230 * WAN},
        "OPEN_DECLARATION": {"transactions": 12, "patents": 12, "contract_fen": 0, "received_fen": 0},
        "EQUITY": {"transactions": 10, "patents": 10, "contract_fen": 4_000 * WAN, "received_fen": 0},
        # 备案次数 (CNIPA's basis): the 6 negotiated licences filed; the open licences were not filed.
        "LICENCE_FILINGS": {"transactions": 6, "patents": 6, "contract_fen": 600 * WAN, "received_fen": 600 * WAN},
    }

    # The API.
    token = issue_api_token(chain.bureau, "reference")[1]
    auth = {"Authorization": f"Bearer {token}"}
    summary = client.get(f"/api/v1/statistics/summary?period={YEAR}", headers=auth).get_json()
    assert summary["totals"] == expected
    by_point = client.get(f"/api/v1/statistics/pivot?period={YEAR}&by=point", headers=auth).get_json()
    rows = {r["label"]: r["figures"]["DEALS"] for r in by_point["rows"]}
    assert len(rows) == 11 and all(name.startswith("长三角浦江之光专利连锁超市") for name in rows)
    assert sum(r["transactions"] for r in rows.values()) == 113
    assert sum(r["contract_fen"] for r in rows.values()) == TOTAL_FEN
    by_type = client.get(f"/api/v1/statistics/pivot?period={YEAR}&by=supplier_type", headers=auth).get_json()
    suppliers = {r["key"]: r["figures"]["DEALS"]["transactions"] for r in by_type["rows"]}
    assert suppliers == _supplier_counts()
    # The voided transfer is on the ledger, behind no figure.
    deals = client.get(f"/api/v1/statistics/deals?period={YEAR}&type=TRANSFER", headers=auth).get_json()
    assert deals["total"] == 61
    assert reference["voided"].reference not in {d["reference"] for d in deals["items"]}
    # Quarters add up to the year (次 and amounts; 件 are distinct per period).
    quarters = [client.get(f"/api/v1/statistics/summary?period={YEAR}-Q{q}", headers=auth).get_json()["totals"]["DEALS"]
                for q in range(1, 5)]
    assert sum(q["transactions"] for q in quarters) == 113 and sum(q["contract_fen"] for q in quarters) == TOTAL_FEN

    # The dashboard.
    f.login(client, chain.bureau)
    html = client.get(f"/statistics/?period={YEAR}").get_data(as_text=True)
    assert "9,480 万元" in html and ">113</a>" in html and "89 件专利" in html
    assert ">61</a>" in html and ">42</a>" in html and ">36</a>" in html and ">10</a>" in html
    assert "4,000 万元" in html and "4,650 万元" in html

    # The export.
    response = client.get(f"/statistics/export?period={YEAR}&format=xlsx")
    wb = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    summary_sheet = {row[1]: row for row in list(wb["汇总"].iter_rows(values_only=True))[TITLE_ROWS:] if len(row) > 5}
    for column, figures in expected.items():
        row = summary_sheet[column]
        assert (row[2], row[3]) == (figures["transactions"], figures["patents"]), column
        assert round(float(row[4]) * 100) == figures["contract_fen"], column
        assert round(float(row[5]) * 100) == figures["received_fen"], column
    detail = list(wb["明细"].iter_rows(values_only=True))[TITLE_ROWS + 1:]  # below the title, period and header
    deals_only = [r for r in detail if r[2] != "OPEN_DECLARATION"]
    assert len(deals_only) == 113 and len(detail) == 125
    assert round(sum(float(r[22]) for r in deals_only) * 100) == TOTAL_FEN
    assert len({r[8] for r in deals_only}) == 89
    points = {row[1]: row for row in list(wb["按网点"].iter_rows(values_only=True))[TITLE_ROWS:]
              if len(row) > 3 and row[1] != "代码"}
    assert len(points) == 12 and points["ALL"][2] == 113  # 11 points and the total
    csv_text = client.get(f"/statistics/export?period={YEAR}&format=csv", buffered=True).get_data().decode("utf-8")
    assert csv_text.count("\r\n") == 1 + 125

    # The public page counts verified deals only: none of these is verified yet, all are shown apart.
    public = client.get("/api/v1/statistics/public").get_json()
    assert public["counts"] == "VERIFIED"
    assert public["totals"]["DEALS"]["transactions"] == 0 and public["totals"]["DEALS"]["contract_fen"] == 0
    levels = {r["key"]: r["figures"]["DEALS"] for r in public["by_evidence"]}
    assert sum(r["transactions"] for r in levels.values()) == 113
    assert sum(r["contract_fen"] for r in levels.values()) == TOTAL_FEN
    assert levels["VERIFIED"]["transactions"] == 0


def _verify_all(chain, deals) -> None:
    for deal in deals:
        verification.verify_deal(chain.bureau, deal, "核对了合同、付款凭证与登记证明")
    db.session.commit()


def test_the_reference_case_reproduces_in_the_public_figures_once_verified(client, reference):
    """Issue 12 §4: verified through the service, the 113 deals and 94.80 M yuan reach the public figures."""
    chain = reference["chain"]
    deals = reference["transfers"] + reference["equity"] + reference["licences"] + reference["open"]
    assert len(deals) == 113
    _verify_all(chain, deals)

    public = client.get("/api/v1/statistics/public").get_json()
    assert public["totals"]["DEALS"]["transactions"] == 113
    assert public["totals"]["DEALS"]["contract_fen"] == TOTAL_FEN
    html = client.get("/statistics/public").get_data(as_text=True)
    assert "仅统计经核实的交易" in html and "9,480 万元" in html

    # The bureau's figures filtered to verified deals are the reference case, to the fen.
    token = issue_api_token(chain.bureau, "reference")[1]
    auth = {"Authorization": f"Bearer {token}"}
    verified = client.get(f"/api/v1/statistics/summary?period={YEAR}&evidence=VERIFIED", headers=auth).get_json()
    assert verified["totals"]["DEALS"]["transactions"] == 113
    assert verified["totals"]["DEALS"]["contract_fen"] == TOTAL_FEN

    # A verification withdrawn takes that deal out of the public figures, not out of the bureau's.
    withdrawn = reference["transfers"][60]  # the 480 万 transfer
    verification.withdraw_verification(chain.bureau, withdrawn, "登记号与国家知识产权局登记簿不符，待核")
    db.session.commit()
    public = client.get("/api/v1/statistics/public").get_json()
    assert public["totals"]["DEALS"]["transactions"] == 112
    assert public["totals"]["DEALS"]["contract_fen"] == TOTAL_FEN - 480 * WAN
    levels = {r["key"]: r["figures"]["DEALS"] for r in public["by_evidence"]}
    assert levels["DOCUMENTED"]["transactions"] == 1 and levels["DOCUMENTED"]["contract_fen"] == 480 * WAN
    summary = client.get(f"/api/v1/statistics/summary?period={YEAR}", headers=auth).get_json()
    assert summary["totals"]["DEALS"]["transactions"] == 113
