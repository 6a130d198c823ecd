"""SQLite FTS5 helpers of the embedded index: segmenting documents (in parallel for bulk loads), query
expressions of a word and its sub-words, docsize records and title highlights."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from market.search.text import highlight, normalise, sub_terms, tokens

# Below this many documents a process pool costs more than it saves.
PARALLEL_FROM = 400


def _segment_pair(pair: tuple[str, str]) -> tuple[str, str]:
    return " ".join(tokens(pair[0])), " ".join(tokens(pair[1]))


def segment(pairs: list[tuple[str, str]], bulk: bool = False) -> list[tuple[str, str]]:
    """Segment (title, body) pairs; big batches (imports, reindex) use every core.

    jieba is pure Python and takes most of the indexing time, so bulk work is spread over
    processes forked after jieba has loaded its dictionary (they share it copy-on-write).
    """
    workers = os.cpu_count() or 1
    # Only bulk callers (command-line imports, reindex) fork: never a threaded web worker.
    if not bulk or len(pairs) < PARALLEL_FROM or workers < 2:
        return [_segment_pair(p) for p in pairs]
    tokens("预热")  # load the dictionary once, before forking
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_segment_pair, pairs, chunksize=64))


def highlight_title(doc: dict[str, Any], terms: list[str]) -> str:
    """The title highlighted, with a pattern of only the terms it contains (a long text has many)."""
    title = doc.get("title", "")
    lowered, normal = title.lower(), normalise(title)
    return highlight(title, [t for t in terms if t in lowered or t in normal])


def varint_sum(blob: bytes) -> int:
    """The sum of the SQLite varints in an FTS5 docsize record (one token count per column)."""
    total = value = 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            total += value
            value = 0
    return total


def term_group(term: str) -> str:
    """A query word matches itself or all of its sub-words: jieba cuts 锂电池 whole in a query
    but 锂离子电池 into 锂离子/电池 in a title, and 电池 must still count."""
    parts = sub_terms(term)
    if not parts:
        return quote_term(term)
    options = [quote_term(term), "(" + " AND ".join(quote_term(p) for p in parts) + ")"]
    # Chinese compounds are head-final: 锂电池 is a kind of 电池, 耐高温 a kind of 高温.
    heads = [p for p in parts if term.endswith(p) and len(p) >= 2]
    if heads:
        options.append(quote_term(max(heads, key=len)))
    return "(" + " OR ".join(options) + ")"


def quote_term(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'
