"""The embedded index beside Elasticsearch: bulk indexing, query latency, memory, relevance.

    python -m benchmarks.search_backends [--listings 100000] [--sizes 10000,100000] [--rounds 3]
                                         [--es-url http://127.0.0.1:9200] [--relevance-limit 300]

The catalogue is the one of benchmarks/catalogue_search.py (10,017 real A01 records replicated
to --listings listings). Its search documents are built once; each backend then indexes the
first 10,000 and all of them (docs/s is measured on the largest size, jieba segmentation
included for both, since both index jieba-segmented text). Queries are the catalogue benchmark's
mix of Chinese queries with facet filters, sorting and paging, through the Flask app (HTML page
and JSON API) in a fresh process per backend and size, so its peak memory is the app's own.
Without --es-url a node is started here from the test harness's jars, with a 1 GB heap.

Relevance is matching/evaluate.py's measure on the A01 data (precision@10 of held-out abstracts
as demands, title MRR), for each backend's `similar` and the matching engine on top of it. (Layout
v1 also indexed the raw text with the built-in `cjk` bigram analyser, compared here until it
measured below the jieba fields: 0.655 against 0.689.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, median, peak_rss_mb, percentile

sys.path.insert(0, str(ROOT))


def export_documents(instance: str) -> int:
    """Write the search document of every published listing to instance/docs.jsonl."""
    from benchmarks.common import fresh_app
    from listings.search import published_documents as _published_documents

    app = fresh_app(INSTANCE_PATH=instance, SEARCH_INDEX_PATH=f"{instance}/unused.sqlite3",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance}/market.sqlite3")
    count = 0
    with app.app_context(), open(f"{instance}/docs.jsonl", "w", encoding="utf-8") as out:
        for docs in _published_documents():
            for doc in docs:
                out.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
            count += len(docs)
    return count


def load_documents(instance: str, n: int) -> list[dict]:
    with open(f"{instance}/docs.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f)]


def database_of(instance: str) -> str:
    """The identity of the catalogue's database, which the indexes built here record (the app checks it)."""
    from benchmarks.common import fresh_app
    from market.core.identity import database_identity

    app = fresh_app(INSTANCE_PATH=instance, SEARCH_INDEX_PATH=f"{instance}/unused.sqlite3",
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance}/market.sqlite3")
    with app.app_context():
        return database_identity()


def index_all(instance: str, es_url: str, sizes: list[int]) -> dict:
    """Index the first n documents into each backend, for each size; docs/s per backend and size."""
    from market.search.elastic import ElasticsearchBackend, batches
    from market.search.embedded import EmbeddedSearch
    from market.search.http import ElasticClient

    figures = {}
    database = database_of(instance)
    for n in sizes:
        docs = load_documents(instance, n)
        embedded = EmbeddedSearch(f"{instance}/search-{n}.sqlite3")
        embedded.clear()
        embedded.claim(database)
        t0 = time.perf_counter()
        for chunk in batches(docs, 2000):
            embedded.index(chunk, bulk=True)
        figures[f"embedded {n}"] = len(docs) / (time.perf_counter() - t0)
        elastic = ElasticsearchBackend(ElasticClient(es_url, timeout=300), prefix=f"bench{n}_")
        t0 = time.perf_counter()
        elastic.rebuild(batches(docs, 2000), owner=database)
        figures[f"elasticsearch {n}"] = len(docs) / (time.perf_counter() - t0)
        assert len(elastic.ids()) == len(embedded.ids()) == len(docs)
        print(f"indexed {n}: " + ", ".join(f"{k.split()[0]} {v:,.0f} docs/s" for k, v in figures.items()
                                           if k.endswith(f" {n}")), flush=True)
    return figures


def query(instance: str, kind: str, n: int, es_url: str, rounds: int, queries: int | None = None) -> None:
    """Run the query mix through the app on one backend and size (in its own process)."""
    from benchmarks.catalogue_search import QUERIES, VARIANTS
    from benchmarks.common import fresh_app

    overrides = {"INSTANCE_PATH": instance, "SEARCH_INDEX_PATH": f"{instance}/search-{n}.sqlite3",
                 "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/market.sqlite3", "RATELIMIT_ENABLED": False}
    if kind == "elasticsearch":
        overrides.update(SEARCH_BACKEND="elasticsearch", ELASTICSEARCH_URL=es_url,
                         ELASTICSEARCH_INDEX_PREFIX=f"bench{n}_")
    app = fresh_app(**overrides)
    client = app.test_client()
    urls = [(k, f"{path}?q={q}{v}") for q in QUERIES[:queries] for v in VARIANTS
            for k, path in (("api", "/api/v1/search"), ("html", "/search"))]
    for _, url in urls[:20]:
        client.get(url)
    timings: dict[str, list[float]] = {"api": [], "html": []}
    degraded = 0
    for _ in range(rounds):
        for k, url in urls:
            t0 = time.perf_counter()
            response = client.get(url)
            timings[k].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            if k == "api":
                degraded += response.get_json()["degraded"]
    assert degraded == 0, f"{degraded} answers came from the fallback"
    print(json.dumps({k: {"median": median(v), "p95": percentile(v, 95), "count": len(v)}
                      for k, v in timings.items()} | {"rss_mb": peak_rss_mb()}))


