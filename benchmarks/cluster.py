"""A three-node OpenSearch 2.19 cluster with one replica under load: a node restart and a reindex.

    python -m benchmarks.cluster [--docs 20000] [--readers 2] [--steady 10] [--down 10] [--smoke]

Three nodes are started from the test harness's jars (tests/services/opensearch_cluster.py) and
the app's backend (ElasticsearchBackend over an ElasticClient given every node's URL) gets --docs
documents built from the real A01 records. Then, with reader threads searching (text, facets,
and a count of everything) and one writer adding and updating documents without pause:

1. the elected cluster manager is stopped (SIGTERM) and, after --down seconds, started again;
   the load runs on until the cluster is green with three nodes again;
2. the index is rebuilt behind its alias (`flask search reindex`'s code path) while the readers run.

It prints queries and writes per phase with median/p95 latency, every failed request, and the
updates lost (documents whose indexed version is not the last one acknowledged), which must be none.
A read is also wrong, and counted as failed, when its count of all documents is below the number
of documents acknowledged before it started, or above those attempted: a half-built index, an
alias pointing nowhere or a lost shard would show there. `--smoke` is a tiny size (300 documents,
2 s phases); starting the three JVMs and restarting one take most of its time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from collections import defaultdict

from benchmarks.common import data_file, median, percentile
from market.search.backend import SearchError, SearchQuery
from market.search.elastic import ElasticsearchBackend, batches
from market.search.http import ElasticClient

WORDS = ["水稻", "种植", "饲料", "添加剂", "杀虫剂", "温室", "养殖", "播种机", "农药", "土壤", "蔬菜", "保鲜",
         "微生物", "肥料", "育种", "茶叶", "食用菌", "灌溉", "除草剂", "收割机"]


def documents(n: int, start: int = 1) -> list[dict]:
    """n search documents with ids from `start`, titles and abstracts of the A01 records in turn."""
    with data_file("cn_patents_a01", "patents.jsonl").open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    out = []
    for k in range(n):
        rec = records[k % len(records)]
        i = start + k
        out.append({"id": i, "title": rec["title"], "abstract": rec.get("abstract") or "",
                    "body": rec.get("abstract") or "", "codes": [], "patent_type": "INVENTION",
                    "industries": [], "ipc_sections": ["A"], "ipc_classes": ["A01"],
                    "modes": [["TRANSFER"], ["OPEN_LICENSE"], ["LICENSE_ORDINARY", "TRANSFER"]][i % 3],
                    "owner_types": ["UNIVERSITY"], "owners": [f"机构{i % 50:02d}"], "point": f"网点{i % 11:02d}",
                    "legal_status": "VALID", "price_band": "LT_100K", "price_fen": 0, "sort_newest": float(i)})
    return out


class Load:
    """Readers and one writer on a backend until stopped; every request's outcome is kept."""

    def __init__(self, backend: ElasticsearchBackend, seeded: list[dict], *, readers: int = 2,
                 writes: bool = True, pause: float = 0.0) -> None:
        self.backend = backend
        self.readers = readers
        self.writes = writes
        self.pause = pause
        self.phase = "steady"
        self.latency: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.failures: list[tuple[str, str, str]] = []
        self.template = {d["id"]: d for d in seeded}
        self.acked: dict[int, int] = {d["id"]: 0 for d in seeded}   # id → last acknowledged version
        self.attempted: set[int] = set(self.acked)
        self.next_id = max(self.acked, default=0) + 1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "Load":
        workers = [self._read] * self.readers + ([self._write] if self.writes else [])
        self._threads = [threading.Thread(target=w, args=(n,), daemon=True) for n, w in enumerate(workers)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)

    def _record(self, kind: str, started: float, error: str | None = None) -> None:
        with self._lock:
            if error is None:
                self.latency[(self.phase, kind)].append(time.perf_counter() - started)
            else:
                self.failures.append((self.phase, kind, error[:300]))

    def _read(self, n: int) -> None:
        turn = n
        while not self._stop.is_set():
            turn += 1
            with self._lock:
                floor = len(self.acked)
            started = time.perf_counter()
            try:
                if turn % 3 == 0:  # everything: the count must cover every acknowledged document
                    total = self.backend.search(SearchQuery(per_page=5, facets=("mode",))).total
                    with self._lock:  # writes begun during the search may already count
                        ceiling = len(self.attempted)
                    error = None if floor <= total <= ceiling else f"counted {total}, expected {floor}–{ceiling}"
                else:
                    self.backend.search(SearchQuery(text=WORDS[turn % len(WORDS)], per_page=20))
                    error = None
            except SearchError as err:
                error = f"{type(err).__name__}: {err}"
            self._record("query", started, error)
            self._stop.wait(self.pause)

    def _write(self, n: int) -> None:
        """Add two documents and update three per request, each under its own id (so a retry is harmless)."""
        version = 0
        while not self._stop.is_set():
            version += 1
            with self._lock:
                new = [self.next_id, self.next_id + 1]
                self.next_id += 2
                self.attempted.update(new)
                known = list(self.acked)
            updated = [known[(version * 7 + k * 13) % len(known)] for k in range(3)] if known else []
            docs = [{**self.template[min(self.template)], "id": i, "sort_newest": float(i), "price_fen": version}
                    for i in new]
            docs += [{**self.template.get(i, self.template[min(self.template)]), "id": i, "price_fen": version}
                     for i in updated]
            started = time.perf_counter()
            try:
                self.backend.index(docs)
            except SearchError as err:
                self._record("write", started, f"{type(err).__name__}: {err}")
                continue
            self._record("write", started)
            with self._lock:
                for doc in docs:
                    self.template.setdefault(doc["id"], doc)
                    self.acked[doc["id"]] = version
            self._stop.wait(self.pause)

    def lost_updates(self) -> list[int]:
        """Ids whose indexed version is not the last acknowledged one (or that are missing)."""
        indexed = self.backend.ids()
        lost = sorted(set(self.acked) - indexed)
        changed = [i for i, v in self.acked.items() if v and i in indexed]
        for i in changed:
            doc = self.backend.get(i)
            if doc is None or doc.get("price_fen") != self.acked[i]:
                lost.append(i)
        return lost

    def figures(self) -> dict[str, dict[str, float]]:
        out = {}
        for (phase, kind), values in sorted(self.latency.items()):
            failed = sum(1 for p, k, _ in self.failures if (p, k) == (phase, kind))
            out[f"{phase} {kind}"] = {"n": len(values), "failed": failed,
                                      "median_ms": round(median(values) * 1000, 1),
                                      "p95_ms": round(percentile(values, 95) * 1000, 1)}
        return out


