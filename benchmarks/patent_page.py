"""The patent page (its listing, register facts and similar patents) over 100,000 listings, through the app.

    python -m benchmarks.patent_page [--listings 100000] [--pages 300] [--instance DIR]
    python -m benchmarks.patent_page --smoke        (a tiny size: seconds)

The catalogue is benchmarks.catalogue_search's (the real A01 records replicated, indexed by
`flask search reindex`'s code path); `--instance` reuses one built by either benchmark. In a
fresh process, `--pages` patents drawn at random are opened twice: first visits (nothing about
that patent kept yet) and repeat visits (its similar patents kept until the index changes), and
the similar-patents query alone is timed on the same patents, cold. Target (issue 16): median
< 15 ms at 100,000 listings.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time

from benchmarks.common import median, peak_rss_mb, percentile


def run(instance: str, pages: int) -> None:
    from sqlalchemy import select

    from benchmarks.common import fresh_app
    from listings.models import Patent
    from market.core.extensions import db
    from market.search.service import search_backend

    app = fresh_app(INSTANCE_PATH=instance, SEARCH_INDEX_PATH=f"{instance}/search.sqlite3",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance}/market.sqlite3", RATELIMIT_ENABLED=False)
    client = app.test_client()
    with app.app_context():
        numbers = db.session.scalars(select(Patent.application_number).order_by(Patent.id)).all()
        rng = random.Random(16)
        chosen = rng.sample(numbers, min(pages + 10, len(numbers)))
        warm, chosen = chosen[:10], chosen[10:]
        texts = {n: f"{t} {a}" for n, t, a in db.session.execute(
            select(Patent.application_number, Patent.title, Patent.abstract)
            .where(Patent.application_number.in_(chosen)))}
    for number in warm:  # load the index arrays, the vocabulary and jieba once
        assert client.get(f"/patents/{number}").status_code == 200
    first, again = [], []
    for visits in (first, again):
        for number in chosen:
            t0 = time.perf_counter()
            response = client.get(f"/patents/{number}")
            visits.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (number, response.status_code)
    # The similar query alone, on texts never asked before in this process (a changed word).
    alone = []
    with app.app_context():
        backend = search_backend()
        for number in chosen:
            t0 = time.perf_counter()
            backend.similar(texts[number] + " 基准", limit=7)
            alone.append((time.perf_counter() - t0) * 1000)
    print(f"patent page, {len(chosen)} patents: first visit median {median(first):.1f} ms, "
          f"p95 {percentile(first, 95):.1f} ms; repeat visit median {median(again):.1f} ms, "
          f"p95 {percentile(again, 95):.1f} ms (target median < 15 ms)")
    print(f"similar patents alone (not kept): median {median(alone):.1f} ms, p95 {percentile(alone, 95):.1f} ms; "
          f"share of a first visit {median(alone) / median(first):.0%}; peak RSS {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--instance", default=None, help="reuse a catalogue built earlier")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args()
    if args.smoke:
        args.listings, args.pages = 500, 10
    instance = args.instance
    if instance is None:
        instance = tempfile.mkdtemp(prefix="psm-patent-bench-")
        subprocess.run([sys.executable, "-c", f"from benchmarks.catalogue_search import build; "
                        f"build({instance!r}, {args.listings})"], check=True)
        print(f"catalogue in {instance} (reuse with --instance)")
    subprocess.run([sys.executable, "-c", f"from benchmarks.patent_page import run; run({instance!r}, {args.pages})"],
                   check=True)


if __name__ == "__main__":
    main()
