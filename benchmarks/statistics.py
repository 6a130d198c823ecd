"""District statistics over 1,000,000 ledger events for 200,000 deals, on SQLite or PostgreSQL.

    python -m benchmarks.statistics [--deals 200000] [--rounds 5] [--database-url postgresql+psycopg://…/any]

The data set is written by bulk inserts in a separate process (deals of every type from 2019 to
2025, five ledger lines each: request, contract or notice, the basis line, payment, completion;
1% voided, 9% never reaching their basis date, 0.5% recorded late), 5,000 announced open-licence
declarations, 80,000 listed patents with their industries, 2,000 organisations in every region,
11 points. The figures are then computed in a fresh process, so its peak memory is the work's own:

    dashboard   the bureau's dashboard figures for 2024 (headline, 8 breakdowns, monthly trend,
                同比, 环比, revisions of a closed period) — target < 500 ms
    page        the same through the web page (login, render) — for reference
    public      the public page: totals of every deal to date, by point — for reference
    xlsx        an XLSX export of 2024 (every sheet, ~28,000 detail rows) — target < 30 s
    csv         a CSV export of everything (~180,000 rows) — target < 15 s
    memory      peak resident memory of the measuring process — target < 1 GB

With --database-url the run uses PostgreSQL: a database `stats_bench` is created on that server
(the URL's own database is only used to connect) and dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.common import median, peak_rss_mb

YEAR = 2024
FIRST, LAST = date(2019, 1, 1), date(2025, 12, 31)
KINDS = [("TRANSFER", 45), ("LICENSE_ORDINARY", 10), ("LICENSE_SOLE", 3), ("LICENSE_EXCLUSIVE", 2),
         ("OPEN_LICENSE", 35), ("EQUITY", 5)]
BASIS = {"TRANSFER": "REGISTRATION", "LICENSE_ORDINARY": "FILING", "LICENSE_SOLE": "FILING",
         "LICENSE_EXCLUSIVE": "FILING", "OPEN_LICENSE": "LICENSED", "EQUITY": "CAPITAL_REGISTERED"}
IPC_POOL = ["H01M 50/449", "H01M 10/0525", "A61K 31/496", "C12N 15/82", "G06N 3/08", "G06F 16/33", "H04L 9/06",
            "B25J 9/16", "C22C 38/02", "C21D 8/02", "B60L 58/12", "F03D 7/02", "C02F 1/44", "A01B 79/00",
            "G01N 33/50", "B33Y 10/00", "H01L 31/18", "C08L 23/06", "E04B 1/00", "D01F 6/00", "F16H 1/28",
            "B01D 53/86", "C07D 401/04", "A61B 5/00", "G06T 7/00"]
PLACES = ([("上海市", "宝山区")] * 8 + [("上海市", d) for d in ("浦东新区", "嘉定区", "杨浦区", "闵行区", "静安区", "徐汇区")]
          + [("江苏省", "苏州市"), ("浙江省", "杭州市"), ("安徽省", "合肥市"), ("江苏省", "南京市"),
             ("广东省", "深圳市"), ("北京市", "海淀区"), ("", ""), ("香港特别行政区", "")])
SUPPLIER_TYPES = ["UNIVERSITY"] * 6 + ["RESEARCH_INSTITUTE"] * 3 + ["SOE"] * 5 + ["PRIVATE"] * 5 + ["INDIVIDUAL"]
DEMANDER_TYPES = ["PRIVATE"] * 16 + ["SOE"] * 2 + ["FOREIGN", "OTHER"]
SOE_LEVELS = ["CENTRAL", "MUNICIPAL", "DISTRICT"]
# Evidence levels (issue 12 §4): 40% verified, 35% documented, 25% self-declared.
LEVELS = ["VERIFIED"] * 8 + ["DOCUMENTED"] * 7 + ["SELF_DECLARED"] * 5


def _batches(rows, size: int = 20_000):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _app(url: str | None, instance: str):
    from benchmarks.common import fresh_app

    overrides = {"INSTANCE_PATH": instance, "SEARCH_INDEX_PATH": f"{instance}/search.sqlite3",
                 "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance}/market.sqlite3"}
    return fresh_app(**overrides)


def build(url: str | None, instance: str, deals: int) -> None:
    """Write the data set by bulk inserts (run in its own process)."""
    from sqlalchemy import insert

    from listings.industries import industries_for_ipc
    from listings.models import Listing, Patent
    from market.accounts.models import Organisation
    from market.accounts.points.models import Point
    from market.accounts.services import create_user
    from market.core.extensions import db
    from market.deals.models import Deal, DealEvent
    from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration

    app = _app(url, instance)
    rng = random.Random(6)
    started = time.perf_counter()
    n_orgs, n_patents, n_decl = 2_000, max(80_000, deals // 3), 5_000
    if deals < 10_000:  # the smoke size: a catalogue in proportion, not the 80,000 patents of a real run
        n_patents, n_decl = max(500, deals), 100
    span = (LAST - FIRST).days
    with app.app_context():
        conn = db.session.connection()

        def put(model, rows):
            n = 0
            for batch in _batches(rows):
                conn.execute(insert(model), batch)
                n += len(batch)
            return n

        def org(i):
            operator, supplier = i <= 11, i <= 1_000
            kind = "POINT_OPERATOR" if operator else rng.choice(SUPPLIER_TYPES if supplier else DEMANDER_TYPES)
            if i == n_orgs:
                kind = "BUREAU"
            province, district = ("上海市", "宝山区") if operator or kind == "BUREAU" else rng.choice(PLACES)
            country = "US" if kind == "FOREIGN" else "CN"
            return {"id": i, "name": f"基准统计机构{i:05d}", "uscc": None, "org_type": kind,
                    "soe_level": rng.choice(SOE_LEVELS) if kind == "SOE" else None, "status": "APPROVED",
                    "province": province, "district": district, "country": country}

        put(Organisation, (org(i) for i in range(1, n_orgs + 1)))
        put(Point, ({"id": i, "name": f"统计基准网点{i:02d}", "district": "宝山区", "operator_id": i} for i in range(1, 12)))

        def patent(i):
            ipc = rng.sample(IPC_POOL, 2)
            kind = rng.choices(["INVENTION", "UTILITY_MODEL", "DESIGN"], [70, 25, 5])[0]
            return {"id": i, "application_number": f"B{i:011d}", "patent_type": kind, "title": f"一种基准专利{i}",
                    "legal_status": "VALID", "ipc_main": None if kind == "DESIGN" else ipc[0],
                    "ipc_all": [] if kind == "DESIGN" else ipc,
                    "industry_tags": [] if kind == "DESIGN" else industries_for_ipc(ipc)}

        put(Patent, (patent(i) for i in range(1, n_patents + 1)))
        owner = {i: 12 + (i * 7919) % 989 for i in range(1, n_patents + 1)}  # suppliers 12…1000
        put(Listing, ({"id": i, "patent_id": i, "organisation_id": owner[i], "point_id": 1 + i % 11,
                       "modes": ["TRANSFER", "OPEN_LICENSE"], "asking_price_fen": 5_000_000, "status": "PUBLISHED"}
                      for i in range(1, n_patents + 1)))
        put(OpenLicenceDeclaration, ({"id": i, "patent_id": i, "listing_id": i, "organisation_id": owner[i],
                                      "patentees": [], "fee_terms": {"mode": "LUMP_SUM", "lump_fen": 5_000_000},
                                      "status": "ANNOUNCED", "announce_date": FIRST + timedelta(days=i * span // n_decl),
                                      "gazette_issue": f"第{i}号"} for i in range(1, n_decl + 1)))
        def announced(i, days_before=0):
            day = FIRST + timedelta(days=i * span // n_decl) - timedelta(days=days_before)
            return {"occurred_on": day, "at": datetime(day.year, day.month, day.day, 5)}

        put(DeclarationEvent, (row for i in range(1, n_decl + 1) for row in (
            {"declaration_id": i, "from_status": "ELIGIBLE", "to_status": "FILED_WITH_CNIPA", **announced(i, 20)},
            {"declaration_id": i, "from_status": "FILED_WITH_CNIPA", "to_status": "ANNOUNCED", **announced(i)})))

        kinds = [k for k, w in KINDS for _ in range(w)]
        deal_rows, event_rows = [], []
        event_id = 0

        def deal_and_events():
            nonlocal event_id
            for i in range(1, deals + 1):
                kind = kinds[i % len(kinds)]
                basis_on = FIRST + timedelta(days=rng.randrange(span + 1))
                fate = rng.random()
                price = rng.randrange(10_000, 5_000_000) * 100
                terms = {}
                if kind == "OPEN_LICENSE" and i % 3 == 0:
                    terms, price = {"mode": "LUMP_SUM", "lump_fen": price}, None
                seller = 12 + (i * 31) % 989
                buyer = 1001 + (i * 17) % 999
                status = "COMPLETED" if fate >= 0.10 else ("VOID" if fate < 0.01 else "NEGOTIATING")
                deal = {"id": i, "reference": f"B-{i}", "kind": kind, "status": status,
                        "patent_id": 1 + (i * 7) % n_patents, "seller_org_id": seller, "buyer_org_id": buyer,
                        "point_id": None if i % 50 == 0 else 1 + i % 11, "price_fen": price, "fee_terms": terms,
                        "valuation": {}, "approvals": {}, "evidence_level": LEVELS[i % len(LEVELS)]}
                if i % 10_000 == 0 and price is not None:
                    deal["price_fen"] = price = 10**15  # an absurd amount: held for review, counted nowhere
                start = basis_on - timedelta(days=rng.randrange(30, 120))
                late = rng.random() < 0.005
                if fate >= 0.10 or fate < 0.01:
                    lines = [("REQUESTED", start, None), ("NOTICE" if kind == "OPEN_LICENSE" else "SIGNATURE",
                                                          start + timedelta(days=20), price),
                             (BASIS[kind], basis_on, None),
                             ("PAYMENT", basis_on + timedelta(days=rng.randrange(0, 60)), (price or terms["lump_fen"]) // 2)]
                    lines.append(("VOID", basis_on + timedelta(days=90), None) if fate < 0.01 else
                                 ("PAYMENT", basis_on + timedelta(days=rng.randrange(60, 200)),
                                  (price or terms["lump_fen"]) - (price or terms["lump_fen"]) // 2))
                else:
                    lines = [("REQUESTED", start, None), ("OFFER", start + timedelta(days=3), price),
                             ("OFFER", start + timedelta(days=9), price), ("MESSAGE", start + timedelta(days=10), None),
                             ("ACCEPTED", start + timedelta(days=12), price)]
                events = []
                for seq, (k, on, amount) in enumerate(lines, 1):
                    event_id += 1
                    recorded = datetime(on.year, on.month, on.day, 3) + timedelta(days=40 if late and seq == 3 else 0)
                    events.append({"id": event_id, "deal_id": i, "seq": seq, "kind": k, "occurred_on": on,
                                   "recorded_at": recorded, "amount_fen": amount,
                                   "evidence": {"registration_no": f"DJ{i}"} if seq == 3 else {}, "note": ""})
                yield deal, events

        n_events = 0
        for deal, events in deal_and_events():
            deal_rows.append(deal)
            event_rows.extend(events)
            if len(deal_rows) >= 10_000:
                conn.execute(insert(Deal), deal_rows)
                for batch in _batches(event_rows):
                    conn.execute(insert(DealEvent), batch)
                n_events += len(event_rows)
                deal_rows, event_rows = [], []
        if deal_rows:
            conn.execute(insert(Deal), deal_rows)
            for batch in _batches(event_rows):
                conn.execute(insert(DealEvent), batch)
            n_events += len(event_rows)
        if db.engine.dialect.name == "postgresql":
            for table in ("deals", "deal_events", "patents", "organisations", "declaration_events",
                          "open_licence_declarations", "listings"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT MAX(id) FROM {table}))")
        bureau = db.session.get(Organisation, n_orgs)
        create_user(bureau, email="bureau@bench.test", name="统计基准", password="bench-Passw0rd1", role="ADMIN")
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            conn = db.engine.raw_connection()
            conn.execute("ANALYZE")
            conn.close()
        else:
            with db.engine.connect() as c:
                c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    print(f"built {deals:,} deals, {n_events:,} ledger events, {n_decl:,} declarations, {n_patents:,} patents "
          f"in {time.perf_counter() - started:.0f} s")


def measure(url: str | None, instance: str, rounds: int, export_rounds: int) -> dict:
    """The timings, in this (fresh) process."""
    from config.settings import Settings
    from market import create_app
    from market.core.extensions import db
    from market.statistics import export, periods, services
    from market.statistics.queries import Selection

    settings = Settings(instance)
    settings.SECRET_KEY, settings.SESSION_COOKIE_SECURE = "bench", False
    settings.MAIL_BASE_URL = "http://127.0.0.1:5000"
    settings.SQLALCHEMY_DATABASE_URI = url or f"sqlite:///{instance}/market.sqlite3"
    settings.SEARCH_INDEX_PATH = f"{instance}/search.sqlite3"
    settings.LOGIN_RATE_LIMIT = "1000 per minute"
    app = create_app(settings)
    today = date(2026, 3, 1)
    out: dict = {}
    with app.app_context():
        sel = Selection(period=periods.year(YEAR))
        timings = []
        for _ in range(rounds + 1):
            t0 = time.perf_counter()
            report = services.report(db.session, sel, today=today)
            timings.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
        out["dashboard_ms"] = median(timings[1:])  # the first run warms the page cache
        out["dashboard_first_ms"] = timings[0]
        out["year_deals"] = report.totals[list(report.totals)[0]].transactions
        out["revisions"] = len(report.revisions)

        client = app.test_client()
        page = client.get("/login")
        import re

        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
        client.post("/login", data={"email": "bureau@bench.test", "password": "bench-Passw0rd1", "csrf_token": token})
        timings = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            response = client.get(f"/statistics/?period={YEAR}")
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        out["page_ms"] = median(timings)
        timings = []
        for _ in range(max(1, rounds // 2)):
            t0 = time.perf_counter()
            response = client.get("/statistics/public")
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        out["public_ms"] = median(timings)

        folder = Path(instance)
        timings = []
        for _ in range(export_rounds):
            t0 = time.perf_counter()
            counts = export.write_xlsx(str(folder / "year.xlsx"), db.session, sel, today=today)
            timings.append(time.perf_counter() - t0)
            db.session.rollback()
        out["xlsx_s"], out["xlsx_rows"] = median(timings), counts["明细"]
        out["xlsx_mb"] = (folder / "year.xlsx").stat().st_size / 1e6

        everything = Selection(period=periods.classify(periods.EARLIEST, today))
        timings = []
        for _ in range(export_rounds):
            t0 = time.perf_counter()
            rows = 0
            with (folder / "all.csv").open("w", encoding="utf-8", newline="") as fh:
                for chunk in export.csv_stream(export.csv_rows(db.session, everything)):
                    fh.write(chunk)
                    rows += chunk.count("\n")
            timings.append(time.perf_counter() - t0)
            db.session.rollback()
        out["csv_s"], out["csv_rows"] = median(timings), rows - 1
        out["csv_mb"] = (folder / "all.csv").stat().st_size / 1e6
    out["peak_mb"] = peak_rss_mb()
    return out


def _pg_admin(url: str):
    """A connection to the server's maintenance database, and the benchmark database's URL."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    return base.set(database="postgres"), base.set(database="stats_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5, help="dashboard runs (median)")
    parser.add_argument("--export-rounds", type=int, default=3, help="export runs (median)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (a database stats_bench is made on it)")
    parser.add_argument("--instance", default=None, help="reuse a SQLite data set built earlier")
    parser.add_argument("--keep", action="store_true", help="keep the data set afterwards")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: measure the stats_bench kept by --keep")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args()
    if args.smoke:
        args.deals, args.rounds, args.export_rounds = 300, 1, 1
    instance = args.instance or tempfile.mkdtemp(prefix="psm-stats-bench-")
    url = None
    if args.database_url:
        import psycopg

        admin, bench = _pg_admin(args.database_url)
        dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        if not args.reuse:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS stats_bench")
                conn.execute("CREATE DATABASE stats_bench")
        url = bench.render_as_string(hide_password=False)
    try:
        if (url and not args.reuse) or (not url and not args.instance):
            subprocess.run([sys.executable, "-c", f"from benchmarks.statistics import build; "
                            f"build({url!r}, {instance!r}, {args.deals})"], check=True)
        result = subprocess.run([sys.executable, "-c", f"import json; from benchmarks.statistics import measure; "
                                 f"print(json.dumps(measure({url!r}, {instance!r}, {args.rounds}, {args.export_rounds})))"],
                                check=True, capture_output=True, text=True)
        r = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if url and not args.keep:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS stats_bench")
    engine = "PostgreSQL" if url else "SQLite"
    print(f"{engine}: {args.deals:,} deals")
    print(f"dashboard figures for {YEAR} ({r['year_deals']:,} deals, {r['revisions']} revisions listed): "
          f"median {r['dashboard_ms']:.0f} ms (first {r['dashboard_first_ms']:.0f} ms; target < 500 ms); "
          f"the whole page {r['page_ms']:.0f} ms")
    print(f"public page (政务公开, every deal to date): median {r['public_ms']:.0f} ms")
    print(f"XLSX of {YEAR}: {r['xlsx_rows']:,} detail rows, {r['xlsx_mb']:.1f} MB, median {r['xlsx_s']:.1f} s (target < 30 s)")
    print(f"CSV of everything: {r['csv_rows']:,} rows, {r['csv_mb']:.1f} MB, median {r['csv_s']:.1f} s (target < 15 s)")
    print(f"peak RSS of the measuring process {r['peak_mb']:.0f} MB (target < 1024 MB)")
    if not url:
        print(f"data set in {instance} (reuse with --instance)")


if __name__ == "__main__":
    main()
