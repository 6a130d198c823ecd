"""Measure matching quality on labelled real patents and judged real demands, the plain BM25 baseline beside the engine.

    python -m matching.evaluate [--seed 1] [--holdout 0.1] [--limit N] [--only judged|heldout]
                                [--cluster URL ...]   (the judged set also on each Elasticsearch/OpenSearch node)

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

Judged demands (matching/judged/, see its README: 54 real demands from ../shared/data/cn_tech_demands,
every pooled result graded 0/1/2 by a technology-transfer judge who never saw the engine; copied here
as ids and grades only, without the judge's notes) are matched
against the A01 + USTB catalogue (10,017 + 756 listings, USTB with titles only). Reported per system:

- nDCG@10 on the demands that have a relevant patent, gain 2^grade - 1, an unjudged result counting 0,
  the ideal ranking being that of all the demand's judged grades; for the engine both of its ranking
  (top 10 whatever their confidence) and of what it shows (matches, then the few weak results);
- on the demands that have none: how many results are shown as matches, on average (the baseline has
  no abstention: everything it returns is shown as a match), and how many demands get the no-match state.

The demands are split in two halves alike in make-up (by a hash of their id, within each group); the confidence model was fitted on half A
only (see config/matching/confidence.v1.json), so half B is the honest figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from listings.industries import industries_for_ipc
from market.search.elastic import ElasticsearchBackend
from market.search.embedded import EmbeddedSearch
from market.search.http import ElasticClient
from matching.confidence import (
    CONFIDENCE_PATH,
    CONFIDENCE_SIGNALS,
    STATE_MATCH,
    STATE_NONE,
    Confidence,
    load_confidence,
)
from matching.engine import DemandProfile, Weights, load_weights, match_demand, match_patents
from matching.field_model import FieldModel, sample_step, train_field_model

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DATA = SHARED / "cn_patents_a01" / "patents.jsonl"
USTB = SHARED / "cn_university_ustb" / "patents.jsonl"
DEMANDS = SHARED / "cn_tech_demands" / "demands.jsonl"
JUDGED = Path(__file__).resolve().parent / "judged"
K = 10
MODES = [["TRANSFER", "LICENSE_ORDINARY"], ["OPEN_LICENSE", "LICENSE_ORDINARY"], ["TRANSFER"],
         ["LICENSE_EXCLUSIVE", "LICENSE_SOLE"], ["EQUITY", "TRANSFER"], ["OPEN_LICENSE"]]
OWNER_TYPES = ["UNIVERSITY", "RESEARCH_INSTITUTE", "SOE", "PRIVATE"]


def load_records(path: Path = DATA) -> list[dict[str, Any]]:
    """JSON Lines records."""
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



# -- judged real demands ------------------------------------------------------------------------

def ustb_document(listing_id: int, record: dict[str, Any]) -> dict[str, Any]:
    """A USTB patent as a listing: a title and nothing else the engine can read (no abstract, no IPC)."""
    doc = a01_document(listing_id - 1, {"title": record["title"], "abstract": "", "ipc_subclass": "B00X",
                                        "application_number": record["application_number"]})
    doc.update(codes=[record["application_number"].removeprefix("CN").replace(".", "")], ipc=[], ipc_main=None,
               ipc_sections=[], ipc_classes=[], industries=[])
    return doc


def catalogue() -> list[dict[str, Any]]:
    """The A01 + USTB catalogue as search documents, ids 1.. in file order."""
    docs = [a01_document(p, r) for p, r in enumerate(load_records())]
    for record in load_records(USTB):
        docs.append(ustb_document(len(docs) + 1, record))
    return docs


def field_model_of(docs: list[dict[str, Any]]) -> FieldModel:
    """The field model as the app trains it: from every n-th indexed listing's title, abstract and IPC."""
    return train_field_model((f"{d['title']}\n{d.get('abstract') or ''}", d.get("ipc") or [])
                             for d in docs[::sample_step(len(docs))])


@dataclass
class JudgedDemand:
    demand_id: str
    text: str
    has_relevant: bool
    grades: dict[str, int]
    half: str


def judged_demands(folder: Path = JUDGED) -> list[JudgedDemand]:
    texts = {d["demand_id"]: f"{d['title']}\n{d['content']}" for d in load_records(DEMANDS)}
    grades: dict[str, dict[str, int]] = {}
    for j in load_records(folder / "judgements.jsonl"):
        grades.setdefault(j["demand_id"], {})[j["application_number"]] = int(j["grade"])
    chosen = load_records(folder / "verdicts.jsonl")
    # Two halves alike in make-up: within each group (with / without a relevant patent), demands in
    # the order of a hash of their id go to A and B in turn.
    half: dict[str, str] = {}
    for group in (True, False):
        ids = sorted((d["demand_id"] for d in chosen if bool(d["has_relevant"]) is group),
                     key=lambda i: hashlib.sha256(i.encode()).hexdigest())
        half.update({i: "AB"[k % 2] for k, i in enumerate(ids)})
    return [JudgedDemand(d["demand_id"], texts[d["demand_id"]], bool(d["has_relevant"]),
                         grades.get(d["demand_id"], {}), half[d["demand_id"]]) for d in chosen]


