"""`make test`: the whole suite on SQLite, then again on a real PostgreSQL started here.

An Elasticsearch node is started first and serves both runs (TEST_ELASTICSEARCH_URL), so the
search contract suite runs against both backends each time. A service that cannot start
fails the run with its error; outside CI a missing Elasticsearch only skips its half of the
search suite, with the reason printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "services"))

from elasticsearch import ElasticsearchNode  # noqa: E402
from postgres import Postgres, ServiceError  # noqa: E402

CI = os.environ.get("CI", "").lower() == "true"


def pytest(label: str, env: dict[str, str], args: list[str]) -> int:
    print(f"\n=== {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                           cwd=ROOT, env={**os.environ, **env})


def start_elasticsearch() -> ElasticsearchNode | None:
    try:
        node = ElasticsearchNode().start()
    except ServiceError as err:
        print(f"\n{'FAILED' if CI else 'WARNING'}: Elasticsearch could not start: {err}", file=sys.stderr)
        if CI:
            raise
        return None
    print(f"Elasticsearch 7.10.2 on {node.url}", flush=True)
    return node


def main(args: list[str]) -> int:
    try:
        node = start_elasticsearch()
    except ServiceError:
        return 1
    # Without a node the search tests start none of their own: they skip, and say so.
    search_env = {"TEST_ELASTICSEARCH_URL": node.url} if node else {"TEST_ELASTICSEARCH_URL": ""}
    try:
        failures = 0
        failures += pytest("SQLite (embedded default)", search_env, args) != 0
        try:
            server = Postgres().start()
        except ServiceError as err:
            print(f"\nFAILED: PostgreSQL could not start: {err}", file=sys.stderr)
            return 1
        try:
            failures += pytest(f"PostgreSQL on 127.0.0.1:{server.port}",
                               {**search_env, "TEST_DATABASE_URL": server.url}, args) != 0
        finally:
            server.stop()
    finally:
        if node:
            node.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
