"""`make test`: the whole suite on SQLite and, at the same time, again on a real PostgreSQL started here.

An Elasticsearch 7.10 node, an OpenSearch 2.19 node, a stripe-mock server and an S3-compatible
server (versitygw) are started first (TEST_ELASTICSEARCH_URL, TEST_OPENSEARCH_URL, TEST_STRIPE_MOCK_URL,
TEST_S3_URL), so the search contract suite runs against the embedded backend and both engines, the
Stripe provider against a real server and the upload store against real object storage.
The two JVMs start at once and are waited for together. OpenSearch serves the contract suite in
the SQLite pass only (TEST_SEARCH_CLUSTERS) and is stopped when that pass ends: nothing in the
contract depends on the database, and a second run would only add CI time. In the same pass
tests/search/test_cluster.py starts a three-node OpenSearch cluster of its own (it stops and
restarts a node, which it can do only to processes it started) and stops it when done.
Debian's redis-server is installed as root when missing, before the passes start (the rate-limit
tests of both start Redis servers of their own). Debian's Chromium is checked (installed as root
when missing) and passed as TEST_CHROMIUM to the browser tests, which run in the SQLite pass only. A service that cannot start fails the run with
its error; outside CI a missing node, stripe-mock or Chromium only skips the tests that need it,
with the reason printed.

The two passes are independent (different databases) and each pytest is one process, so on a
two-core machine they run at once, as two subprocesses (passes.py): each with its own pytest base
temp and its own port range for the search nodes its tests start, its output captured to a log file and
printed whole when it ends (with its time and the 25 slowest tests). The run fails if either
pass fails.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "services"))

import chromium  # noqa: E402
import redis_server  # noqa: E402
from elasticsearch import ElasticsearchNode  # noqa: E402
from opensearch import OpenSearchNode  # noqa: E402
from passes import Pass, run_passes  # noqa: E402
from postgres import Postgres, ServiceError  # noqa: E402
from s3_server import VERSION as S3_VERSION  # noqa: E402
from s3_server import S3Server  # noqa: E402
from search_node import SearchNode  # noqa: E402
from stripe_mock import VERSION as STRIPE_MOCK_VERSION  # noqa: E402
from stripe_mock import StripeMock  # noqa: E402

CI = os.environ.get("CI", "").lower() == "true"
# Where each pass's own search nodes (tests/search's restartable node) look for a port: apart, so that
# one pass never takes the port of the other's node while it is stopped for a restart. The harness's
# nodes start before either pass, from 9201; the SQLite pass's 3-node cluster takes 9298 downwards.
SQLITE_NODE_PORTS = "9201-9239"
POSTGRES_NODE_PORTS = "9240-9260"


def required(name: str, start, describe):
    """Start (or check) one service; under CI a failure raises, elsewhere it warns and gives None."""
    try:
        service = start()
    except ServiceError as err:
        print(f"\n{'FAILED' if CI else 'WARNING'}: {name} could not start: {err}", file=sys.stderr)
        if CI:
            raise
        return None
    print(describe(service), flush=True)
    return service


def check_chromium() -> chromium.Chromium | None:
    """Debian's Chromium (and a CJK font) for the browser tests, installed as root when missing."""
    return required("Chromium", chromium.check,
                    lambda b: f"{b.version} at {b.url}; CJK font: {b.fonts[0] if b.fonts else 'none'}")


def check_redis() -> str | None:
    """Debian's redis-server, installed here when missing: both passes start Redis servers of their own
    (tests/security/test_rate_limits_on_redis.py), and two apt-get runs at once would meet on dpkg's lock."""
    def installed() -> str:
        redis_server.ensure_installed()
        return redis_server.version()
    return required("redis-server", installed, lambda version: f"{version} at {redis_server.EXECUTABLE}")