def ndcg_at_10(ranked: list[str], grades: dict[str, int]) -> float:
    """nDCG@10 with gain 2^grade - 1; an unjudged result gains nothing."""
    def dcg(gains: list[int]) -> float:
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:K]))
    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(a, 0) for a in ranked]) / ideal if ideal else 0.0


@dataclass
class Shown:
    """What one system shows for one demand: its ranking, what is shown, and as what."""

    ranked: list[str]
    shown: list[str]
    as_match: int
    state: str


def judged_systems(backend, docs: list[dict[str, Any]], model: FieldModel, weights: Weights,
                   confidence: Confidence) -> list[tuple[str, Callable[[str], Shown]]]:
    number = {d["id"]: d["application_number"] for d in docs}

    def baseline(text: str) -> Shown:
        ranked = [number[h.id] for h in backend.similar(text, limit=K, max_terms=None)]
        return Shown(ranked, ranked, len(ranked), STATE_MATCH if ranked else STATE_NONE)

    def engine(text: str) -> Shown:
        outcome = match_demand(backend, DemandProfile(text=text), limit=K, weights=weights, field_model=model,
                               confidence=confidence)
        ranked = [number[m.listing_id] for m in match_patents(backend, DemandProfile(text=text), limit=K,
                                                               weights=weights, field_model=model,
                                                               confidence=confidence)]
        return Shown(ranked, [number[m.listing_id] for m in outcome.matches],
                     sum(m.grade == STATE_MATCH for m in outcome.matches), outcome.state)

    return [("baseline: plain BM25, every word", baseline), ("engine: read, re-ranked, graded", engine)]


def judged_report(backend_name: str, systems, demands: list[JudgedDemand]) -> list[str]:
    """Lines of the judged-set table for one backend, per half and in all."""
    runs = {name: {d.demand_id: system(d.text) for d in demands} for name, system in systems}
    lines = [f"{'backend / system':46s} {'half':>4s} {'nDCG@10 rank':>12s} {'nDCG@10 shown':>13s} "
             f"{'as match (none)':>15s} {'no-match state':>14s}"]
    for name, _ in systems:
        for half in ("A", "B", "all"):
            group = [d for d in demands if half == "all" or d.half == half]
            relevant = [d for d in group if d.has_relevant]
            empty = [d for d in group if not d.has_relevant]
            rank = statistics.fmean(ndcg_at_10(runs[name][d.demand_id].ranked, d.grades) for d in relevant) \
                if relevant else float("nan")
            shown = statistics.fmean(ndcg_at_10(runs[name][d.demand_id].shown, d.grades) for d in relevant) \
                if relevant else float("nan")
            as_match = statistics.fmean(runs[name][d.demand_id].as_match for d in empty) if empty else float("nan")
            none = sum(runs[name][d.demand_id].state == STATE_NONE for d in empty)
            lines.append(f"{backend_name + ': ' + name:46s} {half:>4s} {rank:12.3f} {shown:13.3f} {as_match:15.2f} "
                         f"{none:>6d} of {len(empty):<4d}   ({len(relevant)} with, {len(empty)} without)")
    return lines


def run_judged(weights: Weights, confidence: Confidence, clusters: list[str] | None = None) -> None:
    demands = judged_demands()
    docs = catalogue()
    with_relevant = sum(d.has_relevant for d in demands)
    print(f"\njudged demands: {len(demands)} ({with_relevant} with a relevant patent, {len(demands) - with_relevant} "
          f"without; half A {sum(d.half == 'A' for d in demands)}, half B {sum(d.half == 'B' for d in demands)}); "
          f"catalogue A01 + USTB: {len(docs)} listings")
    model = field_model_of(docs)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="psm-judged-") as folder:
        backend = EmbeddedSearch(str(Path(folder) / "search.sqlite3"))
        backend.index(docs, bulk=True)
        lines += judged_report("embedded", judged_systems(backend, docs, model, weights, confidence), demands)
        lines.append(ceiling_line(backend, docs, model, weights, confidence, demands))
    for url in clusters or []:
        client = ElasticClient(url, timeout=120)
        about = client.request("GET", "/")["version"]
        engine = f"{about.get('distribution', 'elasticsearch')} {about['number']}"
        elastic = ElasticsearchBackend(client, prefix="judged_")
        elastic.rebuild([docs])
        try:
            lines += judged_report(engine, judged_systems(elastic, docs, model, weights, confidence), demands)
        finally:
            elastic.drop()
    if not clusters:
        lines.append("clusters: not measured (give --cluster URL, once per node: Elasticsearch or OpenSearch, e.g."
                     " started by tests/services/elasticsearch.py and tests/services/opensearch.py)")
    print("\n".join(lines))
    print("nDCG@10 rank: the system's top 10; shown: what a person sees (for the engine: its matches, then weak results "
          "above the floor; with no match at most 3 weak ones); as match (none): results shown as matches for a demand with no relevant patent, mean")


