"""Pricing guidance over the statistics benchmark's ledger (1,000,000 lines for 200,000 deals).

    python -m benchmarks.pricing [--deals 200000] [--rounds 3] [--instance DIR] [--smoke]

The data set is benchmarks/statistics.py's (built in its own process, or reused with --instance).
In a fresh process every IPC main symbol of the data set is asked for every deal kind, the way the
listing form asks (a patent's main symbol, its industries, today = the last day of the data):
each question is timed from the statement to the finished Guidance, in wall-clock time and in the
process's CPU time (SQLite runs in-process, so on a shared, loaded machine the CPU time is what the
same work takes on an idle one). Target: median < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks.common import median, percentile
from benchmarks.statistics import IPC_POOL, LAST, _app

TARGET_MS = 100


def measure(instance: str, rounds: int) -> dict:
    from sqlalchemy import func, select

    from listings.industries import industries_for_ipc
    from market.core.extensions import db
    from market.deals.models import DealEvent
    from market.statistics import pricing
    from market.statistics.queries import tune

    app = _app(None, instance)
    load_start = os.getloadavg()[0]
    timings, cpu, tiers, counts = [], [], {}, []
    with app.app_context():
        lines = db.session.scalar(select(func.count()).select_from(DealEvent))
        tune(db.session)
        for round_no in range(rounds):
            for ipc in IPC_POOL:
                industries = industries_for_ipc([ipc])
                for kind in pricing.KINDS:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    g = pricing.guidance(db.session, kind=kind, ipc_main=ipc, industries=industries,
                                         viewer_org_id=500, today=LAST)
                    timings.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    if round_no == 0:
                        tiers[g.tier] = tiers.get(g.tier, 0) + 1
                        counts.append(g.count)
            db.session.rollback()
    return {"lines": lines, "questions": len(timings), "median_ms": median(timings),
            "p95_ms": percentile(timings, 95), "max_ms": max(timings), "tiers": tiers,
            "cpu_median_ms": median(cpu), "cpu_p95_ms": percentile(cpu, 95), "load_start": load_start,
            "load": os.getloadavg()[0],
            "median_comparables": median(counts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instance", default=None, help="reuse a SQLite data set built by benchmarks.statistics")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args()
    if args.smoke:
        args.deals, args.rounds = 300, 1
    instance = args.instance or tempfile.mkdtemp(prefix="psm-pricing-bench-")
    if not args.instance:
        subprocess.run([sys.executable, "-c", f"from benchmarks.statistics import build; "
                        f"build(None, {instance!r}, {args.deals})"], check=True)
    result = subprocess.run([sys.executable, "-c", f"import json; from benchmarks.pricing import measure; "
                             f"print(json.dumps(measure({instance!r}, {args.rounds})))"],
                            check=True, capture_output=True, text=True)
    r = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"SQLite: {r['lines']:,} ledger lines; {r['questions']} guidance questions "
          f"({len(IPC_POOL)} IPC symbols x {6} kinds x {args.rounds} rounds), as of {LAST.isoformat()}")
    print(f"pricing guidance: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms "
          f"(target median < {TARGET_MS} ms); median comparables considered {r['median_comparables']:.0f}; "
          f"tiers used {r['tiers']}")
    # SQLite runs in this process: its CPU time is the wall time the same work takes on an idle machine.
    print(f"CPU time of the measuring process per question: median {r['cpu_median_ms']:.1f} ms, "
          f"p95 {r['cpu_p95_ms']:.1f} ms (load average {r['load_start']:.2f} at the start of the measurement, "
          f"{r['load']:.2f} at its end, on {os.cpu_count()} cores)")
    print(f"data set in {instance} (reuse with --instance)")


if __name__ == "__main__":
    main()
