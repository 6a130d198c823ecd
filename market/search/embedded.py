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
import multiprocessing
import os
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from market.search.backend import FACETS, Hit, SearchQuery, SearchResult
from market.search.text import highlight, normalise, query_terms, sub_terms, tokens

# Where each facet reads its values in a search document.
FACET_FIELDS = {
    "patent_type": "patent_type", "industry": "industries", "ipc_section": "ipc_sections",
    "ipc_class": "ipc_classes", "mode": "modes", "owner_type": "owner_types", "owner": "owners",
    "point": "point", "legal_status": "legal_status", "price_band": "price_band",
}
# BM25 column weights: title, body, codes.
WEIGHTS = (8.0, 1.0, 4.0)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('seq', 0);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    facets TEXT NOT NULL DEFAULT '{}', sort_newest REAL, sort_price REAL, data TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS docs_seq ON docs(seq);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body, codes, tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row');
"""


# How many of a long text's words `similar` queries by default (see EmbeddedSearch.similar).
SIMILAR_TERMS = 16

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


def facet_values(doc: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for facet, key in FACET_FIELDS.items():
        value = doc.get(key)
        if value is None or value == "":
            continue
        out[facet] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


class _Facet:
    """Value dictionary plus (position, code) pairs for one facet."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.values: list[str] = []
        self.pos: list[int] = []
        self.code: list[int] = []
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, pos: int, values: list[str]) -> None:
        for v in values:
            c = self.codes.get(v)
            if c is None:
                c = self.codes[v] = len(self.values)
                self.values.append(v)
            self.pos.append(pos)
            self.code.append(c)
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            self._arrays = (np.asarray(self.pos, dtype=np.int32), np.asarray(self.code, dtype=np.int32))
        return self._arrays

    def mask_for(self, values: list[str], size: int) -> np.ndarray:
        pos, code = self.arrays()
        wanted = [self.codes[v] for v in values if v in self.codes]
        mask = np.zeros(size, dtype=bool)
        if wanted:
            mask[pos[np.isin(code, wanted)]] = True
        return mask

    def counts(self, mask: np.ndarray) -> list[tuple[str, int]]:
        pos, code = self.arrays()
        if not len(pos):
            return []
        counted = np.bincount(code[mask[pos]], minlength=len(self.values))
        order = np.argsort(-counted, kind="stable")
        return [(self.values[i], int(counted[i])) for i in order if counted[i] > 0]


class _Memory:
    """The in-memory side of the index for one process."""

    def __init__(self) -> None:
        self.seq = 0
        self.ids: list[int] = []
        self.alive: list[bool] = []
        self.newest: list[float] = []
        self.price: list[float] = []
        self.pos_by_id: dict[int, int] = {}
        self.facets = {f: _Facet() for f in FACETS}
        self.dead = 0
        self._arrays: dict[str, np.ndarray] | None = None

    def upsert(self, doc_id: int, facets: dict[str, list[str]], newest: float | None,
               price: float | None) -> None:
        self.remove(doc_id)
        pos = len(self.ids)
        self.ids.append(doc_id)
        self.alive.append(True)
        self.newest.append(newest if newest is not None else 0.0)
        self.price.append(price if price is not None else np.nan)
        self.pos_by_id[doc_id] = pos
        for facet, values in facets.items():
            if facet in self.facets:
                self.facets[facet].add(pos, values)
        self._arrays = None

    def remove(self, doc_id: int) -> None:
        pos = self.pos_by_id.pop(doc_id, None)
        if pos is not None:
            self.alive[pos] = False
            self.dead += 1
            self._arrays = None

    def arrays(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            ids = np.asarray(self.ids, dtype=np.int64)
            pos_of_id = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int64)
            alive = np.asarray(self.alive, dtype=bool)
            pos_of_id[ids[alive]] = np.nonzero(alive)[0]
            self._arrays = {"ids": ids, "alive": alive, "pos_of_id": pos_of_id,
                            "newest": np.asarray(self.newest, dtype=np.float64),
                            "price": np.asarray(self.price, dtype=np.float64)}
        return self._arrays