def ceiling_line(backend, docs: list[dict[str, Any]], model: FieldModel, weights: Weights, confidence: Confidence,
                 demands: list[JudgedDemand]) -> str:
    """What re-ranking alone could reach: the engine's candidates put in the judge's order.

    If this is high and the engine's nDCG low, the relevant patents were retrieved and ranked too
    low (a ranking problem, not a retrieval one)."""
    number = {d["id"]: d["application_number"] for d in docs}
    best: dict[str, list[float]] = {"A": [], "B": []}
    for demand in demands:
        if not demand.has_relevant:
            continue
        candidates = [number[m.listing_id] for m in match_patents(
            backend, DemandProfile(text=demand.text), limit=weights.candidates, weights=weights, field_model=model,
            confidence=confidence)]
        ordered = sorted(candidates, key=lambda a: -demand.grades.get(a, 0))
        best[demand.half].append(ndcg_at_10(ordered, demand.grades))
    everything = best["A"] + best["B"]
    return (f"{'embedded: ceiling, the engine candidates in the judge order':46s} "
            f"A {statistics.fmean(best['A']):.3f}, B {statistics.fmean(best['B']):.3f}, all "
            f"{statistics.fmean(everything):.3f} (nDCG@10 if its {weights.candidates} candidates were ranked perfectly)")


# The target is at most 1 result shown as a match, on average, for a demand with nothing relevant;
# the threshold is chosen to meet half of it on the fitting half, a margin for the other half.
MATCHES_WHEN_NOTHING_FITS = 0.5
# The signals the fit uses: few, so that 27 demands can pin them down; the others stay at 0.
FITTED_SIGNALS = ("key_coverage", "object_coverage", "title_hit", "domain")


def fit_confidence(half: str = "A", weights: Weights | None = None, out: Path | None = None) -> Confidence:
    """Fit the confidence model on one half of the judged demands only, and write it.

    A logistic regression (numpy, L2-penalised, standardised signals) of "graded 2" on three signals
    (FITTED_SIGNALS) of the engine's top 20 judged results per demand of that half; unjudged results
    are left out.
    Thresholds are then chosen on the same half: `match_above` the lowest that keeps at most
    MATCHES_WHEN_NOTHING_FITS results shown as matches, on average, for its demands with nothing
    relevant (each ranking's matches capped at Confidence.most_matches, as the engine does);
    `weak_above` half of it.
    """
    weights = weights or load_weights()
    demands = [d for d in judged_demands() if d.half == half]
    docs = catalogue()
    model = field_model_of(docs)
    number = {d["id"]: d["application_number"] for d in docs}
    rows, labels, per_demand = [], [], []
    with tempfile.TemporaryDirectory(prefix="psm-fit-") as folder:
        backend = EmbeddedSearch(str(Path(folder) / "search.sqlite3"))
        backend.index(docs, bulk=True)
        for d in demands:
            matches = match_patents(backend, DemandProfile(text=d.text), limit=20, weights=weights, field_model=model)
            signals = [[m.features[f"signal_{name}"] for name in FITTED_SIGNALS] for m in matches]
            named = [m.features["signal_names_object"] for m in matches]
            per_demand.append((d, signals, named))
            for m, row in zip(matches, signals):
                grade = d.grades.get(number[m.listing_id])
                if grade is not None:
                    rows.append(row)
                    labels.append(1.0 if grade == 2 else 0.0)
    x, y = np.array(rows), np.array(labels)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
    beta = np.zeros(z.shape[1])
    penalty = 1.0
    for _ in range(200):  # Newton's method
        p = 1 / (1 + np.exp(-z @ beta))
        gradient = z.T @ (p - y) + penalty * np.r_[0, beta[1:]]
        hessian = (z.T * (p * (1 - p))) @ z + penalty * np.diag(np.r_[0, np.ones(len(beta) - 1)])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    coefficients = beta[1:] / std
    bias = beta[0] - float((beta[1:] * mean / std).sum())
    fitted = Confidence(bias=round(float(bias), 3), **{**dict.fromkeys(CONFIDENCE_SIGNALS, 0.0), **{
        n: round(float(c), 3) for n, c in zip(FITTED_SIGNALS, coefficients)}})
    empty = [(s, named) for d, s, named in per_demand if not d.has_relevant]
    threshold = 0.5
    for candidate in sorted({round(v, 2) for v in np.linspace(0.05, 0.95, 91)}):
        trial = replace(fitted, match_above=float(candidate))
        shown = statistics.fmean(_as_match(trial, s[:K], named[:K]) for s, named in empty) if empty else 0.0
        if shown <= MATCHES_WHEN_NOTHING_FITS:
            threshold = candidate
            break
    fitted = replace(fitted, match_above=float(threshold), weak_above=round(float(threshold) / 2, 3))
    print(f"fitted on half {half}: {len(rows)} judged results of {len(demands)} demands, "
          f"{int(y.sum())} graded 2; {fitted}")
    path = out or CONFIDENCE_PATH
    data = json.loads(Path(CONFIDENCE_PATH).read_text(encoding="utf-8"))
    for name in ("bias", *CONFIDENCE_SIGNALS):
        data["coefficients"][name] = getattr(fitted, name)
    data["thresholds"].update(match_above=fitted.match_above, weak_above=fitted.weak_above)
    data["_fitted"] = (f"python -m matching.evaluate --fit-confidence {half}: fitted on half {half} of the judged "
                       f"demands only ({len(demands)} demands, {len(rows)} judged results); match_above is the lowest "
                       f"that keeps at most {MATCHES_WHEN_NOTHING_FITS} results shown as matches on average for half "
                       f"{half}'s demands with nothing relevant, the expected-number cap applied; the other half is held out.")
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return fitted


