"""`make test`: the whole suite on SQLite, then again on a real PostgreSQL started here.

An Elasticsearch 7.10 node, an OpenSearch 2.19 node, a stripe-mock server and an S3-compatible
server (moto) are started first (TEST_ELASTICSEARCH_URL, TEST_OPENSEARCH_URL, TEST_STRIPE_MOCK_URL,
TEST_S3_URL), so the search contract suite runs against the embedded backend and both engines, the
Stripe provider against a real server and the upload store against real object storage.
The two JVMs start at once and are waited for together. OpenSearch serves the contract suite in
the SQLite pass only (TEST_SEARCH_CLUSTERS) and is stopped before the PostgreSQL pass: nothing in
the contract depends on the database, and a second run would only add CI time.
Debian's Chromium is checked (installed as root when missing) and passed as TEST_CHROMIUM to the
browser tests, which run in the SQLite pass only. A service that cannot start fails the run with
its error; outside CI a missing node, stripe-mock or Chromium only skips the tests that need it,
with the reason printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "services"))

import chromium  # noqa: E402
from elasticsearch import ElasticsearchNode  # noqa: E402
from opensearch import OpenSearchNode  # noqa: E402
from postgres import Postgres, ServiceError  # noqa: E402
from s3_server import VERSION as S3_VERSION  # noqa: E402
from s3_server import S3Server  # noqa: E402
from search_node import SearchNode  # noqa: E402
from stripe_mock import VERSION as STRIPE_MOCK_VERSION  # noqa: E402
from stripe_mock import StripeMock  # noqa: E402

CI = os.environ.get("CI", "").lower() == "true"


def pytest(label: str, env: dict[str, str], args: list[str]) -> int:
    print(f"\n=== {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                           cwd=ROOT, env={**os.environ, **env})


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
    # Chromium first: it is only a check (nothing keeps running), and the cheapest to fail on.
    try:
        browser = check_chromium()
    except ServiceError:
        return 1
    try:
        nodes = start_search_nodes()
    except ServiceError:
        return 1
    es, opensearch = nodes["Elasticsearch"], nodes["OpenSearch"]
    mock = s3 = None
    try:
        try:
            mock = start_stripe_mock()
            s3 = start_s3()
        except ServiceError:
            return 1
        # Without a node or a mock the tests start none of their own: they skip, and say so.
        services_env = {"TEST_ELASTICSEARCH_URL": es.url if es else "",
                        "TEST_OPENSEARCH_URL": opensearch.url if opensearch else "",
                        "TEST_STRIPE_MOCK_URL": mock.url if mock else "",
                        "TEST_S3_URL": s3.url if s3 else "",
                        "TEST_CHROMIUM": browser.url if browser else ""}
        failures = 0
        failures += pytest("SQLite (embedded default); search contract on Elasticsearch and OpenSearch",
                           services_env, args) != 0
        if opensearch:  # its heap back for PostgreSQL: the second pass runs the contract on Elasticsearch only
            opensearch.stop()
        try:
            server = Postgres().start()
        except ServiceError as err:
            print(f"\nFAILED: PostgreSQL could not start: {err}", file=sys.stderr)
            return 1
        try:
            failures += pytest(f"PostgreSQL on 127.0.0.1:{server.port}; search contract on Elasticsearch",
                               {**services_env, "TEST_DATABASE_URL": server.url,
                                "TEST_SEARCH_CLUSTERS": "elasticsearch"}, args) != 0
        finally:
            server.stop()
    finally:
        for node in (es, opensearch):
            if node:
                node.stop()
        if mock:
            mock.stop()
        if s3:
            s3.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
