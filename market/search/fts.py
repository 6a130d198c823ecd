"""SQLite FTS5 helpers of the embedded index: segmenting documents (in parallel for bulk loads), query
expressions of a word and its sub-words, docsize records and title highlights."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from market.search.text import highlight, normalise, sub_terms, tokens

# Below this many documents a process pool costs more than it saves.
PARALLEL_FROM = 400


# A document's segmented title and body, worked out ahead by `segmented_ahead`; never stored.
SEGMENTED = "_segmented"
# Documents per task sent to a worker process: big enough that sending costs little, small
# enough that both workers stay busy to the end of a batch.
CHUNK = 64
# Batches segmented ahead of the one being written.
AHEAD = 2


def _segment_pair(pair: tuple[str, str]) -> tuple[str, str]:
    return " ".join(tokens(pair[0])), " ".join(tokens(pair[1]))


def _segment_chunk(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [_segment_pair(p) for p in pairs]


def _pairs(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d.get("title", "") or "", d.get("body", "") or "") for d in docs]


def _workers() -> int:
    return os.cpu_count() or 1


def _pool(workers: int) -> ProcessPoolExecutor:
    tokens("预热")  # load the dictionary once, before forking: the workers share it copy-on-write
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def segmented_ahead(batches: Iterable[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    """The same batches, each document carrying its segmented text (under SEGMENTED).

    For bulk loads (reindex): one pool of worker processes for the whole load, and the next
    batches are segmented while the caller reads the database and writes the batch before, so
    that jieba — most of the work — keeps every core busy instead of waiting between batches.
    """
    workers = _workers()
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    if workers < 2 or len(first) < PARALLEL_FROM:  # a small catalogue: one batch, segmented where written
        yield first
        yield from batches
        return
    pending: deque[tuple[list[dict[str, Any]], list[Future]]] = deque()
    with _pool(workers) as pool:
        for docs in itertools.chain([first], batches):
            pairs = _pairs(docs)
            pending.append((docs, [pool.submit(_segment_chunk, pairs[i:i + CHUNK])
                                   for i in range(0, len(pairs), CHUNK)]))
            if len(pending) > AHEAD:
                yield _attach(*pending.popleft())
        while pending:
            yield _attach(*pending.popleft())


def _attach(docs: list[dict[str, Any]], futures: list[Future]) -> list[dict[str, Any]]:
    texts = [text for future in futures for text in future.result()]
    for doc, text in zip(docs, texts):
        doc[SEGMENTED] = text
    return docs


def segmented(docs: list[dict[str, Any]], bulk: bool = False) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(the documents as they are stored, their segmented (title, body)): the text worked out
    ahead when every document carries it, else segmented here."""
    if docs and all(SEGMENTED in d for d in docs):
        return [{k: v for k, v in d.items() if k != SEGMENTED} for d in docs], [d[SEGMENTED] for d in docs]
    clean = [{k: v for k, v in d.items() if k != SEGMENTED} for d in docs]
    return clean, segment(_pairs(clean), bulk)


def segment(pairs: list[tuple[str, str]], bulk: bool = False) -> list[tuple[str, str]]:
    """Segment (title, body) pairs; big batches (imports, reindex) use every core.

    jieba is pure Python and takes most of the indexing time, so bulk work is spread over
    processes forked after jieba has loaded its dictionary (they share it copy-on-write).
    """
    workers = _workers()
    # Only bulk callers (command-line imports, reindex) fork: never a threaded web worker.
    if not bulk or len(pairs) < PARALLEL_FROM or workers < 2:
        return [_segment_pair(p) for p in pairs]
    with _pool(workers) as pool:
        return list(pool.map(_segment_pair, pairs, chunksize=CHUNK))


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