def _as_match(confidence: Confidence, signals: list[list[float]], named: list[float]) -> int:
    """How many of a ranking's results the engine shows as matches (Confidence.is_match, at most
    Confidence.most_matches of them)."""
    sure = [confidence.of(dict(zip(FITTED_SIGNALS, row))) for row in signals]
    passing = sum(confidence.is_match(p, {"names_object": n}) for p, n in zip(sure, named))
    return min(passing, confidence.most_matches(sure))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--holdout", type=float, default=0.1)
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N held-out patents")
    parser.add_argument("--weights", default=None, help="a weights file other than config/matching/weights.v1.json")
    parser.add_argument("--confidence", default=None,
                        help="a confidence file other than config/matching/confidence.v1.json")
    parser.add_argument("--only", choices=("heldout", "judged"), default=None, help="run one of the two parts")
    parser.add_argument("--cluster", "--elasticsearch", dest="clusters", action="append", default=[], metavar="URL",
                        help="also measure the judged set on this Elasticsearch or OpenSearch node (repeatable)")
    parser.add_argument("--fit-confidence", choices=("A", "B"), default=None,
                        help="fit the confidence model on this half of the judged demands, write it, and stop")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    weights = load_weights(args.weights)
    if args.fit_confidence:
        fit_confidence(args.fit_confidence, weights, Path(args.confidence) if args.confidence else None)
        return
    confidence = load_confidence(args.confidence)
    if args.only != "judged":
        run_heldout(args, weights)
    if args.only != "heldout":
        run_judged(weights, confidence, args.clusters)
    print(f"weights: {weights}")
    print(f"confidence: {confidence}")
    print(f"total run time {time.perf_counter() - started:.0f} s")


def run_heldout(args: argparse.Namespace, weights: Weights) -> None:
    records = load_records()
    indexed, held = split(records, args.holdout, args.seed)
    if args.limit is not None:
        held = held[:args.limit]
    queries = [p for p in held if (records[p].get("abstract") or "").strip()]
    print(f"A01 patents: {len(records)}; indexed {len(indexed)}, held out {len(held)} "
          f"(seed {args.seed}), {len(queries)} with an abstract to use as a demand")

    with tempfile.TemporaryDirectory(prefix="psm-match-eval-") as folder:
        backend = EmbeddedSearch(str(Path(folder) / "search.sqlite3"))
        t0 = time.perf_counter()
        indexed_docs = [a01_document(p, records[p]) for p in indexed]
        backend.index(indexed_docs, bulk=True)
        model = field_model_of(indexed_docs)
        print(f"indexed {len(indexed)} documents and trained the field model in {time.perf_counter() - t0:.1f} s")

        def label(listing_id: int) -> str:
            return records[listing_id - 1]["ipc_subclass"]

        def engine(w: Weights) -> System:
            return lambda text: [m.listing_id for m in match_patents(backend, DemandProfile(text=text), limit=K,
                                                                      weights=w, field_model=model)]

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


if __name__ == "__main__":
    main()
