"""The app under gunicorn with 50 concurrent users for 60 s; with --faults, its services fail meanwhile.

    python -m benchmarks.load [--users 50] [--seconds 60] [--requests 30000] [--think 1.0]
                              [--elasticsearch] [--faults] [--database-url URL]

Production's shape on one machine: gunicorn (--workers × --threads, gthread) on 127.0.0.1,
PostgreSQL (a throwaway server started here, or --database-url), Stripe (stripe-mock started
here, PAYMENT_PROVIDER=stripe), and with --elasticsearch an Elasticsearch node (else the
embedded index). The data: the demo seed, one enterprise with an API token per user and
--declarations announced open licences. The load (benchmarks/loadgen.py): catalogue searches
(page and API), patent pages, matching calls, open-licence acquisitions (take, pay through the
API checkout, Stripe's signed webhook) and patentees' listing edits, each user waiting an
exponential think time (mean --think s) between requests, until --requests or the time limit.

It prints the throughput and the median and p95 latency per request type and overall, and the
error count (target: 0 errors, p95 < 300 ms). With --faults, PostgreSQL, the Elasticsearch node
(with --elasticsearch) and stripe-mock are each stopped for --outage s and started again while
the load runs, and the answers are counted per phase: during an outage a request may only be
refused with 503, Retry-After and the clear message (only those that need the missing service:
none for Elasticsearch, whose searches degrade to the embedded standby), never a 500. Then the
half-done acquisitions are completed (as Stripe redelivers webhooks), the app is stopped, and
the checks of benchmarks/load_checks.py run: every acknowledged licence exists once with its
payment, no payment without its deal, the statistics equal the ledger, the index equals the
database. Exit status 1 when an error or a failed check was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import load_checks
from benchmarks.loadgen import KINDS, Acquisitions, Budget, Timeline, VirtualUser, phase_table, summarise

WEBHOOK_SECRET = "whsec_load_benchmark_only"
# Which request kinds may be refused while each service is down; anything else must succeed.
MAY_REFUSE = {"postgresql": set(KINDS), "stripe-mock": {"checkout"}, "elasticsearch": set()}
# The benchmark's users all come from 127.0.0.1: the per-address limits (login, API) would
# throttle them as one client, which no real deployment sees.
APP = "market:create_app({'RATELIMIT_ENABLED': False})"


@dataclass
class Result:
    rows: dict
    phases: dict
    unexpected: int
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0


def unexpected_samples(samples, timeline: Timeline) -> list:
    """Errors, and refusals where the request's service was not down."""
    bad = []
    for s in samples:
        if s.outcome == "error":
            bad.append(s)
        elif s.outcome == "refused":
            phase = timeline.phase(s.started, s.ended)
            service = phase.rsplit(" ", 1)[0]
            if phase == "normal" or s.kind not in MAY_REFUSE.get(service, set()):
                bad.append(s)
    return bad


class Faults(threading.Thread):
    """Stops each service in turn for `outage` seconds and starts it again, with quiet gaps between."""

    def __init__(self, timeline: Timeline, services: list[tuple[str, object]], *, lead: float, outage: float,
                 gap: float, say) -> None:
        super().__init__(name="faults", daemon=True)
        self.timeline, self.services = timeline, services
        self.lead, self.outage, self.gap, self.say = lead, outage, gap, say
        self.failures: list[str] = []

    def run(self) -> None:
        time.sleep(self.lead)
        for name, service in self.services:
            window = self.timeline.down(name)
            try:
                service.stop_server()
                self.say(f"  t={window.start:5.1f} s  {name} stopped")
                time.sleep(self.outage)
                service.start_server()
            except Exception as err:  # reported; the run goes on so that what it did is still checked
                self.failures.append(f"{name}: {type(err).__name__}: {err}")
            window.end = self.timeline.now()
            self.say(f"  t={window.end:5.1f} s  {name} answering again ({window.end - window.start:.1f} s down)")
            time.sleep(self.gap)


