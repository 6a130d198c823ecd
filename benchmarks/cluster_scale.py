"""Catalogue search and matching at scale: the embedded backend beside a three-node OpenSearch cluster.

    nice -n 10 python -m benchmarks.cluster_scale [--sizes 10000,100000] [--demands 120]
                                                  [--database-url postgresql://…] [--es-url URL,URL,URL]
    python -m benchmarks.cluster_scale --smoke     # 300 listings, 5 demands

For each size the catalogue of benchmarks/catalogue_search.py (the real A01 records replicated
under fresh valid numbers) is written to PostgreSQL (a throwaway server started here unless
--database-url names an empty one; its schema is dropped first), then for each backend:

- the floor: jieba segmentation alone of the same documents on every core (the documents read
  first, untimed);
- build: `flask search reindex`'s code path (listings.search.reindex) in its own process,
  wall-clock seconds, and the index alone (without the field model the command also trains) as a
  share of the floor; on the cluster this also writes the embedded standby copy, as the app does;
- queries, in a fresh process (so its peak RSS is the app's): the catalogue benchmark's mix of
  Chinese queries with filters, sorting and paging through the JSON API, and matching of real
  enterprise demands (top 10 with reasons, as the demand page does; the field model trained first,
  timed apart). Figures: median and p95 in ms, peak RSS of that process.

Without --es-url a cluster of three OpenSearch 2.19.1 nodes (384 MB heap each, one replica) is
started here from the test harness's jars. The load average is printed with each row: the machine
may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date

from benchmarks.common import ROOT, median, peak_rss_mb, percentile


def _app(instance: str, kind: str, n: int, database_url: str, es_url: str):
    from benchmarks.common import fresh_app

    overrides = {"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                 "SEARCH_INDEX_PATH": f"{instance}/search-{kind}-{n}.sqlite3", "MATCHING_WARM_AT_START": False}
    if kind == "cluster":
        overrides.update(SEARCH_BACKEND="elasticsearch", ELASTICSEARCH_URL=es_url, ELASTICSEARCH_TIMEOUT=120.0,
                         ELASTICSEARCH_INDEX_PREFIX=f"scale{n}_")
    return fresh_app(**overrides)


def floor(instance: str, n: int, database_url: str) -> None:
    """The indexing floor: jieba segmentation alone of the same documents' title and body, on
    every core (the indexer's own worker pool), the documents read beforehand; print its docs/s."""
    from listings.search import published_documents
    from market.search.fts import segment

    app = _app(instance, "embedded", n, database_url, "")
    with app.app_context():
        pairs = [(d.get("title", "") or "", d.get("body", "") or "") for docs in published_documents() for d in docs]
    started = time.perf_counter()
    segment(pairs, bulk=True)
    seconds = time.perf_counter() - started
    print(json.dumps({"documents": len(pairs), "floor_s": seconds, "floor_docs_per_s": len(pairs) / seconds,
                      "cores": os.cpu_count()}))


def index(instance: str, kind: str, n: int, database_url: str, es_url: str) -> None:
    """Build one backend's index from the database (in its own process); print its seconds.

    `flask search reindex` also trains matching's field model on the new catalogue (a fixed
    sample of a few thousand abstracts, whatever the size): timed apart, so that the index's own
    docs/s can be set against the segmentation floor."""
    from listings.search import reindex
    from market.core.extensions import db
    from matching import catalogue_model

    app = _app(instance, kind, n, database_url, es_url)
    model_s = []
    build_model = catalogue_model.build_now

    def timed_build(*args, **kwargs):
        started = time.perf_counter()
        try:
            return build_model(*args, **kwargs)
        finally:
            model_s.append(time.perf_counter() - started)

    catalogue_model.build_now = timed_build
    with app.app_context():
        started = time.perf_counter()
        count = reindex()
        db.session.commit()
        seconds = time.perf_counter() - started
    index_s = seconds - sum(model_s)
    print(json.dumps({"documents": count, "build_s": seconds, "docs_per_s": count / seconds,
                      "index_s": index_s, "index_docs_per_s": count / index_s, "model_build_s": sum(model_s),
                      "build_rss_mb": peak_rss_mb()}))


def query(instance: str, kind: str, n: int, database_url: str, es_url: str, demands: int) -> None:
    """The catalogue query mix and the matching of real demands through the app (in a fresh process)."""
    from benchmarks.catalogue_search import QUERIES, VARIANTS
    from benchmarks.matching import WISHES
    from benchmarks.matching import demands as real_demands
    from market.search.service import search_backend
    from matching.catalogue_model import build_now
    from matching.confidence import load_confidence
    from matching.engine import DemandProfile, load_weights, match_demand

    app = _app(instance, kind, n, database_url, es_url)
    client = app.test_client()
    urls = [f"/api/v1/search?q={q}{v}" for q in QUERIES for v in VARIANTS]
    for url in urls[:20]:  # warm up: jieba, connections, the index's caches
        client.get(url)
    search, degraded = [], 0
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        search.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        degraded += response.get_json()["degraded"]
    assert degraded == 0, f"{degraded} answers came from the standby copy, not the {kind} backend"
    weights, confidence, today = load_weights(), load_confidence(), date(2026, 1, 1)
    profiles = [DemandProfile(text=f"{d['title']}\n{d['content']}", **WISHES[i % len(WISHES)])
                for i, d in enumerate(real_demands()[:demands])]
    matching = []
    with app.app_context():
        backend = search_backend()
        started = time.perf_counter()
        model = build_now()
        model_s = time.perf_counter() - started
        match_demand(backend, profiles[0], weights=weights, today=today, field_model=model, confidence=confidence)
        for profile in profiles:
            started = time.perf_counter()
            match_demand(backend, profile, limit=10, weights=weights, today=today, field_model=model,
                         confidence=confidence)
            matching.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"search_median": median(search), "search_p95": percentile(search, 95),
                      "matching_median": median(matching), "matching_p95": percentile(matching, 95),
                      "model_s": model_s, "rss_mb": peak_rss_mb(), "load": os.getloadavg()[0]}))