def relevance(es_url: str, limit: int | None, records_limit: int | None = None) -> list[tuple[str, float, float, float]]:
    """precision@10 and title MRR per backend, as matching/evaluate.py measures them."""
    from market.search.elastic import ElasticsearchBackend
    from market.search.embedded import EmbeddedSearch
    from market.search.http import ElasticClient
    from matching import evaluate as ev
    from matching.engine import DemandProfile, load_weights, match_patents

    records = ev.load_records()[:records_limit]
    indexed, held = ev.split(records, 0.1, 1)
    held = held[:limit] if limit else held
    queries = [p for p in held if (records[p].get("abstract") or "").strip()]
    label = lambda i: records[i - 1]["ipc_subclass"]  # noqa: E731
    weights = load_weights(None)
    folder = tempfile.mkdtemp(prefix="psm-rel-")
    embedded = EmbeddedSearch(f"{folder}/search.sqlite3")
    elastic = ElasticsearchBackend(ElasticClient(es_url, timeout=120), prefix="benchrel_")
    docs = [ev.a01_document(p, records[p]) for p in indexed]
    embedded.index(docs, bulk=True)
    elastic.rebuild([docs])

    def engine(backend):
        return lambda text: [m.listing_id for m in match_patents(backend, DemandProfile(text=text), limit=ev.K,
                                                                  weights=weights)]

    systems = [
        ("embedded: similar (FTS5 BM25)", lambda t: [h.id for h in embedded.similar(t, limit=ev.K)]),
        ("elasticsearch: similar (jieba fields)", lambda t: [h.id for h in elastic.similar(t, limit=ev.K)]),
        ("embedded: matching engine", engine(embedded)),
        ("elasticsearch: matching engine", engine(elastic)),
    ]
    # matching/evaluate.py's two measures: precision on the index without the held-out patents,
    # then title MRR with them added.
    precision = {name: ev.precision_at_10(system, records, queries, label) for name, system in systems}
    more = [ev.a01_document(p, records[p]) for p in held]
    embedded.index(more, bulk=True)
    elastic.index(more, bulk=True)
    out = []
    for name, system in systems:
        mrr, _ = ev.title_mrr(system, records, held)
        p10, ms = precision[name]
        out.append((name, p10, mrr, ms))
    elastic.drop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--es-url", default=None, help="a running cluster; by default a node is started here")
    parser.add_argument("--instance", default=None, help="reuse a catalogue built earlier")
    parser.add_argument("--relevance-limit", type=int, default=300, help="held-out patents to evaluate (0: all)")
    parser.add_argument("--skip-relevance", action="store_true")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args()
    records_limit = queries = None
    if args.smoke:
        queries = 2
        args.listings, args.sizes, args.rounds, args.relevance_limit, records_limit = 300, "100,300", 1, 5, 400
    sizes = [int(s) for s in args.sizes.split(",")]
    node = None
    es_url = args.es_url
    if es_url is None:
        from tests.services.elasticsearch import ElasticsearchNode

        node = ElasticsearchNode(heap="1g").start()
        es_url = node.url
        print(f"Elasticsearch 7.10.2 node on {es_url}, heap 1 GB", flush=True)
    try:
        instance = args.instance or tempfile.mkdtemp(prefix="psm-backends-bench-")
        if not Path(f"{instance}/docs.jsonl").exists():
            subprocess.run([sys.executable, "-c", "from benchmarks.catalogue_search import build; "
                            f"build({instance!r}, {args.listings}, index=False)"], check=True, cwd=ROOT)
            count = export_documents(instance)
            print(f"catalogue of {count} listings in {instance} (reuse with --instance)", flush=True)
        indexing = index_all(instance, es_url, sizes)
        latency = {}
        for n in sizes:
            for kind in ("embedded", "elasticsearch"):
                out = subprocess.run(
                    [sys.executable, "-c", "from benchmarks.search_backends import query; "
                     f"query({instance!r}, {kind!r}, {n}, {es_url!r}, {args.rounds}, {queries!r})"],
                    check=True, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
                latency[(kind, n)] = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{kind} {n}: {latency[(kind, n)]}", flush=True)
        jvm = json.loads(subprocess.run(["curl", "-s", f"{es_url}/_nodes/stats/jvm"], capture_output=True,
                                        text=True).stdout)
        heap = next(iter(jvm["nodes"].values()))["jvm"]["mem"]
        node_rss = None
        if node is not None:
            status = Path(f"/proc/{node.process.pid}/status").read_text()
            node_rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1]) / 1024
        rel = [] if args.skip_relevance else relevance(es_url, args.relevance_limit or None, records_limit)
        if args.smoke:  # a cluster shared with the test run keeps none of the benchmark's indices
            from market.search.elastic import ElasticsearchBackend
            from market.search.http import ElasticClient

            for n in sizes:
                ElasticsearchBackend(ElasticClient(es_url), prefix=f"bench{n}_").drop()
    finally:
        if node is not None:
            node.stop()

    print("\n## Bulk indexing (jieba segmentation included)")
    for key, rate in indexing.items():
        print(f"- {key} listings: {rate:,.0f} docs/s")
    print("\n## Query latency through the app (ms; API and HTML page)")
    print("| backend | listings | API median | API p95 | page median | page p95 | app peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for (kind, n), r in latency.items():
        print(f"| {kind} | {n:,} | {r['api']['median']:.1f} | {r['api']['p95']:.1f} | {r['html']['median']:.1f} "
              f"| {r['html']['p95']:.1f} | {r['rss_mb']:.0f} MB |")
    print(f"\nElasticsearch node: heap given {heap['heap_max_in_bytes'] / 2**20:.0f} MB, heap used "
          f"{heap['heap_used_in_bytes'] / 2**20:.0f} MB" + (f", process RSS {node_rss:.0f} MB" if node_rss else ""))
    if rel:
        print("\n## Relevance on the A01 harness (matching/evaluate.py's measures)")
        print("| system | precision@10 | title MRR | ms/demand |")
        print("|---|---|---|---|")
        for name, p10, mrr, ms in rel:
            print(f"| {name} | {p10:.3f} | {mrr:.3f} | {ms:.1f} |")


if __name__ == "__main__":
    main()
