"""The embedded search backend: SQLite FTS5 over jieba tokens, facets counted in numpy.

Text relevance comes from FTS5's BM25. Facet counts and filters run on compact in-memory
arrays (one (position, value) pair per facet value of each document), which keeps a
faceted query over 100,000 listings within a few milliseconds. Every process keeps its
arrays in step with the index file through a sequence number bumped on each write, so
several app workers can share one index file.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from market.search import postings
from market.search.backend import Hit, SearchQuery, SearchResult
from market.search.fts import highlight_title, quote_term, segmented, term_group, varint_sum
from market.search.informative import SIMILAR_MAX_SHARE, SIMILAR_TERMS, informative_words
from market.search.memory import FacetMemory, facet_values
from market.search.text import highlight, query_terms, sub_terms

# BM25 column weights: title, body, codes.
WEIGHTS = (8.0, 1.0, 4.0)
# FTS5's bm25() constants, which `similar` reproduces in numpy.
BM25_K1, BM25_B = 1.2, 0.75
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('seq', 0);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    facets TEXT NOT NULL DEFAULT '{}', sort_newest REAL, sort_price REAL, data TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS docs_seq ON docs(seq);
CREATE TABLE IF NOT EXISTS owner (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body, codes, tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_instances USING fts5vocab(fts, 'instance');
"""


# The vocabulary table is read again when the number of documents has changed by this share.
SIMILAR_VOCABULARY_DRIFT = 0.1
# Occurrences of words in at least this many documents are cached, up to this many in all.
SIMILAR_CACHE_FROM = 500
SIMILAR_CACHE_POSTINGS = 2_000_000
# The answers of `similar` (a patent page's similar patents) are kept per process until the next
# write to the index, up to this many texts.
SIMILAR_KEPT = 2_000