def _child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from sqlalchemy import create_engine

    from tests.services.opensearch_cluster import OpenSearchCluster
    from tests.services.postgres import Postgres

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--demands", type=int, default=120, help="real demands matched per backend and size")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (its schema is dropped)")
    parser.add_argument("--es-url", default=None, help="a running cluster's nodes, comma-separated")
    parser.add_argument("--smoke", action="store_true", help="300 listings, 5 demands")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.demands = "300", 5
    sizes = [int(s) for s in args.sizes.split(",")]
    server = cluster = None
    rows = []
    try:
        database_url = args.database_url
        if database_url is None:
            server = Postgres().start()
            database_url = server.url
        es_url = args.es_url
        if es_url is None:
            cluster = OpenSearchCluster().start()
            es_url = cluster.url
            print(f"OpenSearch {cluster.version()} cluster, 3 nodes, heap {cluster.heap} each: {es_url}", flush=True)
        instance = tempfile.mkdtemp(prefix="psm-scale-")
        for n in sizes:
            engine = create_engine(database_url)
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            engine.dispose()
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "from benchmarks.catalogue_search import build; "
                            f"build({instance!r}, {n}, index=False, database_url={database_url!r})"],
                           check=True, cwd=ROOT, capture_output=True)
            print(f"\n{n:,} listings written to PostgreSQL in {time.perf_counter() - started:.0f} s", flush=True)
            segmentation = _child(f"from benchmarks.cluster_scale import floor; floor({instance!r}, {n}, "
                                  f"{database_url!r})")
            print(f"segmentation floor {n:,}: {json.dumps(segmentation)}", flush=True)
            for kind in ("embedded", "cluster"):
                call = f"{instance!r}, {kind!r}, {n}, {database_url!r}, {es_url!r}"
                built = _child(f"from benchmarks.cluster_scale import index; index({call})") | segmentation
                measured = _child(f"from benchmarks.cluster_scale import query; query({call}, {args.demands})")
                rows.append((kind, n, built, measured))
                print(f"{kind} {n:,}: {json.dumps(built | measured)}", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
        if server is not None:
            server.stop()
    print("\n| backend | listings | build s (docs/s) | index alone docs/s (% of floor) | field model s "
          "| search median / p95 ms | matching median / p95 ms | app RSS MB | load avg |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, n, b, m in rows:
        share = 100 * b["index_docs_per_s"] / b["floor_docs_per_s"]
        print(f"| {kind} | {n:,} | {b['build_s']:.0f} ({b['docs_per_s']:,.0f}) | {b['index_docs_per_s']:,.0f} "
              f"({share:.0f} % of {b['floor_docs_per_s']:,.0f}) | {b['model_build_s']:.1f} | {m['search_median']:.1f} / "
              f"{m['search_p95']:.1f} | {m['matching_median']:.1f} / {m['matching_p95']:.1f} | {m['rss_mb']:.0f} "
              f"| {m['load']:.1f} |")
    print("targets at 1 M on the cluster: search p95 < 100 ms, matching p95 < 200 ms, app RSS < 500 MB; "
          "indexing at least 80 % of the floor (jieba alone on every core) on both backends")


if __name__ == "__main__":
    main()
