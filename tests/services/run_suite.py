"""`make test`: the whole suite on SQLite, then again on a real PostgreSQL started here.

An Elasticsearch node and a stripe-mock server are started first and serve both runs
(TEST_ELASTICSEARCH_URL, TEST_STRIPE_MOCK_URL), so the search contract suite runs against both
backends and the Stripe provider against a real server each time. Debian's Chromium is checked
(installed as root when missing) and passed as TEST_CHROMIUM to the browser tests, which run in
the SQLite pass only. A service that cannot start fails the run with its error; outside CI a
missing Elasticsearch, stripe-mock or Chromium only skips the tests that need it, with the reason
printed.
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
from postgres import Postgres, ServiceError  # noqa: E402
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


def start_elasticsearch() -> ElasticsearchNode | None:
    return required("Elasticsearch", lambda: ElasticsearchNode().start(),
                    lambda node: f"Elasticsearch 7.10.2 on {node.url}")


def start_stripe_mock() -> StripeMock | None:
    return required("stripe-mock", lambda: StripeMock().start(),
                    lambda mock: f"stripe-mock {STRIPE_MOCK_VERSION} on {mock.url}")


def main(args: list[str]) -> int:
    # Chromium first: it is only a check (nothing keeps running), and the cheapest to fail on.
    try:
        browser = check_chromium()
    except ServiceError:
        return 1
    try:
        node = start_elasticsearch()
    except ServiceError:
        return 1
    try:
        mock = start_stripe_mock()
    except ServiceError:
        if node:
            node.stop()
        return 1
    # Without a node or a mock the tests start none of their own: they skip, and say so.
    services_env = {"TEST_ELASTICSEARCH_URL": node.url if node else "",
                  "TEST_STRIPE_MOCK_URL": mock.url if mock else "",
                  "TEST_CHROMIUM": browser.url if browser else ""}
    try:
        failures = 0
        failures += pytest("SQLite (embedded default)", services_env, args) != 0
        try:
            server = Postgres().start()
        except ServiceError as err:
            print(f"\nFAILED: PostgreSQL could not start: {err}", file=sys.stderr)
            return 1
        try:
            failures += pytest(f"PostgreSQL on 127.0.0.1:{server.port}",
                               {**services_env, "TEST_DATABASE_URL": server.url}, args) != 0
        finally:
            server.stop()
    finally:
        if node:
            node.stop()
        if mock:
            mock.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
