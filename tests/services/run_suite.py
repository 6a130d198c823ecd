"""`make test`: the whole suite on SQLite, then again on a real PostgreSQL started here.

A service that cannot start fails the run with its error; nothing is skipped silently.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "services"))

from postgres import Postgres, ServiceError  # noqa: E402


def pytest(label: str, env: dict[str, str], args: list[str]) -> int:
    print(f"\n=== {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                           cwd=ROOT, env={**os.environ, **env})


def main(args: list[str]) -> int:
    failures = 0
    failures += pytest("SQLite (embedded default)", {}, args) != 0
    try:
        server = Postgres().start()
    except ServiceError as err:
        print(f"\nFAILED: PostgreSQL could not start: {err}", file=sys.stderr)
        return 1
    try:
        failures += pytest(f"PostgreSQL on 127.0.0.1:{server.port}",
                           {"TEST_DATABASE_URL": server.url}, args) != 0
    finally:
        server.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