class EmbeddedSearch:
    """SearchBackend over one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: str) -> None:
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.RLock()
        self._memory = FacetMemory()
        with self._connect() as conn:
            conn.executescript(SCHEMA + postings.SCHEMA)

    # -- storage ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def index(self, docs: Iterable[dict[str, Any]], *, bulk: bool = False) -> None:
        docs, texts = segmented(list(docs), bulk)
        rows = [(int(doc["id"]), json.dumps(facet_values(doc), ensure_ascii=False),
                 doc.get("sort_newest"), doc.get("price_fen"),
                 json.dumps(doc, ensure_ascii=False, default=str), title, body,
                 " ".join(doc.get("codes", [])).lower())
                for doc, (title, body) in zip(docs, texts)]
        if rows:
            self._write(rows, [], bulk=bulk)

    def delete(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if ids:
            self._write([], ids)

    def _write(self, rows: list[tuple], deletes: list[int], *, bulk: bool = False) -> None:
        conn = self._connect()
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                seq = conn.execute("SELECT value FROM meta WHERE key='seq'").fetchone()[0]
                # Read before the old texts go: their words' stored postings change (postings.py).
                changed = postings.changed_words(conn, [t for row in rows for t in row[5:8]],
                                                 [row[0] for row in rows] + deletes)
                for row in rows:
                    seq += 1
                    conn.execute("DELETE FROM fts WHERE rowid=?", (row[0],))
                    conn.execute("INSERT INTO fts(rowid, title, body, codes) VALUES (?,?,?,?)",
                                 (row[0], row[5], row[6], row[7]))
                    conn.execute(
                        "INSERT OR REPLACE INTO docs(id, seq, deleted, facets, sort_newest, sort_price, data)"
                        " VALUES (?,?,0,?,?,?,?)", (row[0], seq, row[1], row[2], row[3], row[4]))
                for doc_id in deletes:
                    seq += 1
                    conn.execute("DELETE FROM fts WHERE rowid=?", (doc_id,))
                    # A tombstone, so that other processes learn of the deletion.
                    conn.execute("INSERT OR REPLACE INTO docs(id, seq, deleted) VALUES (?,?,1)",
                                 (doc_id, seq))
                postings.touch(conn, changed, WEIGHTS, recompute=not bulk)
                conn.execute("UPDATE meta SET value=? WHERE key='seq'", (seq,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def clear(self) -> None:
        conn = self._connect()
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM fts")
            conn.execute("DELETE FROM docs")
            conn.execute("DELETE FROM postings")
            conn.execute("UPDATE meta SET value=value+1 WHERE key='seq'")
            conn.execute("COMMIT")
            self._memory = FacetMemory()

    def ids(self) -> set[int]:
        return {r[0] for r in self._connect().execute("SELECT id FROM docs WHERE deleted=0")}

    def prepare_similar(self) -> int:
        """After a full rebuild: store the postings `similar` reads (postings.py). Words stored."""
        return postings.build(self._connect(), WEIGHTS, SIMILAR_MAX_SHARE)

    # -- which database the index describes (market/search/owned.py) --------------------------
    def owners(self) -> list[tuple[str, str | None, bool]]:
        """(where, the database it was built from or None, whether it holds no document)."""
        conn = self._connect()
        row = conn.execute("SELECT value FROM owner WHERE key='database'").fetchone()
        empty = conn.execute("SELECT 1 FROM docs WHERE deleted=0 LIMIT 1").fetchone() is None
        return [(f"embedded index {self.path}", row[0] if row else None, empty)]

    def claim(self, database: str) -> None:
        self._connect().execute("INSERT OR REPLACE INTO owner VALUES ('database', ?)", (database,))

    def get(self, doc_id: int) -> dict[str, Any] | None:
        row = self._connect().execute(
            "SELECT data FROM docs WHERE id=? AND deleted=0", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    # -- keeping the process memory in step ------------------------------------------------
    def _sync(self) -> FacetMemory:
        conn = self._connect()
        seq = conn.execute("SELECT value FROM meta WHERE key='seq'").fetchone()[0]
        with self._lock:
            memory = self._memory
            if seq == memory.seq:
                return memory
            if seq < memory.seq or (memory.dead > 1000 and memory.dead > len(memory.ids) // 3):
                memory = FacetMemory()  # the file was rebuilt, or too many dead slots: reload
            if memory.seq == 0 and memory.ids == [] and seq > 0:
                cur = conn.execute("SELECT id, deleted, facets, sort_newest, sort_price FROM docs"
                                   " WHERE deleted=0 AND seq<=? ORDER BY id", (seq,))
            else:
                cur = conn.execute("SELECT id, deleted, facets, sort_newest, sort_price FROM docs"
                                   " WHERE seq>? AND seq<=? ORDER BY seq", (memory.seq, seq))
            for doc_id, deleted, facets, newest, price in cur:
                if deleted:
                    memory.remove(doc_id)
                else:
                    memory.upsert(doc_id, json.loads(facets), newest, price)
            memory.seq = seq
            self._memory = memory
            return memory

    # -- reading ---------------------------------------------------------------------------
    def _match(self, expression: str) -> tuple[np.ndarray, np.ndarray]:
        # Every match's id and score as two lists in one row: a row per match costs a Python tuple
        # each. bm25() may only be called in the full-text query itself, hence the materialised step.
        ids, scores = self._connect().execute(
            "WITH found AS MATERIALIZED (SELECT rowid AS id, bm25(fts, ?, ?, ?) AS score FROM fts WHERE fts MATCH ?)"
            " SELECT group_concat(id), group_concat(score) FROM found", (*WEIGHTS, expression)).fetchone()
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0)
        # FTS5's bm25 is negative, lower is better; flip it so higher is better.
        return np.array(ids.split(","), dtype=np.int64), -np.array(scores.split(","), dtype=np.float64)

    def _text_mask(self, terms: list[str], arrays: dict[str, np.ndarray],
                   any_term: bool) -> tuple[np.ndarray, np.ndarray]:
        size = len(arrays["ids"])
        if any_term:
            alternatives = {t for term in terms for t in [term, *sub_terms(term)]}
            expression = " OR ".join(quote_term(t) for t in sorted(alternatives))
        else:
            expression = " AND ".join(term_group(t) for t in terms)
        ids, scores = self._match(expression)
        mask = np.zeros(size, dtype=bool)
        score = np.zeros(size, dtype=np.float64)
        pos_of_id = arrays["pos_of_id"]
        known = ids < len(pos_of_id)
        pos = pos_of_id[ids[known]]
        scores = scores[known]
        keep = pos >= 0
        mask[pos[keep]] = True
        score[pos[keep]] = scores[keep]
        return mask, score

    def search(self, query: SearchQuery) -> SearchResult:
        # The threads of a worker share one FacetMemory, which _sync appends to in place: a read
        # holds the lock, or it may meet facets longer than the arrays it took (an IndexError).
        with self._lock:
            return self._search(query)

    def _search(self, query: SearchQuery) -> SearchResult:
        memory = self._sync()
        arrays = memory.arrays()
        size = len(arrays["ids"])
        terms = query_terms(query.text)
        relaxed = False
        score = np.zeros(size)
        base = arrays["alive"].copy()
        if terms:
            text_mask, score = self._text_mask(terms, arrays, any_term=False)
            if not text_mask.any():
                text_mask, score = self._text_mask(terms, arrays, any_term=True)
                relaxed = bool(text_mask.any())
            base &= text_mask
        filter_masks = {f: memory.facets[f].mask_for(v, size)
                        for f, v in query.filters.items() if f in memory.facets and v}
        mask = base.copy()
        for m in filter_masks.values():
            mask &= m
        positions = np.flatnonzero(mask)
        facets = {}
        for facet in query.facets:
            # Disjunctive counts: a facet ignores its own filter so its other values stay visible.
            if facet in filter_masks:
                fmask = base.copy()
                for other, m in filter_masks.items():
                    if other != facet:
                        fmask &= m
                facets[facet] = memory.facets[facet].counts(fmask)
            else:
                facets[facet] = memory.facets[facet].counts(mask, positions)
        order = self._order(positions, query.sort, score, arrays, bool(terms))
        start = max(0, (query.page - 1) * query.per_page)
        page_pos = order[start:start + query.per_page]
        page_ids = [int(arrays["ids"][p]) for p in page_pos]
        docs = self._docs(page_ids)
        highlight_terms = terms + [t for term in terms for t in sub_terms(term)] if relaxed else terms
        hits = [Hit(id=i, score=float(score[p]), doc=docs[i], highlights={
                    "title": highlight(docs[i].get("title", ""), highlight_terms),
                    "abstract": highlight(docs[i].get("abstract", ""), highlight_terms, window=160)})
                for i, p in zip(page_ids, page_pos) if i in docs]
        return SearchResult(total=int(len(positions)), hits=hits, facets=facets, page=query.page,
                            per_page=query.per_page, relaxed=relaxed, terms=highlight_terms)

    @staticmethod
    def _order(positions: np.ndarray, sort: str, score: np.ndarray,
               arrays: dict[str, np.ndarray], has_text: bool) -> np.ndarray:
        newest = arrays["newest"][positions]
        if sort == "price_asc" or sort == "price_desc":
            price = arrays["price"][positions]
            key = np.where(np.isnan(price), np.inf, price if sort == "price_asc" else -price)
            return positions[np.lexsort((-newest, key))]
        if sort == "relevance" and has_text:
            return positions[np.lexsort((-newest, -score[positions]))]
        return positions[np.argsort(-newest, kind="stable")]

    def _docs(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._connect().execute(
            f"SELECT id, data FROM docs WHERE id IN ({marks}) AND deleted=0", ids).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def similar(self, text: str, *, limit: int = 10, filters: dict[str, list[str]] | None = None,
                max_terms: int | None = SIMILAR_TERMS) -> list[Hit]:
        """Documents most like a long text (a demand, an abstract), by BM25 over its telling words.

        By default the query keeps at most `max_terms` of the text's words, the ones with the
        highest tf·idf, leaving out words found in more than SIMILAR_MAX_SHARE of the documents:
        those cost the most to score and say the least. A word the text repeats counts up to
        SIMILAR_REPEAT times. The BM25 is FTS5's, computed in numpy from the words' occurrences.
        `max_terms=None` is the plain query: FTS5 ranks an OR over every word of the text and
        its sub-words. Answers are kept until the index is next written (any write changes the
        sequence number `_sync` reads), so a patent page opened again does not ask again.
        """
        key = (text, limit, tuple(sorted((k, tuple(v)) for k, v in (filters or {}).items())), max_terms)
        with self._lock:  # as in search()
            memory = self._sync()
            kept = getattr(self, "_similar_kept", None)
            if kept is None or kept[0] is not memory or kept[1] != memory.seq:
                kept = self._similar_kept = (memory, memory.seq, OrderedDict())
            answers = kept[2]
            if key in answers:
                answers.move_to_end(key)
                return list(answers[key])
            hits = self._similar(text, limit=limit, filters=filters, max_terms=max_terms)
            answers[key] = hits
            while len(answers) > SIMILAR_KEPT:
                answers.popitem(last=False)
            return list(hits)

    def _similar(self, text: str, *, limit: int, filters: dict[str, list[str]] | None,
                 max_terms: int | None) -> list[Hit]:
        memory = self._sync()
        arrays = memory.arrays()
        size = len(arrays["ids"])
        words = query_terms(text)
        mask = arrays["alive"].copy()
        for facet, values in (filters or {}).items():
            if facet in memory.facets and values:
                mask &= memory.facets[facet].mask_for(values, size)
        if max_terms is None:
            terms = words
            if not terms:
                return []
            text_mask, score = self._text_mask(terms, arrays, any_term=True)
            mask &= text_mask
        else:
            weighted = self._informative(text, words, max_terms, memory.seq, int(arrays["alive"].sum()))
            terms = [t for t, _ in weighted]
            if not terms:
                return []
            score = self._bm25(weighted, memory, arrays)
            mask &= score > 0
        positions = np.nonzero(mask)[0]
        if len(positions) > limit:
            # Ties at the cut are settled by id, as in the full sort below.
            cut = np.partition(-score[positions], limit - 1)[limit - 1]
            positions = positions[-score[positions] <= cut]
        ids = arrays["ids"][positions]
        order = np.lexsort((ids, -score[positions]))[:limit]
        top = [(int(ids[k]), float(score[positions[k]])) for k in order]
        docs = self._docs([i for i, _ in top])
        return [Hit(id=i, score=value, doc=docs[i], highlights={"title": highlight_title(docs[i], terms)})
                for i, value in top if i in docs]

    def _bm25(self, weighted: list[tuple[str, int]], memory: FacetMemory,
              arrays: dict[str, np.ndarray]) -> np.ndarray:
        """FTS5's bm25() of an OR over the words (each repeated as given), for every position.

        FTS5 would score each row against every query word; here each word's own occurrences,
        read from the instance vocabulary, are scored once, which is several times faster on a
        large index and gives the same numbers.
        """
        lengths = self._lengths(memory, arrays)
        size = len(arrays["ids"])
        # The length normalisation depends on the index only: computed once per state of it.
        kept = getattr(self, "_bm25_norm", None)
        alive = arrays["alive"]  # a new array after every write or deletion (FacetMemory.arrays)
        if kept is None or kept[0] is not lengths or kept[1] is not alive:
            rows = max(int(alive.sum()), 1)
            average = float(lengths[alive].sum()) / rows or 1.0
            kept = self._bm25_norm = (lengths, alive, rows, BM25_K1 * (1 - BM25_B + BM25_B * lengths / average))
        _, _, rows, norm = kept
        score = np.zeros(size, dtype=np.float64)
        for term, times in weighted:
            pos, frequency, found_in = self._occurrences(term, memory, arrays)
            if not found_in:
                continue
            idf = math.log((rows - found_in + 0.5) / (found_in + 0.5))
            idf = idf if idf > 0 else 1e-6
            score[pos] += times * idf * frequency * (BM25_K1 + 1) / (frequency + norm[pos])
        return score

    def _occurrences(self, term: str, memory: FacetMemory,
                     arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
        """Where a word occurs: (positions, column-weighted term frequency there, documents).

        The common words, which are the costly ones to read, are kept per process until the next
        write, up to SIMILAR_CACHE_POSTINGS positions in all (least recently used go first).
        """
        with self._lock:
            cache = getattr(self, "_occurrence_cache", None)
            if cache is None or cache[0] is not memory or cache[1] != memory.seq:
                cache = self._occurrence_cache = (memory, memory.seq, OrderedDict(), [0])
            entries, total = cache[2], cache[3]
            if term in entries:
                entries.move_to_end(term)
                return entries[term]
        found = postings.occurrences(self._connect(), term, WEIGHTS)
        if found is None:
            return np.empty(0, dtype=np.int64), np.empty(0), 0
        doc_ids, frequency = found
        pos_of_id = arrays["pos_of_id"]
        known = doc_ids < len(pos_of_id)
        pos = pos_of_id[doc_ids[known]]
        frequency = frequency[known][pos >= 0]
        entry = (pos[pos >= 0], frequency, len(doc_ids))
        if len(doc_ids) >= SIMILAR_CACHE_FROM:
            with self._lock:
                entries[term] = entry
                total[0] += len(entry[0])
                while total[0] > SIMILAR_CACHE_POSTINGS and len(entries) > 1:
                    total[0] -= len(entries.popitem(last=False)[1][0])
        return entry

    def _lengths(self, memory: FacetMemory, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Tokens per document (all columns), by position, from FTS5's own size table.

        Kept per process beside the memory arrays: read once, then only for documents written since.
        """
        cached = getattr(self, "_doc_lengths", None)
        size = len(arrays["ids"])
        if cached is not None and cached[0] is memory and cached[1] == size:
            return cached[2]
        lengths = np.zeros(size, dtype=np.float64)
        start = 0
        if cached is not None and cached[0] is memory:
            start = len(cached[2])
            lengths[:start] = cached[2]
        ids = arrays["ids"][start:]
        conn = self._connect()
        if start == 0:
            rows = conn.execute("SELECT id, sz FROM fts_docsize").fetchall()
        else:
            rows = []
            for chunk in range(0, len(ids), 500):
                part = [int(i) for i in ids[chunk:chunk + 500]]
                rows += conn.execute(f"SELECT id, sz FROM fts_docsize WHERE id IN ({','.join('?' * len(part))})",
                                     part).fetchall()
        pos_of_id = arrays["pos_of_id"]
        for doc_id, blob in rows:
            if doc_id < len(pos_of_id) and pos_of_id[doc_id] >= start:
                lengths[pos_of_id[doc_id]] = varint_sum(blob)
        self._doc_lengths = (memory, size, lengths)
        return lengths

    def _informative(self, text: str, words: list[str], count: int, seq: int,
                     size: int) -> list[tuple[str, int]]:
        """The `count` words of a text that best tell documents apart, each with how many times
        to query it: indexed, not too common, rare and repeated (tf·idf).

        A query word the index lacks (锂电池 where titles say 锂离子电池) stands in by its sub-words.
        """
        pool = list(words)
        frequency = self._frequencies(pool, seq, size)
        for word in words:
            if not frequency.get(word):
                pool += [t for t in sub_terms(word) if t not in pool]
        frequency.update(self._frequencies([t for t in pool if t not in frequency], seq, size))
        return informative_words(text, pool, frequency, size, count)

    def _frequencies(self, terms: list[str], seq: int, size: int) -> dict[str, int]:
        """Document frequencies, from a per-process table of the whole vocabulary.

        The table is read once (well under a second for 100,000 documents) and read again when
        the index has grown or shrunk by a tenth; in between, its counts are close enough to choose
        words by, and a word it lacks is looked up (and remembered until the next write).
        """
        if not terms:
            return {}
        table = getattr(self, "_vocabulary", None)
        if table is None or abs(size - table[0]) > SIMILAR_VOCABULARY_DRIFT * max(table[0], 1):
            with self._lock:
                counts = dict(self._connect().execute("SELECT term, doc FROM fts_vocab").fetchall())
                table = self._vocabulary = (size, counts, seq, {})
        _, counts, looked_up_at, looked_up = table
        if looked_up_at != seq:
            looked_up = {}
            self._vocabulary = table = (table[0], counts, seq, looked_up)
        missing = [t for t in terms if t not in counts and t not in looked_up]
        if missing:
            marks = ",".join("?" * len(missing))
            found = dict(self._connect().execute(
                f"SELECT term, doc FROM fts_vocab WHERE term IN ({marks})", missing).fetchall())
            looked_up.update({t: found.get(t, 0) for t in missing})
        return {t: counts[t] if t in counts else looked_up[t] for t in terms}

