"""Measure matching quality on labelled real patents: the plain BM25 baseline beside the engine.

    python -m matching.evaluate [--seed 1] [--holdout 0.1] [--limit N]

Every A01 patent in ../shared/data/cn_patents_a01/patents.jsonl has an IPC subclass. A random share
of them (fixed seed) is held out; the rest is indexed in a throwaway embedded search index, as
listings whose documents have the shape of `listings.search.listing_document`. Each held-out
abstract is then a demand text, and a system scores:

- precision@10: the share of its top 10 listings whose subclass is the held-out patent's;
- title MRR@10: with the held-out patents indexed too, the mean reciprocal rank of each patent
  when its own title is the query (1/rank within the top 10, else 0).

The systems, all on the same index:

- baseline: plain BM25 on jieba tokens, no re-ranking. `similar(text, max_terms=None)`: one FTS5
  query ORing every word jieba's precise mode finds in the text (search stopwords removed) and the
  sub-words its search mode would index, ranked by FTS5's bm25() with the backend's column weights
  (title 8, body 1, codes 4), top 10 as they come;
- retrieval: the backend's default `similar`, no re-ranking: the same BM25 over the text's 40
  words of highest tf·idf, leaving out words in more than a tenth of the documents;
- engine: `match_patents` with the configured weights (config/matching/weights.v1.json): the
  retrieval's top 80, re-ranked;
- the engine with one weight changed per line, to show what that weight is worth.

The engine never sees a held-out patent's subclass: it infers the demand's field from the IPC of
the other listings it retrieves. Mode, budget, legal status and term are neutral here (the demand
profile names no mode or budget, and every filler listing is in force with no known end), so the
figures measure relevance and field agreement only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from listings.industries import industries_for_ipc
from market.search.embedded import EmbeddedSearch
from matching.engine import DemandProfile, Weights, load_weights, match_patents

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cn_patents_a01" / "patents.jsonl"
K = 10
MODES = [["TRANSFER", "LICENSE_ORDINARY"], ["OPEN_LICENSE", "LICENSE_ORDINARY"], ["TRANSFER"],
         ["LICENSE_EXCLUSIVE", "LICENSE_SOLE"], ["EQUITY", "TRANSFER"], ["OPEN_LICENSE"]]
OWNER_TYPES = ["UNIVERSITY", "RESEARCH_INSTITUTE", "SOE", "PRIVATE"]


def load_records(path: Path = DATA) -> list[dict[str, Any]]:
    if not path.exists():
        raise SystemExit(f"shared data not found at {path}; run with ../shared beside the repository")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split(records: list[dict], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Positions of the indexed and the held-out records."""
    positions = list(range(len(records)))
    held = set(random.Random(seed).sample(positions, round(len(records) * holdout)))
    return [p for p in positions if p not in held], sorted(held)


def a01_document(position: int, record: dict[str, Any]) -> dict[str, Any]:
    """A search document shaped like `listing_document`, with deterministic filler for the
    listing-side fields the records lack (modes, price, owner, point)."""
    subclass = record["ipc_subclass"]
    abstract = record.get("abstract") or ""
    negotiable = position % 5 == 0
    price = None if negotiable else (1 + position * 7919 % 499) * 1_000_000
    owner = f"评测机构{position % 200:03d}"
    return {
        "id": position + 1, "application_number": record["application_number"],
        "title": record["title"], "abstract": abstract, "body": abstract,
        "codes": [record["application_number"].removeprefix("CN").replace(".", ""), subclass.lower()],
        "patent_type": "INVENTION", "ipc": [subclass], "ipc_main": subclass,
        "ipc_sections": [subclass[0]], "ipc_classes": [subclass[:3]], "industries": industries_for_ipc([subclass]),
        "modes": MODES[position % len(MODES)], "owner_types": [OWNER_TYPES[position % 4]], "owners": [owner],
        "organisation": owner, "point": f"网点{1 + position % 11:02d}", "point_id": 1 + position % 11,
        "legal_status": "VALID", "filing_date": f"{record.get('derived_application_year') or 2000}-01-01",
        "last_protected_day": None, "price_fen": price, "price_negotiable": negotiable,
        "price_band": "NEGOTIABLE" if negotiable else "LT_100K", "published_at": None, "sort_newest": 0.0,
    }


