"""The embedded index's stored postings (market/search/postings.py) stay what FTS5 holds, write after write,
and `similar` answers the same from them as from FTS5's instance vocabulary."""

from __future__ import annotations

import random

import pytest

from market.search import postings
from market.search.embedded import WEIGHTS, EmbeddedSearch
from tests.search.test_contract import doc

WORDS = ["锂电池", "隔膜", "陶瓷", "涂覆", "水稻", "种植", "正极", "材料", "高镍", "拉伸", "装置", "聚乙烯",
         "耐高温", "电解液", "H01M", "A01B", "Ⅱ型", "café", "x_y", "5G"]


def _doc(i: int, rng: random.Random) -> dict:
    pick = lambda n: "".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731 (jieba cuts them again)
    return doc(i, pick(3), pick(12), codes=[rng.choice(["CN2020100012345", "H01M50449", "A01B79"])])


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "STORED_FROM", 1)  # every word stored, so every one is checked
    return EmbeddedSearch(str(tmp_path / "search.sqlite3"))


def _stored_equal_live(store: EmbeddedSearch) -> int:
    conn = store._connect()
    terms = [r[0] for r in conn.execute("SELECT term FROM postings")]
    for term in terms:
        stored = postings.occurrences(conn, term, WEIGHTS)
        live = postings.live(conn, term, WEIGHTS)
        assert live is not None, f"{term} stored but in no document"
        assert stored[0].tolist() == live[0].tolist() and stored[1].tolist() == live[1].tolist(), term
    return len(terms)


def test_stored_postings_follow_every_write(store):
    rng = random.Random(16)
    store.index([_doc(i, rng) for i in range(1, 41)], bulk=True)
    assert store.prepare_similar() > 10
    assert _stored_equal_live(store) > 10
    for step in range(60):
        kind = rng.choice(["replace", "add", "delete", "several"])
        if kind == "delete":
            store.delete([rng.randrange(1, 60)])
        elif kind == "several":
            store.index([_doc(rng.randrange(1, 60), rng) for _ in range(5)])
        else:
            store.index([_doc(rng.randrange(1, 41) if kind == "replace" else 40 + step, rng)])
        _stored_equal_live(store)


def test_a_bulk_write_drops_what_it_touches_until_the_rebuild(store):
    rng = random.Random(3)
    store.index([_doc(i, rng) for i in range(1, 31)], bulk=True)
    store.prepare_similar()
    before = {r[0] for r in store._connect().execute("SELECT term FROM postings")}
    old_text = store._connect().execute("SELECT c0, c1, c2 FROM fts_content WHERE id = 5").fetchone()
    store.index([_doc(5, rng)], bulk=True)
    new_text = store._connect().execute("SELECT c0, c1, c2 FROM fts_content WHERE id = 5").fetchone()
    touched = postings.words(*old_text, *new_text)
    after = {r[0] for r in store._connect().execute("SELECT term FROM postings")}
    assert before & touched and not after & touched and after == before - touched
    _stored_equal_live(store)


def test_similar_answers_the_same_from_stored_and_live_postings(store):
    rng = random.Random(7)
    store.index([_doc(i, rng) for i in range(1, 201)], bulk=True)
    texts = [_doc(0, rng)["body"] for _ in range(10)]
    live = [[(h.id, h.score) for h in store._similar(t, limit=10, filters=None, max_terms=40)] for t in texts]
    store.prepare_similar()
    store._occurrence_cache = None
    stored = [[(h.id, h.score) for h in store._similar(t, limit=10, filters=None, max_terms=40)] for t in texts]
    assert stored == live and any(live)


def test_the_words_of_a_text_cover_every_token_fts5_made_of_it(store):
    rng = random.Random(11)
    docs = [_doc(i, rng) for i in range(1, 30)] + [doc(30, "Ⅱ型 café x_y 5G ＡＢＣ", "naïve—dash/slash")]
    store.index(docs)
    conn = store._connect()
    for doc_id, title, body, codes in conn.execute("SELECT id, c0, c1, c2 FROM fts_content"):
        tokens = {r[0] for r in conn.execute("SELECT DISTINCT term FROM fts_instances WHERE doc = ?", (doc_id,))}
        assert tokens <= postings.words(title, body, codes), doc_id


def test_clear_drops_the_stored_postings(store):
    store.index([doc(1, "锂电池隔膜"), doc(2, "锂电池正极")])
    store.prepare_similar()
    store.clear()
    assert store._connect().execute("SELECT count(*) FROM postings").fetchone()[0] == 0
    assert postings.occurrences(store._connect(), "锂电池", WEIGHTS) is None