class EmbeddedSearch:
    """SearchBackend over one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: str) -> None:
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.RLock()
        self._memory = _Memory()
        with self._connect() as conn:
            conn.executescript(SCHEMA)

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
        docs = list(docs)
        texts = segment([(d.get("title", ""), d.get("body", "")) for d in docs], bulk)
        rows = [(int(doc["id"]), json.dumps(facet_values(doc), ensure_ascii=False),
                 doc.get("sort_newest"), doc.get("price_fen"),
                 json.dumps(doc, ensure_ascii=False, default=str), title, body,
                 " ".join(doc.get("codes", [])).lower())
                for doc, (title, body) in zip(docs, texts)]
        if rows:
            self._write(rows, [])

    def delete(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if ids:
            self._write([], ids)

    def _write(self, rows: list[tuple], deletes: list[int]) -> None:
        conn = self._connect()
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                seq = conn.execute("SELECT value FROM meta WHERE key='seq'").fetchone()[0]
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
            conn.execute("UPDATE meta SET value=value+1 WHERE key='seq'")
            conn.execute("COMMIT")
            self._memory = _Memory()

    def ids(self) -> set[int]:
        return {r[0] for r in self._connect().execute("SELECT id FROM docs WHERE deleted=0")}

    def get(self, doc_id: int) -> dict[str, Any] | None:
        row = self._connect().execute(
            "SELECT data FROM docs WHERE id=? AND deleted=0", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    # -- keeping the process memory in step ------------------------------------------------
    def _sync(self) -> _Memory:
        conn = self._connect()
        seq = conn.execute("SELECT value FROM meta WHERE key='seq'").fetchone()[0]
        with self._lock:
            memory = self._memory
            if seq == memory.seq:
                return memory
            if seq < memory.seq or (memory.dead > 1000 and memory.dead > len(memory.ids) // 3):
                memory = _Memory()  # the file was rebuilt, or too many dead slots: reload
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
        rows = self._connect().execute(
            "SELECT rowid, bm25(fts, ?, ?, ?) FROM fts WHERE fts MATCH ?", (*WEIGHTS, expression)
        ).fetchall()
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0)
        data = np.asarray(rows, dtype=np.float64)
        # FTS5's bm25 is negative, lower is better; flip it so higher is better.
        return data[:, 0].astype(np.int64), -data[:, 1]

    def _text_mask(self, terms: list[str], arrays: dict[str, np.ndarray],
                   any_term: bool) -> tuple[np.ndarray, np.ndarray]:
        size = len(arrays["ids"])
        if any_term:
            alternatives = {t for term in terms for t in [term, *sub_terms(term)]}
            expression = " OR ".join(_quote(t) for t in sorted(alternatives))
        else:
            expression = " AND ".join(_term_group(t) for t in terms)
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
        facets = {}
        for facet in query.facets:
            # Disjunctive counts: a facet ignores its own filter so its other values stay visible.
            if facet in filter_masks:
                fmask = base.copy()
                for other, m in filter_masks.items():
                    if other != facet:
                        fmask &= m
            else:
                fmask = mask
            facets[facet] = memory.facets[facet].counts(fmask)
        positions = np.nonzero(mask)[0]
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
        """Documents most like a long text (a demand, an abstract), by BM25 over some of its words.

        With `max_terms` the query keeps only that many of the text's rarest indexed words: they
        carry the relevance, and an OR over common words would touch most of a large catalogue.
        `max_terms=None` is the plain query: an OR over every word of the text and its sub-words.
        """
        memory = self._sync()
        arrays = memory.arrays()
        words = query_terms(text)
        if max_terms is None:
            terms = words
            alternatives = {t for term in terms for t in [term, *sub_terms(term)]}
        else:
            terms = alternatives = self._informative(text, words, max_terms, int(arrays["alive"].sum()))
        if not terms:
            return []
        expression = " OR ".join(_quote(t) for t in sorted(alternatives))
        masks = [memory.facets[f].mask_for(v, len(arrays["ids"]))
                 for f, v in (filters or {}).items() if f in memory.facets and v]
        # The best rows come ranked from SQLite; a filter may need a deeper cut, then all rows.
        depth = max(4 * limit, 200) if masks else limit + 20
        while True:
            ids, score = self._ranked(expression, depth)
            pos_of_id = arrays["pos_of_id"]
            known = ids < len(pos_of_id)
            ids, score = ids[known], score[known]
            pos = pos_of_id[ids]
            keep = pos >= 0
            keep[keep] &= arrays["alive"][pos[keep]]
            for mask in masks:
                keep[keep] &= mask[pos[keep]]
            if keep.sum() >= limit or depth is None or len(known) < depth:
                break
            depth = None
        ids, score = ids[keep], score[keep]
        order = np.lexsort((ids, -score))[:limit]
        top_ids = [int(ids[k]) for k in order]
        docs = self._docs(top_ids)
        return [Hit(id=i, score=float(score[k]), doc=docs[i],
                    highlights={"title": highlight(docs[i].get("title", ""), terms)})
                for i, k in zip(top_ids, order) if i in docs]

    def _informative(self, text: str, words: list[str], count: int, size: int) -> list[str]:
        """The `count` words of a text that best tell documents apart: indexed, rare, repeated.

        A query word the index lacks (锂电池 where titles say 锂离子电池) stands in by its sub-words.
        """
        pool = list(words)
        frequency = self._document_frequency(pool)
        for word in words:
            if not frequency.get(word):
                pool += [t for t in sub_terms(word) if t not in pool]
        frequency.update(self._document_frequency([t for t in pool if t not in frequency]))
        lowered = normalise(text)
        weight = {}
        for term in pool:
            df = frequency.get(term, 0)
            if df:
                idf = math.log(1 + (size - df + 0.5) / (df + 0.5))
                weight[term] = idf * (1 + math.log(max(1, lowered.count(term))))
        return sorted(weight, key=lambda t: (-weight[t], pool.index(t)))[:count]

    def _document_frequency(self, terms: list[str]) -> dict[str, int]:
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        return dict(self._connect().execute(
            f"SELECT term, doc FROM fts_vocab WHERE term IN ({marks})", terms).fetchall())

    def _ranked(self, expression: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, scores) of matching rows, best first, at most `limit` of them."""
        sql = "SELECT rowid, bm25(fts, ?, ?, ?) AS s FROM fts WHERE fts MATCH ? ORDER BY s"
        params: tuple = (*WEIGHTS, expression)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        rows = self._connect().execute(sql, params).fetchall()
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0)
        data = np.asarray(rows, dtype=np.float64)
        return data[:, 0].astype(np.int64), -data[:, 1]


def _term_group(term: str) -> str:
    """A query word matches itself or all of its sub-words: jieba cuts 锂电池 whole in a query
    but 锂离子电池 into 锂离子/电池 in a title, and 电池 must still count."""
    parts = sub_terms(term)
    if not parts:
        return _quote(term)
    options = [_quote(term), "(" + " AND ".join(_quote(p) for p in parts) + ")"]
    # Chinese compounds are head-final: 锂电池 is a kind of 电池, 耐高温 a kind of 高温.
    heads = [p for p in parts if term.endswith(p) and len(p) >= 2]
    if heads:
        options.append(_quote(max(heads, key=len)))
    return "(" + " OR ".join(options) + ")"


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'
