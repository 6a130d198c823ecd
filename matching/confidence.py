"""How sure the engine is that a match is one a person in the field would look at twice.

A logistic model over signals of one match (how much of the demand's key words the listing covers,
whether its title names them, how close the demand is to the catalogue's fields), fitted on half of
a blind judged set (`python -m matching.evaluate --fit-confidence A`) and versioned in
config/matching/confidence.v1.json. Pure module: no Flask, no database.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

CONFIDENCE_PATH = Path(__file__).resolve().parent.parent / "config" / "matching" / "confidence.v1.json"
# What the engine has to show for a demand.
STATE_MATCH, STATE_WEAK, STATE_NONE = "match", "weak", "none"


@dataclass(frozen=True)
class Confidence:
    """A logistic model of "a person in the field would look at this twice", from match features.

    confidence = 1 / (1 + exp(-(bias + Σ weight × feature))); see config/matching/confidence.v1.json.
    """

    bias: float = -4.721
    key_coverage: float = 4.446
    object_coverage: float = 0.206
    title_hit: float = 1.241
    field: float = 0.0
    domain: float = 7.248
    text: float = 0.0
    match_above: float = 0.11
    weak_above: float = 0.055
    weak_shown: int = 3
    # The matches of a ranking are at most the number of relevant results expected in its first
    # `expected_over` (see most_matches).
    expected_over: int = 10

    def is_match(self, sure: float, signals: dict[str, float]) -> bool:
        """Shown as a match: confident enough, and naming the demand's object (a listing that never
        mentions what the demand is about is at best a weak result, however much else it shares)."""
        return sure >= self.match_above and signals.get("names_object", 1.0) > 0

    def most_matches(self, confidences: list[float]) -> int:
        """How many of a ranking may be shown as matches: no more than the confidences of its first
        `expected_over` results say they hold relevant ones (the confidence is the chance that
        one is relevant, so their sum is the number expected), rounded up.

        One threshold per result lets a demand whose ten results all share the same few words
        (ten Sichuan-pepper pickers for a demand about the pepper's bitterness) show ten matches
        at 16 % each; the expected number of relevant results among them is two.
        """
        return math.ceil(round(sum(confidences[:self.expected_over]), 6))

    def of(self, signals: dict[str, float]) -> float:
        z = self.bias + sum(getattr(self, name) * signals.get(name, 0.0) for name in CONFIDENCE_SIGNALS)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


CONFIDENCE_SIGNALS = ("key_coverage", "object_coverage", "title_hit", "field", "domain", "text")


def load_confidence(path: str | Path | None = None) -> Confidence:
    """The confidence model from its versioned file (keys starting with '_' are comments)."""
    data = json.loads(Path(path or CONFIDENCE_PATH).read_text(encoding="utf-8"))
    known = {f.name: f.type for f in fields(Confidence)}
    values: dict[str, Any] = {}
    for key, value in {**data.get("coefficients", {}), **data.get("thresholds", {})}.items():
        if key.startswith("_"):
            continue
        if key not in known:
            raise ValueError(f"{path or CONFIDENCE_PATH}: unknown key {key!r}")
        values[key] = int(value) if known[key] == "int" else float(value)
    return Confidence(**values)


@lru_cache(maxsize=1)
def default_confidence() -> Confidence:
    return load_confidence()
