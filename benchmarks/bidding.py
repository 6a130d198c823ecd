"""Competitive bidding under load: 50 bidders, 1,000 bids in 60 s against one lot (issue 14's speed target).

    python -m benchmarks.bidding                 # full: a throwaway PostgreSQL, 50 bidders, 1,000 bids, 60 s
    python -m benchmarks.bidding --smoke         # seconds: the same with 5 bidders, 60 bids, 3 s
    python -m benchmarks.bidding [--bidders N] [--bids N] [--seconds S] [--database-url URL | --sqlite]

One ascending lot (a single patent: packages are not on this branch) with `--bidders` qualified
bidders, deposits paid. The bids are spread evenly over `--seconds` (with jitter) and sent by one
thread per bidder, each with its own API token, through the app's JSON API and the Flask test client
(in-process: the time measured is the server's plus the test client's, without a network hop). Each
bid reads the board (GET /api/v1/lots/<id>/bidding) for the next minimum and bids it, or one or two
increments more (POST /api/v1/lots/<id>/bids); two bidders who read the same board race, and the
second is refused (bid_too_low / bid_already_leading), as in a real auction.

It prints the p50/p95/max of the bid round trip (the POST) and of the board read, each in wall-clock
time and in the CPU time of the thread that served it (the app's Python work: on a loaded machine the
wall time also holds the wait for a core, the CPU time does not), the SQL statements per request, the
load average at the start and the end, the counts by outcome, and then checks the database: every acknowledged (201) bid is stored and nothing else,
accepted bids strictly increase in acceptance order, and the close makes exactly one deal with the
highest bidder. Target: p95 of the bid round trip < 100 ms. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import event

from benchmarks.common import median, percentile
from config.settings import TestSettings
from market import create_app
from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.deals.exchange import bidding
from market.deals.exchange.models import Bid, Lot, LotStatus
from market.deals.models import Deal
from tests.deals.bidding.world import world
from tests.services.postgres import Postgres


def build(app, bidders: int, seconds: float) -> dict:
    with app.app_context(), app.test_request_context():
        w = world(bidders=bidders, window_minutes=int(seconds // 60) + 30, extension_minutes=5)
        tokens = {u.id: issue_api_token(u, "bench")[1] for u in w.bidders}
        lot_id = w.lot.id
        db.session.commit()
        db.session.remove()
    return {"lot_id": lot_id, "tokens": tokens}


def run(app, setup: dict, *, bids: int, seconds: float, seed: int) -> dict:
    rng = random.Random(seed)
    lot_id = setup["lot_id"]
    users = list(setup["tokens"])
    start = time.perf_counter() + 1.0
    # Bid i leaves at an even slot of the period, jittered; the bidders take the slots in turn.
    plan: dict[int, list[float]] = {u: [] for u in users}
    for i in range(bids):
        plan[users[i % len(users)]].append(start + (i + rng.random()) * seconds / bids)
    board_url, bid_url = f"/api/v1/lots/{lot_id}/bidding", f"/api/v1/lots/{lot_id}/bids"
    lock = threading.Lock()
    out = {"bid_ms": [], "board_ms": [], "bid_cpu_ms": [], "board_cpu_ms": [], "bid_queries": Counter(),
           "board_queries": Counter(), "outcomes": Counter(), "acks": [], "errors": [], "late_s": []}
    # SQL statements per request: the test client serves a request in the calling thread, so each
    # bidder thread counts the statements its own requests send.
    counted = threading.local()

    def count_statement(*_args, **_kwargs):
        counted.n = getattr(counted, "n", 0) + 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_statement)

    def bidder(user_id: int):
        client = app.test_client()
        headers = {"Authorization": "Bearer " + setup["tokens"][user_id]}
        local_rng = random.Random(seed * 1000 + user_id)
        for due in plan[user_id]:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                counted.n = 0
                t0, c0 = time.perf_counter(), time.thread_time()
                board = client.get(board_url, headers=headers)
                t1, c1 = time.perf_counter(), time.thread_time()
                board_queries = counted.n
                for _ in range(3):  # 503 says "retry shortly": SQLite's one writer (the token's last use)
                    if board.status_code != 503:
                        break
                    with lock:
                        out["outcomes"]["board read retried after 503"] += 1
                    board = client.get(board_url, headers=headers)
                state = board.get_json()
                if board.status_code != 200:
                    raise RuntimeError(f"board read answered {board.status_code}: {board.get_data(as_text=True)[:200]}")
                amount = state["next_min_fen"] + local_rng.choice((0, 0, 1, 2)) * state["increment_fen"]
                counted.n = 0
                t2, c2 = time.perf_counter(), time.thread_time()
                answer = client.post(bid_url, headers=headers, json={"amount_fen": amount})
                t3, c3 = time.perf_counter(), time.thread_time()
                body = answer.get_json() or {}
                with lock:
                    out["board_ms"].append((t1 - t0) * 1000)
                    out["bid_ms"].append((t3 - t2) * 1000)
                    out["board_cpu_ms"].append((c1 - c0) * 1000)
                    out["bid_cpu_ms"].append((c3 - c2) * 1000)
                    out["board_queries"][board_queries] += 1
                    out["bid_queries"][("accepted" if answer.status_code == 201 else "refused", counted.n)] += 1
                    out["late_s"].append(max(0.0, t0 - due))
                    if answer.status_code == 201:
                        out["outcomes"]["accepted"] += 1
                        out["acks"].append((user_id, body["bid"]["amount_fen"], body["bid"]["seq"]))
                    else:
                        out["outcomes"][(body.get("error") or {}).get("code", str(answer.status_code))] += 1
            except Exception as err:  # noqa: BLE001  (reported and failed below)
                with lock:
                    out["errors"].append(repr(err))

    threads = [threading.Thread(target=bidder, args=(u,)) for u in users]
    began, began_cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["elapsed_s"] = time.perf_counter() - began - 1.0
    out["process_cpu_s"] = time.process_time() - began_cpu
    event.remove(engine, "before_cursor_execute", count_statement)
    return out


def check(app, setup: dict, out: dict) -> list[str]:
    problems = []
    with app.app_context():
        stored = db.session.execute(select_bids(setup["lot_id"])).all()
        acked = sorted((a[2], a[1], a[0]) for a in out["acks"])
        if [tuple(r) for r in stored] != acked:
            problems.append(f"stored bids ({len(stored)}) differ from the acknowledged ones ({len(acked)})")
        amounts = [r[1] for r in stored]
        if any(b <= a for a, b in zip(amounts, amounts[1:])):
            problems.append("accepted bids do not strictly increase")
        lot = db.session.get(Lot, setup["lot_id"])
        deal = bidding.close_bidding(db.session, lot, at=lot.bidding_closes_at + timedelta(seconds=1))
        db.session.commit()
        deals = db.session.scalars(db.select(Deal).where(Deal.listing_id == lot.listing_id)).all()
        if lot.status != LotStatus.AWARDED or len(deals) != 1 or deal is None:
            problems.append(f"the close made {len(deals)} deals (lot {lot.status})")
        elif stored and (deal.price_fen != amounts[-1] or deal.buyer_org_id != db.session.scalar(
                db.select(Bid.bidder_org_id).where(Bid.lot_id == lot.id, Bid.seq == stored[-1][0]))):
            problems.append("the winner is not the highest bidder at its price")
        out["winner"] = (deal.buyer.name, deal.price_fen) if deal else None
        db.session.remove()
    return problems


def select_bids(lot_id: int):
    return db.select(Bid.seq, Bid.amount_fen, Bid.placed_by_id).where(Bid.lot_id == lot_id).order_by(Bid.seq)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bidding", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="5 bidders, 60 bids in 3 s (seconds)")
    parser.add_argument("--bidders", type=int, default=None)
    parser.add_argument("--bids", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--database-url", help="a PostgreSQL database whose schema `public` is dropped and rebuilt")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL (the "
                        "token's last-use write makes concurrent API reads answer 503 there; they are retried)")
    args = parser.parse_args(argv)
    bidders = args.bidders or (5 if args.smoke else 50)
    bids = args.bids or (60 if args.smoke else 1000)
    seconds = args.seconds or (3.0 if args.smoke else 60.0)
    server = None
    with tempfile.TemporaryDirectory(prefix="psm-bidding-") as folder:
        url = args.database_url
        if not url and not args.sqlite:
            server = Postgres().start()
            url = server.url
        settings = TestSettings(folder)
        settings.SQLALCHEMY_DATABASE_URI = url or f"sqlite:///{folder}/bidding.sqlite3"
        settings.API_RATE_LIMIT = "100000 per minute"
        if url:
            settings.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": bidders + 5, "max_overflow": 5, "pool_timeout": 60}
        try:
            app = create_app(settings)
            with app.app_context():
                if db.engine.dialect.name == "postgresql":
                    with db.engine.begin() as conn:
                        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                upgrade()
                dialect = db.engine.dialect.name
            setup = build(app, bidders, seconds)
            load_start = os.getloadavg()
            out = run(app, setup, bids=bids, seconds=seconds, seed=args.seed)
            load_end = os.getloadavg()
            problems = check(app, setup, out) + [f"error: {e}" for e in out["errors"][:5]]
            with app.app_context():
                db.engine.dispose()
        finally:
            if server is not None:
                server.stop()
    bid_ms, board_ms = out["bid_ms"], out["board_ms"]
    print(f"bidding benchmark — {dialect}, {bidders} bidders, {bids} bids planned over {seconds:g} s, "
          "through the JSON API with the Flask test client (in-process)")
    print(f"  sent {len(bid_ms)} bids in {out['elapsed_s']:.1f} s; outcomes: "
          + ", ".join(f"{k} {v}" for k, v in out["outcomes"].most_common()))
    print(f"  load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end (1 min; "
          f"{os.cpu_count()} cores): wall times above the CPU times are waits for a core or the database")
    print(f"  bid round trip (POST):   wall p50 {median(bid_ms):.1f} ms  p95 {percentile(bid_ms, 95):.1f} ms  "
          f"max {max(bid_ms):.1f} ms; CPU p50 {median(out['bid_cpu_ms']):.1f} ms  "
          f"p95 {percentile(out['bid_cpu_ms'], 95):.1f} ms")
    print(f"  board read (GET):        wall p50 {median(board_ms):.1f} ms  p95 {percentile(board_ms, 95):.1f} ms  "
          f"max {max(board_ms):.1f} ms; CPU p50 {median(out['board_cpu_ms']):.1f} ms  "
          f"p95 {percentile(out['board_cpu_ms'], 95):.1f} ms")
    requests = len(bid_ms) + len(board_ms)
    print(f"  app process CPU:         {out['process_cpu_s']:.1f} s for {requests} requests "
          f"({out['process_cpu_s'] * 1000 / max(1, requests):.1f} ms each, client threads included)")
    print("  SQL statements per request: " + "; ".join(
        [f"bid {kind} {n} ×{c}" for (kind, n), c in sorted(out["bid_queries"].items())]
        + [f"board {n} ×{c}" for n, c in sorted(out["board_queries"].items())]))
    print(f"  schedule lag:            p95 {percentile(out['late_s'], 95) * 1000:.0f} ms")
    print(f"  stored bids {out['outcomes']['accepted']}, strictly increasing, winner {out.get('winner')}")
    verdict = "PASS" if not problems and percentile(bid_ms, 95) < 100 else "FAIL"
    print(f"  checks: {'; '.join(problems) or 'every acknowledged bid stored, strictly increasing, one winner'}")
    print(f"  target p95 < 100 ms: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