def run(*, users: int = 50, seconds: float = 60, requests: int = 30_000, think: float = 1.0,
        elasticsearch: bool = False, faults: bool = False, database_url: str | None = None,
        workers: int = 4, threads: int = 4, declarations: int = 20, outage: float = 4.0,
        es_heap: str = "1g", say=print) -> Result:
    from benchmarks.common import fresh_app
    from benchmarks.load_seed import seed
    from benchmarks.load_services import AppServer, RestartableElasticsearch, RestartablePostgres, RestartableStripeMock

    if faults and database_url:
        raise SystemExit("--faults stops and starts PostgreSQL: it needs the server started here, not --database-url")
    started_services: list = []
    result = Result({}, {}, 0)
    try:
        t = time.perf_counter()
        pg = None
        if not database_url:
            pg = RestartablePostgres().start()
            started_services.append(pg)
            database_url = pg.url
        mock = RestartableStripeMock().start()
        started_services.append(mock)
        node = None
        if elasticsearch:
            node = RestartableElasticsearch(heap=es_heap).start()
            started_services.append(node)
        say(f"services up in {time.perf_counter() - t:.1f} s: PostgreSQL {database_url.split('@')[-1]}, "
            f"stripe-mock {mock.url}" + (f", Elasticsearch {node.url}" if node else ", embedded search"))

        instance = tempfile.mkdtemp(prefix="psm-load-")
        config = {"SQLALCHEMY_DATABASE_URI": database_url, "PAYMENT_PROVIDER": "stripe",
                  "STRIPE_API_KEY": "sk_test_load", "STRIPE_API_BASE": mock.url,
                  "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "MAIL_FOLDER": f"{instance}/mail",
                  "SEARCH_BACKEND": "elasticsearch" if node else "embedded",
                  "ELASTICSEARCH_URL": node.url if node else None}
        t = time.perf_counter()
        app = fresh_app(INSTANCE_PATH=instance, **config)
        with app.app_context():
            from listings.search import reindex
            from market.core.extensions import db

            plan, summary = seed(max(users, 1), declarations)
            if node:
                reindex()  # the cluster's index and alias, built as `flask search reindex` does
                db.session.commit()
            db.session.remove()
            db.engine.dispose()
        say(f"seeded in {time.perf_counter() - t:.1f} s: {summary}")

        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE_URL", "ELASTICSEARCH"))}
        env.update(DATABASE_URL=database_url, INSTANCE_PATH=instance, SECRET_KEY="bench", PAYMENT_PROVIDER="stripe",
                   STRIPE_API_KEY="sk_test_load", STRIPE_API_BASE=mock.url, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                   SESSION_COOKIE_SECURE="0", MAIL_BASE_URL="http://127.0.0.1", SEARCH_BACKEND=config["SEARCH_BACKEND"])
        if node:
            env["ELASTICSEARCH_URL"] = node.url
        server = AppServer(env, workers=workers, threads=threads, log=Path(instance) / "gunicorn.log",
                           app_spec=APP).start()
        started_services.append(server)
        say(f"gunicorn on {server.url}: {workers} workers × {threads} threads; {users} users, think time "
            f"{think:g} s, at most {requests} requests" + (f" in {seconds:g} s" if not faults else ""))
        warm_up(server.url, plan, workers)

        timeline = Timeline(grace=2.0)
        samples: list = []
        ledger = Acquisitions()
        controller = None
        if faults:
            order = ([("elasticsearch", node)] if node else []) + [("postgresql", pg), ("stripe-mock", mock)]
            controller = Faults(timeline, order, lead=min(5.0, seconds / 4), outage=outage, gap=4.0, say=say)
            say("faults: " + ", then ".join(f"{name} down {outage:g} s" for name, _ in order))
        budget = Budget(requests, seconds if not faults else 24 * 3600)
        vus = [VirtualUser(i, server.url, plan, budget, timeline, samples, ledger, think=think,
                           webhook_secret=WEBHOOK_SECRET, seed=1) for i in range(users)]
        load_before = os.getloadavg()[0]
        # Restarted servers change their process ids: their CPU time is measured without faults only.
        cpu = cpu_use(server, pg if not faults else None, node if not faults else None)
        timeline.t0 = time.monotonic()
        for vu in vus:
            vu.start()
        if controller:
            controller.start()
            controller.join()
            # The load goes on after the last restart, to show it is served normally again.
            time.sleep(max(0.0, seconds - timeline.now()) + 3.0)
            budget.stopped.set()
        for vu in vus:
            vu.join()
        wall = timeline.now()
        result.seconds = wall
        used = {k: v - cpu[k] for k, v in cpu_use(server, pg if not faults else None,
                                                   node if not faults else None).items()}
        # The machine is shared: what else ran shows in the load average next to the figures.
        say(f"{os.cpu_count()} cores; load average over the last minute {os.getloadavg()[0]:.1f} at the end "
            f"(before the run {load_before:.1f})")

        problems: list[str] = list(controller.failures) if controller else []
        deadline = time.monotonic() + 90
        drainers = [threading.Thread(target=lambda v=vu: problems.extend(v.drain(deadline))) for vu in vus]
        for th in drainers:
            th.start()
        for th in drainers:
            th.join()
        server.stop()
        log = server.tail(10_000_000)
        # A request that met an unhandled error: market/web/errors.py logs it before its 500 page;
        # gunicorn logs what escaped the app altogether (a teardown, say) before its own bare 500.
        unhandled = 0
        for marker in ("unhandled error on", "Error handling request"):
            count = log.count(marker)
            if count:
                at = log.index(marker)
                problems.append(f"{count} × {marker!r} in the app's log, e.g.\n{log[at:at + 2000]}")
            unhandled += count
        say(f"app log: {unhandled} unhandled errors, {log.count('database unavailable on')} requests refused "
            f"for the database, {log.count('outbox processing failed')} outbox runs deferred")

        result.rows = summarise(samples, wall)
        result.phases = phase_table(samples, timeline)
        bad = unexpected_samples(samples, timeline)
        result.unexpected = len(bad)
        report(result, samples, bad, timeline, say)
        # CPU time per request does not depend on what else the machine runs, unlike latency.
        say("CPU time per request: " + ", ".join(f"{name} {seconds * 1000 / max(1, len(samples)):.1f} ms"
                                                 for name, seconds in used.items())
            + f" (over {wall:.0f} s: " + ", ".join(f"{name} {seconds / wall:.2f} cores" for name, seconds in used.items())
            + ")")

        with app.app_context():
            from market.core.time import today_local

            checks = [load_checks.acquisitions(ledger, plan.enterprise_org_ids), load_checks.payments_have_deals(),
                      load_checks.statistics_match_ledger(today_local()), load_checks.index_matches_database(),
                      load_checks.edits_kept(ledger)]
            db.session.remove()
            db.engine.dispose()
        say("\nchecks after the run:")
        for p in problems:  # the run's own: a service that did not come back, work left undone, traces
            say(f"  FAIL {p}")
        for found, line in checks:
            say(f"  {'OK  ' if not found else 'FAIL'} {line}")
            for p in found[:10]:
                say(f"       {p}")
            problems.extend(found)
        result.problems = problems
        return result
    finally:
        for service in reversed(started_services):
            try:
                service.stop()
            except Exception as err:  # keep stopping the others
                say(f"could not stop {type(service).__name__}: {err}")


