"""Stored postings of the embedded index: each word's documents and column-weighted frequencies in one row.

`similar` (a patent page's similar patents, matching's retrieval) scores a text's 40 most telling
words in numpy from where each occurs. FTS5 keeps that, but reading it back through its
'instance' vocabulary costs about 0.3 µs an occurrence, decoded and joined one by one: 18 of a
patent page's 27 ms at 100,000 listings, and no cache survives the next write. So the words in
at least STORED_FROM documents (rarer ones are cheap to read live) and in at most the share
`similar` ever asks (`build`'s `max_share`) are stored here once, after a full rebuild, as two
arrays: the documents' ids and their frequencies, weighted per column as FTS5's bm25() weighs them.

The rows are kept true in the same transaction as every write (EmbeddedSearch._write): the words
of a document's old and new text are `words`, a superset of FTS5's tokens for it (unicode61
splits at anything but letters, digits and private-use characters; this splits at anything but
letters and digits), and each stored one is recomputed from FTS5 there (or only dropped during a
bulk load, which a rebuild follows). A word with no row is read live, as before.
"""

from __future__ import annotations

import re
import sqlite3

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS postings (term TEXT PRIMARY KEY, docs BLOB NOT NULL, weights BLOB NOT NULL) WITHOUT ROWID;
"""
# Words in fewer documents are read live: a few hundred occurrences cost less than the row.
STORED_FROM = 20
# A rebuild commits every this many words, so that a write waiting for the file is not kept long.
BUILD_CHUNK = 1000
_TOKEN = re.compile(r"[^\W_]+")


def occurrences(conn: sqlite3.Connection, term: str,
                weights: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray] | None:
    """Where a word occurs, read from FTS5: (document ids ascending, weighted frequency in each),
    or None for a word in no document. The stored row when there is one."""
    row = conn.execute("SELECT docs, weights FROM postings WHERE term = ?", (term,)).fetchone()
    if row is not None:
        # Ids fit 32 bits; the frequencies are sums of small whole numbers, exact in float32.
        return np.frombuffer(row[0], dtype=np.int32), np.frombuffer(row[1], dtype=np.float32).astype(np.float64)
    return live(conn, term, weights)


def live(conn: sqlite3.Connection, term: str,
         weights: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray] | None:
    """A word's occurrences from FTS5's instance vocabulary (one per occurrence: document, column)."""
    found = conn.execute(
        "SELECT group_concat(doc * 4 + CASE col WHEN 'title' THEN 0 WHEN 'body' THEN 1 ELSE 2 END)"
        " FROM fts_instances WHERE term = ?", (term,)).fetchone()[0]
    if not found:
        return None
    coded = np.array(found.split(","), dtype=np.int64)
    doc_ids, docs = np.unique(coded >> 2, return_inverse=True)
    # Weighted term frequency per document, as FTS5 sums it over columns.
    return doc_ids, np.bincount(docs, weights=np.asarray(weights)[coded & 3])


def words(*texts: str | None) -> set[str]:
    """Every word FTS5 may have made of these texts (a superset: see the module's docstring)."""
    return {w for text in texts if text for w in _TOKEN.findall(text.lower())}


def changed_words(conn: sqlite3.Connection, new_texts: list[str], doc_ids: list[int]) -> set[str]:
    """The words of the new texts and of these documents' current texts (read before a write
    replaces or deletes them); none when nothing is stored (a rebuild's bulk load: no work)."""
    if conn.execute("SELECT 1 FROM postings LIMIT 1").fetchone() is None:
        return set()
    changed = words(*new_texts)
    for start in range(0, len(doc_ids), 500):
        part = doc_ids[start:start + 500]
        for old in conn.execute(f"SELECT c0, c1, c2 FROM fts_content WHERE id IN ({','.join('?' * len(part))})", part):
            changed |= words(*old)
    return changed


def touch(conn: sqlite3.Connection, changed: set[str], weights: tuple[float, float, float], *,
          recompute: bool) -> None:
    """After documents with these words were written or deleted (in the caller's transaction):
    recompute their stored rows from FTS5, or drop them (a bulk load: the rebuild follows)."""
    changed = list(changed)
    stored: list[str] = []
    for start in range(0, len(changed), 500):
        part = changed[start:start + 500]
        stored += [r[0] for r in conn.execute(
            f"SELECT term FROM postings WHERE term IN ({','.join('?' * len(part))})", part)]
    for term in stored:
        found = live(conn, term, weights) if recompute else None
        if found is None:
            conn.execute("DELETE FROM postings WHERE term = ?", (term,))
        else:
            _store(conn, term, found)


def build(conn: sqlite3.Connection, weights: tuple[float, float, float], max_share: float) -> int:
    """Store every word in STORED_FROM to `max_share` of the documents (after a full rebuild).
    Returns the number of words stored."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM postings")
        size = conn.execute("SELECT count(*) FROM docs WHERE deleted = 0").fetchone()[0]
        terms = [r[0] for r in conn.execute("SELECT term FROM fts_vocab WHERE doc >= ? AND doc <= ?",
                                            (STORED_FROM, max(STORED_FROM, int(max_share * size))))]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    for start in range(0, len(terms), BUILD_CHUNK):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for term in terms[start:start + BUILD_CHUNK]:
                found = live(conn, term, weights)
                if found is not None:
                    _store(conn, term, found)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(terms)


def _store(conn: sqlite3.Connection, term: str, found: tuple[np.ndarray, np.ndarray]) -> None:
    conn.execute("INSERT OR REPLACE INTO postings VALUES (?,?,?)",
                 (term, found[0].astype(np.int32).tobytes(), found[1].astype(np.float32).tobytes()))
