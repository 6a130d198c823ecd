"""What a listing has of a demand: how much of its key words, its object and its title words.

Measured by the engine on each candidate's own normalised text with the catalogue's idf (the
field model's), so a candidate gets the same signals whichever search backend proposed it.

Pure module: no Flask, no database.
"""

from __future__ import annotations

import math
from typing import Any

from market.search.text import normalise
from matching.field_model import FieldModel

# Coverage's length normalisation (see coverage): a word of Chinese technical text is about this
# many characters, and the shortest listing is measured against at least this many key words.
CHARACTERS_PER_WORD = 4
COVERAGE_MIN_WORDS = 3


def text_of(doc: dict[str, Any]) -> str:
    return normalise(f"{doc.get('title', '')}\n{doc.get('body') or doc.get('abstract') or ''}")


def rarity(terms, model: FieldModel | None, texts: list[str]) -> dict[str, float]:
    """Each word's idf: the catalogue's when a field model knows it, else the candidates'."""
    if model is not None:
        return {t: model.idf(t) for t in terms}
    n = len(texts)
    return {t: math.log(1 + (n + 0.5) / (sum(t in x for x in texts) + 0.5)) for t in terms}


def coverage(key: dict[str, float], objects: list[str], rarities: dict[str, float], doc: dict[str, Any],
             text: str, known_objects: list[str]) -> dict[str, float]:
    """How much of what the demand is about a listing covers: its key words (weighted by role
    and rarity), its object words, and whether its title names any of them."""
    title = normalise(doc.get("title", ""))
    # Length normalisation, as BM25F does per field: a listing can mention at most about as many
    # of the demand's key words as it has words, so a title-only listing is measured against the
    # heaviest few key words it could hold, not against all of them.
    capacity = max(COVERAGE_MIN_WORDS, len(text) // CHARACTERS_PER_WORD)
    total = sum(sorted((w * rarities[t] for t, w in key.items()), reverse=True)[:capacity]) or 1.0
    covered = sum(w * rarities[t] for t, w in key.items() if t in text)
    object_total = sum(rarities.get(t, 1.0) for t in objects) or 1.0
    object_covered = sum(rarities.get(t, 1.0) for t in objects if t in text)
    in_title = [t for t in key if t in title]
    title_weight = sum(key[t] * rarities[t] for t in in_title)
    return {"key_coverage": min(1.0, covered / total), "object_coverage": object_covered / object_total if objects else 0.0,
            # A demand whose title names an object is matched only by a listing that names it too.
            "names_object": 1.0 if not known_objects or any(t in text for t in known_objects) else 0.0,
            "title_hit": min(1.0, title_weight / (3 * max(rarities.values(), default=1.0)))}


def lacks(key: dict[str, float], objects: list[str], text: str, shown: int) -> list[str]:
    """The demand's object and problem words the listing never mentions, object first."""
    ordered = [*objects, *sorted((t for t in key if t not in objects), key=lambda t: -key[t])]
    missing = [t for t in ordered if key.get(t, 0) >= 2 and t not in text][:4 * shown]
    return [t for t in missing if not any(t != o and t in o for o in missing)][:shown]
