"""Bulk loads segment ahead in worker processes; what is indexed is what segmenting in place gives."""

from __future__ import annotations

import os

import pytest

from market.search import fts
from market.search.embedded import EmbeddedSearch


def _docs(n: int) -> list[dict]:
    return [{"id": i + 1, "title": f"一种锂离子电池的制备方法{i}", "body": f"本发明公开了一种正极材料及其制备方法，编号{i}。",
             "codes": [f"CN{i}"]} for i in range(n)]


def test_documents_segmented_ahead_carry_what_segmenting_in_place_gives(monkeypatch):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: nothing is segmented ahead")
    docs = _docs(fts.PARALLEL_FROM + 5)
    batches = [docs[:fts.PARALLEL_FROM], docs[fts.PARALLEL_FROM:]]
    out = list(fts.segmented_ahead(batches))
    assert [len(b) for b in out] == [len(b) for b in batches]
    expected = fts.segment([(d["title"], d["body"]) for d in docs])
    assert [d[fts.SEGMENTED] for b in out for d in b] == expected
    # The backends take the text worked out ahead and store the documents without it.
    monkeypatch.setattr(fts, "segment", lambda *a, **k: pytest.fail("segmented twice"))
    clean, texts = fts.segmented(out[0], bulk=True)
    assert texts == expected[:fts.PARALLEL_FROM] and all(fts.SEGMENTED not in d for d in clean)


def test_a_small_catalogue_is_not_segmented_ahead():
    batches = [_docs(3)]
    assert list(fts.segmented_ahead(batches)) == batches and fts.SEGMENTED not in batches[0][0]
    assert list(fts.segmented_ahead([])) == []


def test_the_embedded_index_stores_no_segmented_text_and_finds_the_documents(tmp_path):
    docs = _docs(fts.PARALLEL_FROM + 1)
    index = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    for batch in fts.segmented_ahead([docs[:fts.PARALLEL_FROM], docs[fts.PARALLEL_FROM:]]):
        index.index(batch, bulk=True)
    assert index.ids() == {d["id"] for d in docs}
    hits = index.similar("锂离子电池 正极材料", limit=3)
    assert hits and all(fts.SEGMENTED not in h.doc for h in hits)
