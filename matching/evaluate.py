"""Measure matching quality on labelled real patents: the plain BM25 baseline beside the engine.

    python -m matching.evaluate [--seed 1] [--holdout 0.1] [--limit N]

Every A01 patent in ../shared/data/cn_patents_a01/patents.jsonl has an IPC subclass. A random share
of them (fixed seed) is held out; the rest is indexed in a throwaway embedded search index, as
listings whose documents have the shape of `listings.search.listing_document`. Each held-out
abstract is then a demand text, and a system scores:

- precision@10: the share of its top 10 listings whose subclass is the held-out patent's;
- title MRR: with the held-out patents indexed too, the mean reciprocal rank of each patent when
  its own title is the query (1/rank within the top 10, else 0).

The systems, all on the same index:

- baseline: plain BM25 on jieba tokens, no re-ranking: `similar(text, max_terms=None)`, one FTS5 OR
  query over every jieba word of the text (and the sub-words jieba's search mode would index),
  ranked by BM25 with the backend's column weights (title 8, body 1, codes 4);
- retrieval: the backend's default `similar`, which queries only the text's most informative words;
- engine: `match_patents` with the configured weights (config/matching/weights.v1.json);
- one line per changed weight, to show what that weight is worth.

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
from dataclasses import dataclass
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


@dataclass
class Score:
    precision: float = 0.0
    mrr: float = 0.0
    ms_precision: float = 0.0
    ms_mrr: float = 0.0


System = Callable[[str], list[int]]


def evaluate(system: System, records: list[dict], held: list[int], label: Callable[[int], str],
             queries: list[int], titles: list[int], *, reindexed: Callable[[], None] | None = None) -> Score:
    """Precision@10 over `queries` (abstracts), then title MRR over `titles`."""
    score = Score()
    precisions, times = [], []
    for p in queries:
        started = time.perf_counter()
        ids = system(records[p]["abstract"])[:K]
        times.append(time.perf_counter() - started)
        want = records[p]["ipc_subclass"]
        precisions.append(sum(label(i) == want for i in ids) / K)
    score.precision = statistics.fmean(precisions) if precisions else 0.0
    score.ms_precision = 1000 * statistics.median(times) if times else 0.0
    ranks, times = [], []
    for p in titles:
        started = time.perf_counter()
        ids = system(records[p]["title"])[:K]
        times.append(time.perf_counter() - started)
        ranks.append(1 / (ids.index(p + 1) + 1) if p + 1 in ids else 0.0)
    score.mrr = statistics.fmean(ranks) if ranks else 0.0
    score.ms_mrr = 1000 * statistics.median(times) if times else 0.0
    return score


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
        label = lambda i: records[i - 1]["ipc_subclass"]  # noqa: E731

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
        results = {name: evaluate(system, records, held, label, queries, []) for name, system in systems}
        # ... then title MRR with them indexed, so that each one can be found.
        backend.index([a01_document(p, records[p]) for p in held], bulk=True)
        for name, system in systems:
            mrr = evaluate(system, records, held, label, [], held)
            results[name].mrr, results[name].ms_mrr = mrr.mrr, mrr.ms_mrr

    print()
    print(f"{'system':38s} {'precision@10':>12s} {'title MRR':>10s} {'ms/demand':>10s} {'ms/title':>9s}")
    for name, _ in systems:
        r = results[name]
        print(f"{name:38s} {r.precision:12.3f} {r.mrr:10.3f} {r.ms_precision:10.1f} {r.ms_mrr:9.1f}")
    base, eng = results[systems[0][0]], results[systems[2][0]]
    print(f"\nbaseline precision@10 {base.precision:.3f} -> engine {eng.precision:.3f} "
          f"({eng.precision - base.precision:+.3f}); title MRR {base.mrr:.3f} -> {eng.mrr:.3f}")
    print(f"weights: {weights}")
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
