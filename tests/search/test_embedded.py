"""What only the embedded backend has to prove: several processes share one index file.

Everything both backends must do is in tests/search/test_contract.py.
"""

from __future__ import annotations

from market.search.backend import SearchQuery
from market.search.embedded import EmbeddedSearch


def doc(i: int, title: str) -> dict:
    return {"id": i, "title": title, "abstract": "", "body": "", "codes": [], "patent_type": "INVENTION",
            "modes": ["TRANSFER"], "point": "一号店", "legal_status": "VALID", "price_fen": i, "sort_newest": float(i)}


def test_another_process_sees_writes_through_the_shared_file(tmp_path):
    writer = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    writer.index([doc(1, "陶瓷涂覆隔膜"), doc(2, "锂电池正极材料"), doc(3, "水稻种植方法")])
    reader = EmbeddedSearch(writer.path)  # another worker's view of the same file
    assert reader.search(SearchQuery()).total == 3
    writer.index([doc(5, "石墨烯导热膜")])
    writer.delete([3])
    assert [h.id for h in reader.search(SearchQuery(text="石墨烯")).hits] == [5]
    assert reader.search(SearchQuery()).total == 3
    assert reader.search(SearchQuery(text="水稻")).total == 0


def test_similar_answers_are_kept_until_the_index_is_written_by_any_process(tmp_path, monkeypatch):
    writer = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    writer.index([doc(1, "陶瓷涂覆隔膜"), doc(2, "锂电池陶瓷隔膜"), doc(3, "水稻种植方法")])
    reader = EmbeddedSearch(writer.path)
    first = [h.id for h in reader.similar("陶瓷隔膜", limit=5)]
    assert first and 3 not in first
    asked = []
    original = EmbeddedSearch._similar
    monkeypatch.setattr(EmbeddedSearch, "_similar", lambda self, *a, **k: asked.append(1) or original(self, *a, **k))
    assert [h.id for h in reader.similar("陶瓷隔膜", limit=5)] == first and asked == []  # kept
    writer.index([doc(4, "陶瓷隔膜涂覆装置")])  # another worker writes: the kept answers go
    again = [h.id for h in reader.similar("陶瓷隔膜", limit=5)]
    assert 4 in again and asked == [1]
    writer.delete([4])
    assert 4 not in [h.id for h in reader.similar("陶瓷隔膜", limit=5)]