def start_search_nodes() -> dict[str, SearchNode | None]:
    """Elasticsearch and OpenSearch, launched together (the JVM start-ups overlap), then each waited for.

    Under CI a node that cannot start raises (after stopping the other); elsewhere it is None.
    """
    nodes: dict[str, SearchNode] = {"Elasticsearch": ElasticsearchNode(), "OpenSearch": OpenSearchNode()}
    errors: dict[str, ServiceError] = {}
    for name, node in nodes.items():
        try:
            node.launch()
        except ServiceError as err:
            errors[name] = err

    def wait(name: str) -> SearchNode:
        if name in errors:
            raise errors[name]
        return nodes[name].wait()

    started: dict[str, SearchNode | None] = {}
    try:
        for name in nodes:
            started[name] = required(name, lambda name=name: wait(name),
                                     lambda n: f"{n.product} {n.version()} on {n.url} "
                                               f"(healthy {n.start_seconds:.1f} s after launch, heap {n.heap})")
    except ServiceError:
        for node in nodes.values():
            node.stop()
        raise
    for name, node in nodes.items():
        if started.get(name) is None:
            node.stop()
    return started


def start_stripe_mock() -> StripeMock | None:
    return required("stripe-mock", lambda: StripeMock().start(),
                    lambda mock: f"stripe-mock {STRIPE_MOCK_VERSION} on {mock.url}")


def start_s3() -> S3Server | None:
    return required("S3 server", lambda: S3Server().start(), lambda server: f"{S3_VERSION} S3 server on {server.url}")


def main(args: list[str]) -> int:
    began = time.monotonic()
    # Chromium first: it is only a check (nothing keeps running), and the cheapest to fail on.
    try:
        browser = check_chromium()
        check_redis()
    except ServiceError:
        return 1
    try:
        nodes = start_search_nodes()
    except ServiceError:
        return 1
    es, opensearch = nodes["Elasticsearch"], nodes["OpenSearch"]
    mock = s3 = server = None
    passes: list[Pass] = []
    failures = 0
    folder = Path(tempfile.mkdtemp(prefix="psm-suite-"))
    try:
        try:
            mock = start_stripe_mock()
            s3 = start_s3()
        except ServiceError:
            return 1
        try:
            server = Postgres().start()
        except ServiceError as err:
            print(f"\nFAILED: PostgreSQL could not start: {err}", file=sys.stderr)
            return 1
        print(f"PostgreSQL on 127.0.0.1:{server.port}", flush=True)
        # Without a node or a mock the tests start none of their own: they skip, and say so.
        services_env = {"TEST_ELASTICSEARCH_URL": es.url if es else "",
                        "TEST_OPENSEARCH_URL": opensearch.url if opensearch else "",
                        "TEST_STRIPE_MOCK_URL": mock.url if mock else "",
                        "TEST_S3_URL": s3.url if s3 else "",
                        "TEST_CHROMIUM": browser.url if browser else ""}
        passes.append(Pass("sqlite", "SQLite (embedded default); search contract on Elasticsearch and OpenSearch",
                           {**services_env, "TEST_NODE_PORTS": SQLITE_NODE_PORTS}, args, folder))
        passes.append(Pass("postgresql", f"PostgreSQL on 127.0.0.1:{server.port}; search contract on Elasticsearch",
                           {**services_env, "TEST_DATABASE_URL": server.url, "TEST_SEARCH_CLUSTERS": "elasticsearch",
                            "TEST_NODE_PORTS": POSTGRES_NODE_PORTS}, args, folder))

        def on_finish(done: Pass) -> None:
            # OpenSearch serves the SQLite pass only: its heap goes back as soon as that pass ends.
            if done.name == "sqlite" and opensearch:
                opensearch.stop()

        failures = run_passes(passes, on_finish)
        print(f"\n=== both passes: {', '.join(f'{p.name} {p.seconds:.0f} s' for p in passes)}; "
              f"whole run {time.monotonic() - began:.0f} s ===", flush=True)
    finally:
        for each in passes:
            each.interrupt()
        if server:
            server.stop()
        for node in (es, opensearch):
            if node:
                node.stop()
        if mock:
            mock.stop()
        if s3:
            s3.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