def restart_under_load(cluster, backend: ElasticsearchBackend, seeded: list[dict], *, steady: float,
                       down: float, readers: int = 2, pause: float = 0.0) -> tuple[Load, dict[str, float]]:
    """Stop the elected cluster manager under load, start it again, and run on until green."""
    times: dict[str, float] = {}
    with Load(backend, seeded, readers=readers, pause=pause) as load:
        time.sleep(steady)
        victim = cluster.manager()
        load.phase = "node down"
        started = time.monotonic()
        cluster.stop_node(victim)
        times["stop_s"] = time.monotonic() - started
        time.sleep(down)
        load.phase = "restarting"
        started = time.monotonic()
        cluster.start_node(victim)
        cluster.wait_for(status=("green",), nodes=len(cluster.nodes))
        times["rejoin_green_s"] = time.monotonic() - started
        load.phase = "after"
        time.sleep(steady)
    return load, times


def reindex_under_queries(backend: ElasticsearchBackend, docs: list[dict], *, readers: int = 2,
                          pause: float = 0.0) -> tuple[Load, float]:
    """Rebuild the index behind the alias while readers count and search; the build's seconds."""
    with Load(backend, docs, readers=readers, writes=False, pause=pause) as load:
        load.phase = "reindex"
        started = time.monotonic()
        backend.rebuild(batches(docs, 2000))
        seconds = time.monotonic() - started
        load.phase = "after reindex"
        time.sleep(1)
    return load, seconds


def main(argv: list[str] | None = None) -> int:
    from tests.services.opensearch_cluster import OpenSearchCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--steady", type=float, default=10.0, help="seconds of load before and after")
    parser.add_argument("--down", type=float, default=10.0, help="seconds the node stays down")
    parser.add_argument("--smoke", action="store_true", help="300 documents, 2 s phases")
    args = parser.parse_args(argv)
    if args.smoke:
        args.docs, args.steady, args.down = 300, 2.0, 2.0
    started = time.monotonic()
    cluster = OpenSearchCluster().start()
    print(f"OpenSearch {cluster.version()} cluster of {len(cluster.nodes)} nodes (heap {cluster.heap} each) "
          f"green {cluster.start_seconds:.1f} s after launch: {cluster.url}", flush=True)
    try:
        backend = ElasticsearchBackend(ElasticClient(cluster.url, timeout=30), prefix=f"bench{uuid.uuid4().hex[:6]}_")
        docs = documents(args.docs)
        t = time.monotonic()
        backend.rebuild(batches(docs, 2000))
        print(f"indexed {len(docs)} documents with one replica in {time.monotonic() - t:.1f} s", flush=True)
        load, times = restart_under_load(cluster, backend, docs, steady=args.steady, down=args.down,
                                         readers=args.readers)
        lost = load.lost_updates()
        report("node restart", load, {**times, "lost_updates": len(lost),
                                      "documents_at_end": len(load.acked)})
        current = [load.template[i] for i in sorted(load.acked)]
        reload, seconds = reindex_under_queries(backend, current, readers=args.readers)
        report("reindex behind the alias", reload, {"rebuild_s": seconds, "documents": len(current)})
        failed = len(load.failures) + len(lost) + len(reload.failures)
    finally:
        cluster.stop()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"total {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


def report(title: str, load: Load, extra: dict) -> None:
    print(f"\n== {title} ==")
    for name, row in load.figures().items():
        print(f"  {name:24s} n={row['n']:6d} failed={row['failed']:3d} "
              f"median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms")
    for phase, kind, error in load.failures:
        print(f"  FAILED {phase} {kind}: {error}")
    print("  " + "  ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items()),
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
