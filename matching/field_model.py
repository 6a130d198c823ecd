"""The technical field of a text, learnt from the catalogue's own patents.

A nearest-centroid classifier over jieba words: each IPC subclass is the mean of the tf·idf
vectors of the abstracts listed under it, and a text belongs to the subclasses whose centroids it
is closest to (cosine). It is trained on the listings in the index when matching first needs it,
nothing is downloaded, and the same word statistics give the engine the rarity (idf) of each word
across the whole catalogue, not just across the candidates of one query.

Pure module: no Flask, no database.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from listings.industries import parse_ipc
from market.search.text import query_terms

# Below this many training documents a subclass has no centroid worth trusting.
MIN_DOCUMENTS = 3
# How sharply closeness turns into shares: softmax(cosine × SHARPNESS).
SHARPNESS = 25.0
# Words in fewer documents than this are noise for a centroid (typos, numbers, names).
MIN_DF = 2
# The model learns from at most about this many patents, spread evenly over the catalogue: enough
# for its fields, quick enough to train on first use (about 10 s at 100,000 listings).
SAMPLE = 5_000


def sample_step(count: int) -> int:
    """Take every n-th of `count` catalogue entries so that about SAMPLE remain."""
    return max(1, count // SAMPLE)


@dataclass
class FieldModel:
    vocabulary: dict[str, int]
    idf_values: np.ndarray
    labels: list[str]
    centroids: np.ndarray  # labels × vocabulary, each row of unit length
    documents: int

    def idf(self, term: str) -> float:
        """How rare a word is in the catalogue; an unseen word counts as rare as the rarest seen."""
        index = self.vocabulary.get(term)
        if index is None:
            return math.log(1 + self.documents)
        return float(self.idf_values[index])

    def vector(self, text: str) -> np.ndarray | None:
        counts = Counter(t for t in query_terms(text) if t in self.vocabulary)
        if not counts:
            return None
        vector = np.zeros(len(self.vocabulary), dtype=np.float32)
        for term, n in counts.items():
            vector[self.vocabulary[term]] = (1 + math.log(n)) * self.idf_values[self.vocabulary[term]]
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else None

    def closeness(self, text: str) -> dict[str, float]:
        """Cosine of the text to each subclass centroid."""
        vector = self.vector(text)
        if vector is None or not self.labels:
            return {}
        return dict(zip(self.labels, (self.centroids @ vector).tolist()))

    def predict(self, text: str) -> tuple[dict[str, float], float]:
        """(share per subclass, closeness to the nearest subclass); ({}, 0) when nothing is known."""
        closeness = self.closeness(text)
        if not closeness:
            return {}, 0.0
        values = np.array(list(closeness.values()))
        weights = np.exp(SHARPNESS * (values - values.max()))
        shares = weights / weights.sum()
        return dict(zip(closeness.keys(), shares.tolist())), float(values.max())


def subclasses_of(ipc: Iterable[str]) -> list[str]:
    out = []
    for symbol in ipc or []:
        parts = parse_ipc(symbol)
        if parts is not None and parts.subclass and parts.subclass not in out:
            out.append(parts.subclass)
    return out


def train_field_model(examples: Iterable[tuple[str, list[str]]]) -> FieldModel:
    """A model from (text, IPC symbols) pairs; a text without IPC still counts towards idf."""
    bags: list[Counter[str]] = []
    labels_of: list[list[str]] = []
    df: Counter[str] = Counter()
    for text, ipc in examples:
        bag = Counter(query_terms(text))
        bags.append(bag)
        labels_of.append(subclasses_of(ipc))
        df.update(bag.keys())
    n = len(bags)
    vocabulary = {t: i for i, t in enumerate(sorted(t for t, c in df.items() if c >= MIN_DF))}
    idf_values = np.zeros(len(vocabulary), dtype=np.float32)
    for term, i in vocabulary.items():
        idf_values[i] = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
    per_label: Counter[str] = Counter(label for labels in labels_of for label in labels)
    labels = sorted(label for label, count in per_label.items() if count >= MIN_DOCUMENTS)
    row = {label: i for i, label in enumerate(labels)}
    centroids = np.zeros((len(labels), len(vocabulary)), dtype=np.float32)
    for bag, own in zip(bags, labels_of):
        rows = [row[label] for label in own if label in row]
        if not rows:
            continue
        index = [vocabulary[t] for t in bag if t in vocabulary]
        if not index:
            continue
        values = np.array([(1 + math.log(bag[t])) for t in bag if t in vocabulary], dtype=np.float32)
        values *= idf_values[index]
        values /= float(np.linalg.norm(values)) or 1.0
        for r in rows:
            centroids[r, index] += values / len(rows)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids /= np.where(norms > 0, norms, 1.0)
    return FieldModel(vocabulary=vocabulary, idf_values=idf_values, labels=labels, centroids=centroids,
                      documents=n)
