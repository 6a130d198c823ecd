"""A real service for a test session: the harness's, or one started here; never a silent stand-in.

The harness (run_suite.py) starts each service once and passes its URL in an environment
variable; an empty value means it tried and failed. A plain `pytest` starts the service itself.
Under CI a service that cannot start fails the tests that need it; elsewhere they skip, saying why.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.services.postgres import ServiceError


def unavailable(name: str, reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is required under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def service_url(env_var: str, name: str, start: Callable[[], object]) -> Iterator[str]:
    """Yield the service's URL for a session-scoped fixture; `start()` returns an object with .url and .stop()."""
    url = os.environ.get(env_var)
    if url:
        yield url
        return
    if url is not None:
        unavailable(name, f"the test harness could not start {name}")
    try:
        server = start()
    except ServiceError as err:
        unavailable(name, f"{name} could not start: {err}")
    yield server.url
    server.stop()
