"""The matching engine: patents for a demand and demands for a patent, each match with its reasons.

Patents for a demand: the demand is first read as a problem (matching.reading: boilerplate and
company self-description out, the technical object and the problem weighed). The search backend
retrieves candidates by BM25 relevance on that text, then every candidate is re-scored as a
weighted sum of features (text relevance, agreement with the demand's technical field, how much of
the demand's key words it covers, industry, deal mode, budget, legal status, remaining term,
locality). When the demand names no IPC, its field is inferred from the retrieved candidates
themselves: their score-weighted IPC votes say which subclass and main group the demand is most
likely about. The weights live in `config/matching/weights.v1.json`.

Each match then gets a confidence (a logistic model in `config/matching/confidence.v1.json`, fitted
on half of a blind judged set of real demands) of being one a person in the field would look at
twice; `classify` shows the confident ones as matches, a few more as weak, or says that nothing on
the shelf fits. A field model trained on the catalogue's own abstracts (matching.field_model) gives
the confidence the demand's closeness to the catalogue's fields and the words' catalogue-wide rarity.
`python -m matching.evaluate` measures all of it.

Demands for a patent: demands are few (hundreds to thousands), so they are scored with BM25 over
their jieba tokens in pure Python, plus mode, budget and industry fit.

Pure module: no Flask, no database.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from listings.industries import parse_ipc
from market.search.backend import Hit, SearchBackend
from market.search.text import normalise, query_terms, tokens
from matching.confidence import STATE_MATCH, STATE_NONE, STATE_WEAK, Confidence, default_confidence
from matching.field_model import FieldModel
from matching.reading import DemandReading, is_generic, read_demand
from matching.relevance import coverage, lacks, rarity, text_of
from matching.terms import DemandProfile, Reason, budget_fit, industry_fit, legal_fit, locality_fit, mode_fit, term_fit

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "config" / "matching" / "weights.v1.json"

# Terms shown as shared key words: enough to read why, few enough to read at a glance.
SHOWN_TERMS = 5
# The field an inference names in a reason must hold at least this share of the votes.
FIELD_REASON_SHARE = 0.3


@dataclass
class Match:
    listing_id: int
    application_number: str
    title: str
    score: float
    reasons: list[Reason]
    doc: dict[str, Any]
    features: dict[str, float]
    # How sure the engine is that a person in the field would look at this twice (0..1), and
    # what that makes it: a "match", or a "weak" nearest result shown only for want of better.
    confidence: float = 0.0
    grade: str = "match"
    # The demand's key words this patent does not mention.
    lacks: list[str] = field(default_factory=list)


@dataclass
class MatchOutcome:
    """Confident matches first, then at most a few weak ones; `state` says which kind leads."""

    state: str
    matches: list[Match]
    # The words the demand was read as being about (object first), for suggesting other wording.
    object_terms: list[str] = field(default_factory=list)
    problem_terms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Weights:
    """One weight per feature, plus the retrieval settings that feed them.

    The defaults are weights.v1's; `load_weights()` reads the file, which is what the app uses.
    """

    text: float = 1.0
    field: float = 2.0
    group: float = 0.3
    industry: float = 0.3
    mode: float = 0.3
    budget: float = 0.3
    legal: float = 0.3
    term: float = 0.3
    locality: float = 0.05
    coverage: float = 2.0
    # Retrieval: how many candidates are re-ranked, and how many of them vote on the field.
    candidates: int = 80
    field_votes: int = 40
    # Votes count relevance to this power: above 1, the closest candidates weigh more.
    field_power: float = 2.0
    # A patent with fewer years left than this is marked as near expiry.
    term_warning_years: int = 3
    # Notices: a demand fits a listing (recommend.listings_fitting) when the listing is among the
    # demand's confident matches and scores at least this; both kinds of notice read that decision.
    notify_patentees_above: float = 1.2
    # How much the field model's reading of the demand counts against the candidates' votes (0..1).
    field_model_share: float = 0.0

    def replace(self, **changes: float) -> Weights:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Weights(**values)


FEATURES = ("text", "field", "group", "industry", "mode", "budget", "legal", "term", "locality", "coverage")


def load_weights(path: str | Path | None = None) -> Weights:
    """Weights from the versioned configuration file (keys starting with '_' are comments)."""
    data = json.loads(Path(path or WEIGHTS_PATH).read_text(encoding="utf-8"))
    known = {f.name: f.type for f in fields(Weights)}
    values: dict[str, Any] = {}
    for section in ("features", "settings"):
        for key, value in data.get(section, {}).items():
            if key.startswith("_"):
                continue
            if key not in known:
                raise ValueError(f"{path or WEIGHTS_PATH}: unknown {section[:-1]} {key!r}")
            values[key] = int(value) if known[key] == "int" else float(value)
    return Weights(**values)


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    return load_weights()


# -- patents for a demand -------------------------------------------------------------------

def match_patents(backend: SearchBackend, profile: DemandProfile, *, limit: int = 10,
                  weights: Weights | None = None, today: date | None = None,
                  candidates: int | None = None, field_model: FieldModel | None = None,
                  confidence: Confidence | None = None, reading: DemandReading | None = None) -> list[Match]:
    """The `limit` listings that best answer a demand, best first, each with its reasons and confidence.

    The demand is read as a problem first (matching.reading): boilerplate out, its object and
    problem repeated so that retrieval weighs them. Candidates come from `backend.similar` on that
    text; each is scored as the weighted sum of its features (see Weights), ties going to the lower
    listing id. A candidate that shares no meaningful word with the demand (two characters or
    more, not a generic word) is not proposed. Every match gets a confidence (see Confidence) and
    is graded "match" or "weak" by it; `classify` turns the list into what a person is shown.
    """
    weights = weights or default_weights()
    confidence = confidence or default_confidence()
    today = today or datetime.now(SHANGHAI).date()
    reading = reading or read_demand(profile.text)
    query = reading.query or profile.text
    depth = max(candidates or weights.candidates, limit) + len(profile.exclude_listing_ids)
    hits = [h for h in backend.similar(query, limit=depth, filters=profile.filters or None)
            if h.id not in profile.exclude_listing_ids]
    if not hits:
        return []
    # Each candidate's text, normalised once: every signal and reason looks words up in it.
    normalised = {h.id: text_of(h.doc) for h in hits}
    top = max(h.score for h in hits) or 1.0
    levels = {h.id: _ipc_levels(h.doc) for h in hits}
    subclasses, groups = _field(profile, hits, levels, weights.field_votes, weights.field_power)
    model_shares, domain = field_model.predict(reading.core or profile.text) if field_model else ({}, 0.0)
    if model_shares and not profile.ipc and weights.field_model_share:
        share = weights.field_model_share
        subclasses = {k: (1 - share) * subclasses.get(k, 0.0) + share * model_shares.get(k, 0.0)
                      for k in set(subclasses) | set(model_shares)}
    unclassified = max(0.0, 1.0 - sum(subclasses.values())) if not profile.ipc else 0.0
    best_subclass = _leader(subclasses)
    best_group = _leader(groups)
    key = _key_terms(reading, profile.text)
    rarities = rarity(key, field_model, list(normalised.values()))
    # The object words the catalogue uses at all: only those can be asked of a listing (an English
    # title, or a word no patent on the shelf uses, cannot tell listings apart).
    texts_of_candidates = list(normalised.values())
    known_objects = [t for t in reading.object_terms
                     if (t in field_model.vocabulary if field_model is not None else any(t in x for x in texts_of_candidates))]
    matches = []
    for hit in hits:
        doc = hit.doc
        reasons: list[Reason] = []
        features = dict.fromkeys(FEATURES, 0.0)
        features["text"] = max(0.0, hit.score) / top
        own_subclasses, own_groups = levels[hit.id]
        # A listing with no IPC (a title-only portfolio) is in the field of the unclassified
        # candidates: as close to the demand's field as their share of the votes says.
        features["field"] = max((subclasses.get(s, 0.0) for s in own_subclasses), default=unclassified)
        features["group"] = max((groups.get(g, 0.0) for g in own_groups), default=0.0)
        if best_group in own_groups:
            reasons.append(_field_reason("same_group", best_group, bool(profile.ipc)))
        elif best_subclass in own_subclasses:
            reasons.append(_field_reason("same_field", best_subclass, bool(profile.ipc)))
        signals = coverage(key, reading.object_terms, rarities, doc, normalised[hit.id], known_objects)
        features["coverage"] = signals["key_coverage"]
        features["industry"] = industry_fit(profile.industries, doc, reasons)
        features["mode"] = mode_fit(profile.modes, doc.get("modes") or [], reasons)
        features["budget"] = budget_fit(profile, doc, reasons)
        features["legal"] = legal_fit(doc, reasons)
        features["term"] = term_fit(doc, today, weights.term_warning_years, reasons)
        features["locality"] = locality_fit(profile, doc, reasons)
        score = sum(getattr(weights, name) * value for name, value in features.items())
        signals["field"] = max((model_shares.get(s, 0.0) for s in own_subclasses), default=0.0)
        signals["domain"] = domain
        signals["text"] = features["text"]
        sure = confidence.of(signals)
        features.update({f"signal_{k}": v for k, v in signals.items()})
        matches.append(Match(listing_id=hit.id, application_number=doc.get("application_number", ""),
                             title=doc.get("title", ""), score=round(score, 9), reasons=reasons,
                             doc=doc, features=features, confidence=round(sure, 4),
                             grade=STATE_MATCH if confidence.is_match(sure, signals) else STATE_WEAK,
                             ))
    matches.sort(key=lambda m: (-m.score, m.listing_id))
    # Every match must share a meaningful word with the demand: that is the first reason a person
    # reads, and a candidate found through single characters or generic words alone is noise.
    terms = _with_runs(query_terms(reading.core or profile.text), reading.core or profile.text)
    # Lower case is enough to count which candidates share a word (NFKC of every text is not).
    texts = [f"{h.doc.get('title', '')}\n{h.doc.get('body') or h.doc.get('abstract') or ''}".lower() for h in hits]
    commonness: dict[str, float] = {}
    shown = []
    for match in matches:
        shared = _shared_terms(terms, match.doc, commonness, texts)
        if not shared:
            continue
        match.reasons.insert(0, Reason("shared_terms", "共同关键词：" + "、".join(shared),
                                       "Shared key terms: " + ", ".join(shared)))
        text = normalised[match.listing_id]
        objects = [t for t in reading.object_terms if t in text]
        if objects:
            match.reasons.insert(1, Reason("same_object", "针对需求中的对象：" + "、".join(objects[:SHOWN_TERMS]),
                                           "About what the demand names: " + ", ".join(objects[:SHOWN_TERMS])))
        match.lacks = lacks(key, reading.object_terms, text, SHOWN_TERMS)
        shown.append(match)
        if len(shown) == limit:
            break
    _at_most_expected(shown, confidence)
    for match in shown:
        if match.grade == STATE_WEAK and match.lacks:
            match.reasons.append(Reason("lacks", "未涉及需求中的：" + "、".join(match.lacks),
                                        "Does not mention: " + ", ".join(match.lacks)))
    return shown


def _at_most_expected(matches: list[Match], confidence: Confidence) -> None:
    """Grade as matches no more results than the ranking is expected to hold relevant ones
    (Confidence.most_matches): the most confident keep the grade, the others become weak."""
    room = confidence.most_matches([m.confidence for m in matches])
    sure = sorted((m for m in matches if m.grade == STATE_MATCH), key=lambda m: (-m.confidence, m.listing_id))
    for match in sure[room:]:
        match.grade = STATE_WEAK


def classify(matches: list[Match], *, limit: int = 10, confidence: Confidence | None = None,
             reading: DemandReading | None = None) -> MatchOutcome:
    """What a person is shown: the confident matches, then the next results above the weak floor
    labelled weak, up to `limit`; with no confident match, at most `weak_shown` weak results; the
    "none" state when there is neither."""
    confidence = confidence or default_confidence()
    sure = [m for m in matches if m.grade == STATE_MATCH][:limit]
    weak = [m for m in matches if m.grade == STATE_WEAK and m.confidence >= confidence.weak_above]
    # After confident matches the next-best are shown too, labelled weak; alone, only a few.
    room = limit - len(sure) if sure else min(confidence.weak_shown, limit)
    shown = sure + weak[:max(room, 0)]
    state = STATE_MATCH if sure else STATE_WEAK if shown else STATE_NONE
    return MatchOutcome(state=state, matches=shown,
                        object_terms=list(reading.object_terms) if reading else [],
                        problem_terms=list(reading.problem_terms[:SHOWN_TERMS]) if reading else [])


def match_demand(backend: SearchBackend, profile: DemandProfile, *, limit: int = 10,
                 weights: Weights | None = None, today: date | None = None,
                 field_model: FieldModel | None = None, confidence: Confidence | None = None) -> MatchOutcome:
    """Match a demand and say honestly how well anything fits (see `classify`)."""
    confidence = confidence or default_confidence()
    reading = read_demand(profile.text)
    matches = match_patents(backend, profile, limit=max(limit, 10), weights=weights, today=today,
                            field_model=field_model, confidence=confidence, reading=reading)
    return classify(matches, limit=limit, confidence=confidence, reading=reading)


def _key_terms(reading: DemandReading, text: str) -> dict[str, float]:
    """The demand's telling words and their weights; a text with no title is read as a whole."""
    key = reading.key_terms()
    if not key:
        key = {t: 1.0 for t in query_terms(text) if not is_generic(t)}
    return key


