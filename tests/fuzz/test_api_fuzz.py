"""Schemathesis against /api/v1/openapi.json: no 5xx, and every answer as documented, for each actor.

In process and isolated like any other test: the fuzzer sends its requests through the `client`
fixture (each request in a context of its own), whose database session is this test's, inside
the transaction that is rolled back at the end; each actor gets a world of its own. Bounded for
CI: a fixed number of examples per operation, derandomised, so a run is reproducible.
`python -m benchmarks.api_fuzz` goes deeper.
"""

from __future__ import annotations

import pytest

from market.core.extensions import db
from market.core.outbox import process_outbox
from tests.fuzz import runner
from tests.fuzz.world import ACTORS, build

EXAMPLES = 20
# The coverage phase tries each parameter's and field's boundary values, handled alike for every
# caller past authentication: three actors are enough, the operator and the bureau are fuzzed.
COVERAGE_ACTORS = {"anonymous", "enterprise", "patentee"}


@pytest.fixture
def world(session):
    built = build()
    db.session.commit()  # the test's savepoint: the outer transaction is still rolled back
    process_outbox()  # the search index (and the matches) see the listings
    return built


def test_the_document_is_valid_openapi_3_0(app):
    # Against the official OpenAPI 3.0 JSON Schema (bundled with Schemathesis); raises on the first problem.
    runner.load_schema(app).validate()


@pytest.mark.parametrize("actor", ACTORS)
def test_every_operation_answers_as_documented(app, client, world, actor):
    report = runner.fuzz(app, world, actors=[actor], examples=EXAMPLES, coverage=actor in COVERAGE_ACTORS,
                         send=client)
    # Every operation ran, and not every answer was a refusal.
    assert report.operations == len(runner.operations(runner.load_schema(app)))
    assert report.statuses.get(200, 0) > 0
    if report.findings:
        pytest.fail(f"{report.summary()}\n\n" + "\n\n".join(
            f"--- {f.actor}: {f.operation}\n{f.failure}" for f in report.findings), pytrace=False)
