"""The short CI variant of `python -m benchmarks.load --faults`: the app under gunicorn while its services fail.

10 users for about 20 s against gunicorn on a PostgreSQL and a stripe-mock of its own (the
suite's PostgreSQL is never touched); PostgreSQL and then stripe-mock are stopped for 3 s each
and started again while the load runs. Elasticsearch stays out of this variant (a node takes
~30 s to start again on this machine): its outage runs in the full benchmark, where searches
are answered from the embedded standby. Runs in the PostgreSQL pass of `make test` only.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.services.postgres import ServiceError
from tests.services.required import unavailable


@pytest.fixture(scope="module")
def faulted_run():
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("the load and fault run is for the PostgreSQL pass of `make test` (TEST_DATABASE_URL); "
                    "several gunicorn workers on one SQLite file are not the production shape")
    from benchmarks.load import run

    lines: list[str] = []
    started = time.monotonic()
    try:
        result = run(users=10, seconds=20, requests=4000, think=0.3, faults=True, outage=3.0, declarations=12,
                     workers=2, threads=4, say=lines.append)
    except ServiceError as err:
        unavailable("PostgreSQL or stripe-mock", f"a service of the load run could not start: {err}")
    result.lines = lines
    print("\n".join(lines))
    return result, time.monotonic() - started


def test_no_request_failed_unexpectedly_and_nothing_was_lost(faulted_run):
    result, _ = faulted_run
    assert result.unexpected == 0, "\n".join(result.lines)
    assert result.problems == [], "\n".join(result.problems)


def test_an_outage_was_met_with_503_and_the_app_recovered_by_itself(faulted_run):
    result, _ = faulted_run
    down = result.phases["postgresql down"]
    assert sum(codes[503] for codes in down.values()) > 0 and set().union(*down.values()) <= {200, 201, 503}
    stripe = result.phases["stripe-mock down"]
    assert stripe["checkout"][503] > 0 and set().union(*stripe.values()) <= {200, 201, 503}
    # Served normally after both restarts, by the same gunicorn (pool_pre_ping, no restart).
    after = result.phases["stripe-mock recovering"]
    assert sum(codes[200] + codes[201] for codes in after.values()) > 0
    assert all(set(codes) <= {200, 201} for codes in after.values())


def test_the_run_stays_short(faulted_run):
    assert faulted_run[1] < 180
