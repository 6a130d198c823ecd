"""Schemathesis against /api/v1/openapi.json, in process: every operation, as every actor.

Shared by the CI test (tests/fuzz/test_api_fuzz.py) and the deeper run (`python -m benchmarks.api_fuzz`).
Each operation, for each actor, gets two phases:

- coverage: Schemathesis' fixed set of boundary and just-invalid values of every parameter and
  body field, missing required ones, other methods (no randomness);
- fuzzing: a Hypothesis run of `examples` cases, positive and negative, many of them on the
  world's real ids so that the code behind the 404 is reached too, and some with U+0000 in
  every string of the body.

Every response goes through the checks below. A failure is kept (shrunk by Hypothesis, with a
curl line to reproduce it) and the run goes on with the next operation.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from market.core.extensions import limiter
from tests.fuzz.world import FuzzWorld

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
OPENAPI = "/api/v1/openapi.json"
# The human docs page is HTML with nothing to fuzz; the document itself has its own tests.
SKIPPED = {"/api/v1/docs", "/api/v1/openapi.json"}
# Without a token an operation that requires one answers 401 before it reads anything: a few
# examples show that answer's shape, the rest of the budget goes where the views run.
TOKENLESS_EXAMPLES = 5


@dataclass
class Finding:
    actor: str
    operation: str
    failure: str


@dataclass
class Report:
    operations: int = 0
    calls: dict[str, int] = field(default_factory=lambda: {"coverage": 0, "fuzzing": 0})
    seconds: dict[str, float] = field(default_factory=lambda: {"coverage": 0.0, "fuzzing": 0.0})
    statuses: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        statuses = ", ".join(f"{code}×{n}" for code, n in sorted(self.statuses.items()))
        phases = "; ".join(f"{phase} {self.calls[phase]} calls in {self.seconds[phase]:.1f} s"
                           for phase in ("coverage", "fuzzing"))
        return (f"{self.operations} operation runs; {phases}; statuses {statuses}; "
                f"{len(self.findings)} failing")


def load_schema(app):
    return schemathesis.openapi.from_wsgi(OPENAPI, app)


def operations(schema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if op.full_path not in SKIPPED]


def requires_token(operation) -> bool:
    return operation.definition.raw.get("security") == [{"bearerAuth": []}]


def fuzz(app, world: FuzzWorld, *, actors: list[str], examples: int, seed: int | None = None,
         coverage: bool = True, only: str | None = None, send=None,
         progress: Callable[[str], None] | None = None) -> Report:
    """Run every operation (or those whose label matches `only`) as every actor.

    `send` is the WSGI client: the test's isolated one, or any client of `app`.
    """
    schema = load_schema(app)
    chosen = [op for op in operations(schema) if only is None or re.search(only, op.label)]
    report = Report()
    for actor in actors:
        headers = world.headers[actor]
        for operation in chosen:
            report.operations += 1
            tokenless = not headers and requires_token(operation)
            if coverage and not tokenless:
                started = time.perf_counter()
                failure = _run_coverage(schema, operation, headers, send, report)
                report.seconds["coverage"] += time.perf_counter() - started
                if failure:
                    report.findings.append(Finding(actor, operation.label, failure))
            started = time.perf_counter()
            test = _fuzzing_test(operation, world, headers, send, report,
                                 min(examples, TOKENLESS_EXAMPLES) if tokenless else examples, seed)
            try:
                test()
            except (Exception, BaseExceptionGroup) as exc:  # a check failed or the app raised: keep it, go on
                report.findings.append(Finding(actor, operation.label, _describe(exc)))
            report.seconds["fuzzing"] += time.perf_counter() - started
            if progress:
                progress(f"{actor:<10} {operation.label:<60} {sum(report.calls.values()):>7} calls")
    return report


def case_strategy(operation, world: FuzzWorld):
    """Positive and negative cases, on random ids and on the world's real ones."""
    real = world.real_parameters(operation.path, [p.name for p in operation.path_parameters])
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(mode))
        if real:
            strategies.append(st.sampled_from(real).flatmap(
                lambda values, mode=mode: operation.as_strategy(mode, path_parameters=values)))
    if operation.body:
        # Random text seldom holds U+0000, which PostgreSQL cannot store: some cases carry one in
        # every string of their body. (A lone surrogate, the other unstorable text, cannot even be
        # sent: the client encodes bodies as UTF-8. tests/fuzz/test_findings.py sends one by hand.)
        strategies.append(st.one_of(list(strategies)).map(_with_nul))
    return st.one_of(strategies)


def _with_nul(case):
    def spoil(value):
        if isinstance(value, str):
            return value + "\x00"
        if isinstance(value, dict):
            return {key: spoil(item) for key, item in value.items()}
        if isinstance(value, list):
            return [spoil(item) for item in value]
        return value

    if isinstance(case.body, (dict, list)):
        case.body = spoil(case.body)
    return case


def _check(case, headers: dict, send, report: Report, phase: str) -> None:
    limiter.reset()  # the rate limit has its own tests; the fuzzer must reach the views
    response = case.call(session=send, headers=headers)
    report.calls[phase] += 1
    report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
    case.validate_response(response, checks=CHECKS, headers=headers)


def _run_coverage(schema, operation, headers: dict, send, report: Report) -> str | None:
    """Every coverage case of the operation; the first failure (and how many failed), if any."""
    failures: list[str] = []
    generation = schema.config.generation_for(operation=operation, phase="coverage")
    for case in schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode),
                                           generation_config=generation):
        try:
            _check(case, headers, send, report, "coverage")
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(_describe(exc))
    if not failures:
        return None
    return f"coverage phase: {len(failures)} failing case(s); the first:\n{failures[0]}"


def _fuzzing_test(operation, world: FuzzWorld, headers: dict, send, report: Report, examples: int,
                  seed: int | None) -> Callable[[], None]:
    def call(case) -> None:
        _check(case, headers, send, report, "fuzzing")

    settings = hypothesis.settings(
        max_examples=examples, deadline=None, database=None, derandomize=seed is None,
        suppress_health_check=list(HealthCheck), print_blob=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink])
    test = settings(hypothesis.given(case=case_strategy(operation, world))(call))
    return hypothesis.seed(seed)(test) if seed is not None else test


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FailureGroup):  # Schemathesis' own report: each check, the response, a curl line
        return str(exc)
    return "".join(traceback.format_exception(exc))
