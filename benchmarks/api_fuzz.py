"""The deeper API fuzz run: Schemathesis against /api/v1/openapi.json, every operation as every actor.

    python -m benchmarks.api_fuzz [--examples 200] [--seed N] [--actor enterprise] [--only REGEX]
                                  [--no-coverage] [--database-url URL]

The same runner as the CI test (tests/fuzz/runner.py: coverage phase, then positive and negative
fuzzing on random and real ids, five checks on every answer), with more examples, on an app of
its own over a temporary SQLite database (or --database-url, whose schema `public` is rebuilt):
writes are committed there and thrown away with it. Prints one line per operation and actor, the figures (operation runs,
calls per phase, statuses) and every failure with a curl line to reproduce it; exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from config.settings import TestSettings
from market import create_app
from market.core.extensions import db
from market.core.outbox import process_outbox
from tests.fuzz import runner
from tests.fuzz import world as fuzz_world
from tests.fuzz.world import ACTORS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="Hypothesis examples per operation and actor")
    parser.add_argument("--seed", type=int, default=None, help="a seed (default: derandomised, reproducible)")
    parser.add_argument("--actor", action="append", choices=ACTORS, help="only these actors (repeatable)")
    parser.add_argument("--only", metavar="REGEX", help="only operations whose label (e.g. 'GET /deals/{id}') matches")
    parser.add_argument("--database-url", help="a PostgreSQL database to run on; its schema `public` is dropped "
                                               "and rebuilt (default: a temporary SQLite file)")
    parser.add_argument("--no-coverage", action="store_true", help="skip the coverage phase (boundary values)")
    parser.add_argument("--quiet", action="store_true", help="no line per operation")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.examples, args.no_coverage, args.quiet = 1, True, True

    with tempfile.TemporaryDirectory(prefix="psm-fuzz-") as folder:
        settings = TestSettings(folder)
        settings.SQLALCHEMY_DATABASE_URI = args.database_url or f"sqlite:///{folder}/fuzz.sqlite3"
        app = create_app(settings)
        with app.app_context():
            from flask_migrate import upgrade

            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            upgrade()
            world = fuzz_world.build()
            db.session.commit()
            process_outbox()  # the search index (and the matches) see the listings
        report = runner.fuzz(app, world, actors=args.actor or ACTORS, examples=args.examples, seed=args.seed,
                             coverage=not args.no_coverage, only=args.only,
                             send=app.test_client(), progress=None if args.quiet else _print)
        with app.app_context():
            db.engine.dispose()
    print()
    print(f"examples per operation: {args.examples}; seed: {args.seed if args.seed is not None else 'derandomised'}")
    print(report.summary())
    for finding in report.findings:
        print(f"\n--- {finding.actor}: {finding.operation}\n{finding.failure}")
    return 1 if report.findings else 0


def _print(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