def _leader(shares: dict[str, float]) -> str | None:
    """The field with the most votes, if it has enough of them to be named."""
    if not shares:
        return None
    best = min(shares, key=lambda k: (-shares[k], k))
    return best if shares[best] >= FIELD_REASON_SHARE else None


def _ipc_levels(doc: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A listing's IPC subclasses and main groups ('A01K', 'A01K 67')."""
    subclasses, groups = [], []
    for symbol in doc.get("ipc") or []:
        parts = parse_ipc(symbol)
        if parts is None or parts.subclass is None:
            continue
        if parts.subclass not in subclasses:
            subclasses.append(parts.subclass)
        if parts.main_group is not None:
            group = f"{parts.subclass} {parts.main_group}"
            if group not in groups:
                groups.append(group)
    return subclasses, groups


def _field(profile: DemandProfile, hits: list[Hit], levels: dict[int, tuple[list[str], list[str]]], votes: int,
           power: float) -> tuple[dict[str, float], dict[str, float]]:
    """The demand's field as shares per IPC subclass and main group.

    From the demand's own IPC when it has one; otherwise the top candidates vote with their
    relevance, which is a nearest-neighbour guess at the field the demand belongs to.
    """
    if profile.ipc:
        declared_subclasses, declared_groups = _ipc_levels({"ipc": profile.ipc})
        return dict.fromkeys(declared_subclasses, 1.0), dict.fromkeys(declared_groups, 1.0)
    subclasses: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    total = 0.0
    ranked = sorted(hits, key=lambda h: (-h.score, h.id))[:votes]
    top = max(ranked[0].score, 1e-9) if ranked else 1.0
    for hit in ranked:
        weight = (max(0.0, hit.score) / top) ** power
        own_subclasses, own_groups = levels[hit.id]
        total += weight
        for s in own_subclasses:
            subclasses[s] += weight / len(own_subclasses)
        for g in own_groups:
            groups[g] += weight / len(own_groups)
    if not total:
        return {}, {}
    return ({k: v / total for k, v in subclasses.items()}, {k: v / total for k, v in groups.items()})


def _field_reason(code: str, symbol: str, declared: bool) -> Reason:
    if code == "same_group":
        if declared:
            return Reason(code, f"与需求同属 IPC {symbol} 组", f"Same IPC group as the demand ({symbol})")
        return Reason(code, f"同属与需求最相关的 IPC {symbol} 组",
                      f"In IPC group {symbol}, the one most related to your demand")
    if declared:
        return Reason(code, f"与需求的 IPC {symbol} 领域一致", f"In the demand's IPC field {symbol}")
    return Reason(code, f"与需求最相关的 {symbol} 领域一致", f"In {symbol}, the field most related to your demand")


def _with_runs(terms: list[str], text: str) -> list[str]:
    """The terms plus each run of single characters that stand together in the text.

    jieba cuts a word it does not know into characters (打草机 → 打/草/机): the run is the word.
    """
    text = normalise(text)
    out: list[str] = []
    run = ""
    for term in [*terms, ""]:
        if len(term) == 1 and run and run + term in text:
            run += term
            continue
        if len(run) > 1 and run not in out:
            out.append(run)
        run = term if len(term) == 1 else ""
    return terms + out


def _shared_terms(terms: list[str], doc: dict[str, Any], commonness: dict[str, float],
                  texts: list[str]) -> list[str]:
    """Demand words found in the listing, as a reader would pick them: words in its title first,
    then the words fewest other candidates share (the telling ones), longer words first.

    `commonness` caches each word's share of `texts`; the caller may fill it in advance.
    """
    title = normalise(doc.get("title", ""))
    text = text_of(doc)
    # A single character is mostly a segmentation leftover, and found inside unrelated words.
    found = [t for t in terms if t in text and not is_generic(t)]
    # Drop a word already shown inside a longer one (电池 beside 锂电池).
    found = [t for t in found if not any(t != o and t in o for o in found)]
    for t in found:
        if t not in commonness:
            commonness[t] = sum(t in other for other in texts) / max(len(texts), 1)
    order = {t: i for i, t in enumerate(terms)}
    found.sort(key=lambda t: (t not in title, round(commonness[t], 2), -len(t), order[t]))
    return found[:SHOWN_TERMS]


# -- demands for a patent -------------------------------------------------------------------

# BM25 constants for scoring demands; the usual values.
K1, B = 1.2, 0.75


@lru_cache(maxsize=8192)
def _demand_tokens(title: str, text: str) -> tuple[str, ...]:
    # The title is what the enterprise chose to say first: it counts twice.
    return tuple(tokens(title)) * 2 + tuple(tokens(text))


def rank_demands(listing_doc: dict[str, Any], demands: list[dict[str, Any]], *, limit: int = 10,
                 weights: Weights | None = None) -> list[tuple[int, float, list[Reason]]]:
    """The demands a listing answers best: (demand id, score, reasons), best first.

    Demands are dicts with id, title, text, modes, budget_min_fen, budget_max_fen, industries.
    As for patents, a demand that shares no meaningful word with the listing is never proposed.
    """
    weights = weights or default_weights()
    if not demands:
        return []
    bags = [Counter(_demand_tokens(d.get("title") or "", d.get("text") or "")) for d in demands]
    lengths = [sum(b.values()) for b in bags]
    average = sum(lengths) / len(lengths) or 1.0
    frequency: Counter[str] = Counter()
    for bag in bags:
        frequency.update(bag.keys())
    n = len(demands)
    listing_text = f"{listing_doc.get('title', '')}\n{listing_doc.get('body') or listing_doc.get('abstract') or ''}"
    doc_terms = query_terms(listing_text)
    terms = [t for t in doc_terms if t in frequency]
    doc_terms = _with_runs(doc_terms, listing_text)
    idf = {t: math.log(1 + (n - frequency[t] + 0.5) / (frequency[t] + 0.5)) for t in terms}
    scored = []
    for demand, bag, length in zip(demands, bags, lengths):
        text_score = 0.0
        for t in terms:
            tf = bag.get(t)
            if tf:
                text_score += idf[t] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        if text_score > 0:
            scored.append((demand, text_score))
    if not scored:
        return []
    top = max(s for _, s in scored)
    # Among demands, a word is as common as its document frequency says.
    commonness = {t: frequency.get(t, 0) / n for t in doc_terms}
    ranked = []
    for demand, text_score in scored:
        reasons: list[Reason] = []
        demand_text = {"title": demand.get("title") or "", "abstract": demand.get("text") or ""}
        shared = _shared_terms(doc_terms, demand_text, commonness, [])
        if not shared:
            continue
        reasons.append(Reason("shared_terms", "共同关键词：" + "、".join(shared),
                              "Shared key terms: " + ", ".join(shared)))
        profile = DemandProfile(text="", modes=list(demand.get("modes") or []),
                                budget_min_fen=demand.get("budget_min_fen"),
                                budget_max_fen=demand.get("budget_max_fen"),
                                industries=list(demand.get("industries") or []))
        score = (weights.text * text_score / top
                 + weights.industry * industry_fit(profile.industries, listing_doc, reasons)
                 + weights.mode * mode_fit(profile.modes, listing_doc.get("modes") or [], reasons)
                 + weights.budget * budget_fit(profile, listing_doc, reasons))
        ranked.append((int(demand["id"]), round(score, 9), reasons))
    ranked.sort(key=lambda r: (-r[1], r[0]))
    return ranked[:limit]
