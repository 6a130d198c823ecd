"""Which words of a long text `similar` asks (a demand, a patent's abstract): one rule for every backend."""

from __future__ import annotations

import math

from market.search.text import normalise

# `similar` queries a long text by at most this many of its words (see EmbeddedSearch.similar),
SIMILAR_TERMS = 40
# leaving out words found in more than this share of the documents (unless the index is small),
SIMILAR_MAX_SHARE = 0.1
SIMILAR_SMALL_INDEX = 1000
# and counting a word the text repeats up to this many times.
SIMILAR_REPEAT = 3


def informative_words(text: str, pool: list[str], frequency: dict[str, int], size: int,
                      count: int) -> list[tuple[str, int]]:
    """Of `pool` (a text's words, in order), the `count` with the highest tf·idf by `frequency`
    (documents per word, of `size`), each with how many times to ask it. Words in none of the
    documents, or (in an index not small) in more than SIMILAR_MAX_SHARE of them, are left out.
    Both backends choose by this rule, so they ask the same words of the same documents."""
    lowered = normalise(text)
    weight: dict[str, float] = {}
    times: dict[str, int] = {}
    for term in pool:
        df = frequency.get(term, 0)
        if df and (df <= SIMILAR_MAX_SHARE * size or size < SIMILAR_SMALL_INDEX):
            tf = max(1, lowered.count(term))
            weight[term] = math.log(1 + (size - df + 0.5) / (df + 0.5)) * (1 + math.log(tf))
            times[term] = min(tf, SIMILAR_REPEAT)
    chosen = sorted(weight, key=lambda t: (-weight[t], pool.index(t)))[:count]
    return [(t, times[t]) for t in chosen]
