"""Issue 16: rate limits in Redis when several app servers run (RATELIMIT_STORAGE_URI=redis://…).

The cases (redis_limits_cases.py) point the process's one limiter at a Redis they start, stop and
restart, so they run in an interpreter of their own; on SQLite always (TEST_DATABASE_URL is not
passed on: the cases build their own database and must not touch the suite's).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).with_name("redis_limits_cases.py")


def test_rate_limits_are_shared_through_redis_and_hold_while_it_is_away():
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CASES)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout, result.stdout[-2000:]
