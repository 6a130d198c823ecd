"""Import the 10,017 real A01 patents and the 756 USTB patents, listed and indexed.

    python -m benchmarks.import_portfolio

Target (issue 2): under 30 s in total on a 2-core machine, indexing included.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import data_file, fresh_app, peak_rss_mb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=None, help="only the first rows of each file (default: all)")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows = 100
    from listings.importing.columns import suggest_mapping
    from listings.importing.readers import read_table
    from listings.importing.service import ImportOptions, import_table
    from listings.search import index_status
    from listings.vocabulary import OrgStatus, OrgType
    from market.accounts.points.models import Point
    from market.accounts.services import create_organisation
    from market.accounts.uscc import make_uscc
    from market.core.extensions import db
    from market.core.outbox import process_outbox

    app = fresh_app()
    with app.test_request_context():
        a01_org = create_organisation(name="A01 基准测试大学", org_type=OrgType.UNIVERSITY,
                                      uscc=make_uscc("12310113000000001"), status=OrgStatus.APPROVED)
        ustb = create_organisation(name="北京科技大学", org_type=OrgType.UNIVERSITY,
                                   uscc=make_uscc("12110000000000002"), status=OrgStatus.APPROVED)
        operator = create_organisation(name="基准网点运营", org_type=OrgType.POINT_OPERATOR,
                                       uscc=make_uscc("91310113000000003"), status=OrgStatus.APPROVED)
        point = Point(name="基准网点", district="宝山区", operator=operator)
        db.session.add(point)
        db.session.commit()
        timings = {}
        totals = {}
        started = time.perf_counter()
        for label, path, org in (("A01", data_file("cn_patents_a01", "patents.jsonl"), a01_org),
                                 ("USTB", data_file("cn_university_ustb", "patents.jsonl"), ustb)):
            t0 = time.perf_counter()
            data = path.read_bytes()
            if args.rows is not None:  # the files are JSON lines: the first rows are the first lines
                data = b"".join(data.splitlines(keepends=True)[:args.rows])
            table = read_table(data, path.name, max_bytes=200 * 1024 * 1024)
            result = import_table(table, suggest_mapping(table.headers), org,
                                  ImportOptions(point=point, publish=True))
            db.session.commit()
            t1 = time.perf_counter()
            indexed = process_outbox(bulk=True)
            t2 = time.perf_counter()
            timings[label] = (t1 - t0, t2 - t1)
            totals[label] = (result.rows, result.created, result.updated, result.listed,
                             len(result.rejected), indexed)
        total = time.perf_counter() - started
        status = index_status()
    for label, (rows, created, updated, listed, rejected, indexed) in totals.items():
        db_s, idx_s = timings[label]
        print(f"{label:5s} rows {rows:6d} created {created:6d} updated {updated:4d} listed {listed:6d} "
              f"rejected {rejected:4d} | import {db_s:6.1f} s, index + notices ({indexed} outbox entries) {idx_s:5.1f} s")
    print(f"TOTAL {total:.1f} s (target < 30 s); index in step with database: {status['in_step']}; "
          f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
