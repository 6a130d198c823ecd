"""The deeper fuzz run: `python -m tests.fuzz --examples 200 [--seed N] [--actor enterprise]`.

Runs on an app of its own over a temporary SQLite database (writes are committed there and thrown
away with it), prints one line per operation and actor, the figures, and every failure.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile

from config.settings import TestSettings
from market import create_app
from market.extensions import db
from market.outbox import process_outbox
from tests.fuzz import runner, world as fuzz_world

ACTORS = ["anonymous", "enterprise", "patentee", "bureau"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="Hypothesis examples per operation and actor")
    parser.add_argument("--seed", type=int, default=None, help="a seed (default: derandomised, reproducible)")
    parser.add_argument("--actor", action="append", choices=ACTORS, help="only these actors (repeatable)")
    parser.add_argument("--only", metavar="REGEX", help="only operations whose label (e.g. 'GET /deals/{id}') matches")
    parser.add_argument("--database-url", help="a PostgreSQL database to run on, whose schema `public` is dropped and rebuilt "
                             "(default: a temporary SQLite file)")
    parser.add_argument("--no-coverage", action="store_true", help="skip the coverage phase (boundary values)")
    parser.add_argument("--quiet", action="store_true", help="no line per operation")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)

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