def cpu_use(server, pg, node) -> dict[str, float]:
    """CPU seconds so far of the app (gunicorn and its workers), the services and this load generator."""
    from benchmarks.load_services import cpu_seconds

    times = os.times()
    used = {"app": cpu_seconds(server.process.pid)}
    if pg is not None and pg.server_pid():
        used["PostgreSQL"] = cpu_seconds(pg.server_pid())
    if node is not None and node.process is not None:
        used["Elasticsearch"] = cpu_seconds(node.process.pid)
    used["load generator"] = times.user + times.system
    return used


def warm_up(url: str, plan, workers: int) -> None:
    """Each worker loads jieba's dictionary and the search index once before the clock starts."""
    budget, timeline = Budget(workers * 12, 120), Timeline(0)
    pool = [VirtualUser(i, url, plan, budget, timeline, [], Acquisitions(), think=0, webhook_secret="",
                        seed=99) for i in range(workers * 2)]
    for vu in pool:
        vu.to_take.clear()  # reads only: the load's acquisitions stay the load's
        vu.owner = None
    threads = [threading.Thread(target=lambda v=vu: [v.search_page(), v.search_api(), v.match(),
                                                      v.patent_page()]) for vu in pool]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def report(result: Result, samples, bad, timeline: Timeline, say) -> None:
    rows = result.rows
    say(f"\n{len(samples)} requests in {result.seconds:.1f} s: {rows['all']['per_s']:.1f} per second")
    say(f"  {'request':15s} {'count':>6s} {'per s':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'503':>5s} {'errors':>6s}")
    for kind, row in rows.items():
        say(f"  {kind:15s} {row['requests']:6d} {row['per_s']:7.1f} {row['p50']:8.1f} {row['p95']:8.1f} "
            f"{row['refused']:5d} {row['errors']:6d}")
    say(f"target: 0 errors, p95 < 300 ms — errors {len(bad)}, overall p95 {rows['all']['p95']:.0f} ms")
    if len(result.phases) > 1 or timeline.windows:
        say("\nanswers per phase (HTTP status: count; 0 = no answer):")
        for phase in sorted(result.phases, key=lambda p: (p != "normal", p)):
            kinds = result.phases[phase]
            say(f"  {phase}:")
            for kind in KINDS:
                if kind in kinds:
                    say(f"    {kind:15s} " + ", ".join(f"{code}: {n}" for code, n in sorted(kinds[kind].items())))
    degraded = Counter(timeline.phase(s.started, s.ended) for s in samples if s.note == "degraded")
    if degraded:
        say("API searches answered from the embedded standby (degraded): "
            + ", ".join(f"{phase} {n}" for phase, n in sorted(degraded.items())))
    if bad:
        say("\nunexpected answers (first 10):")
        for s in bad[:10]:
            say(f"  t={s.started:5.1f} s +{s.ms:.0f} ms {s.kind} [{timeline.phase(s.started, s.ended)}] HTTP {s.status} "
                f"{s.note[:300]}")
        say("  by kind: " + ", ".join(f"{k} {n}" for k, n in Counter(s.kind for s in bad).items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--requests", type=int, default=30_000, help="request budget (the run stops at either limit)")
    # A person reads a page before the next click; 0 measures the most the server can do.
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a user's requests (s)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--declarations", type=int, default=20, help="announced open licences to take")
    parser.add_argument("--elasticsearch", action="store_true", help="start an Elasticsearch node (else embedded)")
    parser.add_argument("--es-heap", default="1g")
    parser.add_argument("--faults", action="store_true", help="stop and restart each service during the load")
    parser.add_argument("--outage", type=float, default=4.0, help="seconds each service stays down")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL to use instead of starting one")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.users, args.seconds, args.requests, args.think = 2, 3.0, 40, 0.1
        args.workers, args.threads, args.declarations = 1, 2, 2
    result = run(users=args.users, seconds=args.seconds, requests=args.requests, think=args.think,
                 elasticsearch=args.elasticsearch, faults=args.faults, database_url=args.database_url,
                 workers=args.workers, threads=args.threads, declarations=args.declarations,
                 outage=args.outage, es_heap=args.es_heap)
    return 1 if result.unexpected or result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