System = Callable[[str], list[int]]


def precision_at_10(system: System, records: list[dict], queries: list[int],
                    label: Callable[[int], str]) -> tuple[float, float]:
    """Mean share of the top 10 in the held-out patent's subclass; median ms per query."""
    shares, times = [], []
    for p in queries:
        started = time.perf_counter()
        ids = system(records[p]["abstract"])[:K]
        times.append(time.perf_counter() - started)
        shares.append(sum(label(i) == records[p]["ipc_subclass"] for i in ids) / K)
    return statistics.fmean(shares), 1000 * statistics.median(times)


def title_mrr(system: System, records: list[dict], titles: list[int]) -> tuple[float, float]:
    """Mean reciprocal rank (within the top 10) of each patent queried by its title; median ms."""
    ranks, times = [], []
    for p in titles:
        started = time.perf_counter()
        ids = system(records[p]["title"])[:K]
        times.append(time.perf_counter() - started)
        ranks.append(1 / (ids.index(p + 1) + 1) if p + 1 in ids else 0.0)
    return statistics.fmean(ranks), 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--holdout", type=float, default=0.1)
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N held-out patents")
    parser.add_argument("--weights", default=None, help="a weights file other than config/matching/weights.v1.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    records = load_records()
    indexed, held = split(records, args.holdout, args.seed)
    if args.limit is not None:
        held = held[:args.limit]
    queries = [p for p in held if (records[p].get("abstract") or "").strip()]
    weights = load_weights(args.weights)
    print(f"A01 patents: {len(records)}; indexed {len(indexed)}, held out {len(held)} "
          f"(seed {args.seed}), {len(queries)} with an abstract to use as a demand")

    with tempfile.TemporaryDirectory(prefix="psm-match-eval-") as folder:
        backend = EmbeddedSearch(str(Path(folder) / "search.sqlite3"))
        t0 = time.perf_counter()
        backend.index([a01_document(p, records[p]) for p in indexed], bulk=True)
        print(f"indexed {len(indexed)} documents in {time.perf_counter() - t0:.1f} s")

        def label(listing_id: int) -> str:
            return records[listing_id - 1]["ipc_subclass"]

        def engine(w: Weights) -> System:
            return lambda text: [m.listing_id for m in match_patents(backend, DemandProfile(text=text), limit=K,
                                                                      weights=w)]

        systems: list[tuple[str, System]] = [
            ("baseline: plain BM25, every word", lambda text: [h.id for h in backend.similar(
                text, limit=K, max_terms=None)]),
            ("retrieval: BM25, informative words", lambda text: [h.id for h in backend.similar(text, limit=K)]),
            ("engine: configured weights", engine(weights)),
            ("engine, field + group weights 0", engine(weights.replace(field=0.0, group=0.0))),
            ("engine, field weight halved", engine(weights.replace(field=weights.field / 2))),
            ("engine, field weight doubled", engine(weights.replace(field=weights.field * 2))),
            ("engine, text weight 0", engine(weights.replace(text=0.0))),
        ]
        # Precision first on the index without the held-out patents ...
        precision = {name: precision_at_10(system, records, queries, label) for name, system in systems}
        # ... then title MRR with them indexed, so that each one can be found.
        backend.index([a01_document(p, records[p]) for p in held], bulk=True)
        mrr = {name: title_mrr(system, records, held) for name, system in systems}

    print()
    print(f"{'system':38s} {'precision@10':>12s} {'title MRR':>10s} {'ms/demand':>10s} {'ms/title':>9s}"
          "   (ms: median per query)")
    for name, _ in systems:
        print(f"{name:38s} {precision[name][0]:12.3f} {mrr[name][0]:10.3f} {precision[name][1]:10.1f} "
              f"{mrr[name][1]:9.1f}")
    base, engine_name = systems[0][0], systems[2][0]
    print(f"\nbaseline precision@10 {precision[base][0]:.3f} -> engine {precision[engine_name][0]:.3f} "
          f"({precision[engine_name][0] - precision[base][0]:+.3f}); "
          f"title MRR {mrr[base][0]:.3f} -> {mrr[engine_name][0]:.3f}")
    print(f"weights: {weights}")
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
