"""The embedded index shared by a gunicorn worker's threads: searches while another thread writes.

Found by the load benchmark: a search read the in-memory facets while another thread's sync
appended to them, and failed with an IndexError (a 500) now and then.
"""

from __future__ import annotations

import threading

from market.search.backend import SearchQuery
from market.search.embedded import EmbeddedSearch


def _doc(i: int, version: int) -> dict:
    return {"id": i, "title": f"锂离子电池隔膜第{i}号", "body": f"耐高温隔膜，第{version}版。", "codes": [],
            "patent_type": "INVENTION", "ipc_sections": ["H"], "industries": ["NEW_ENERGY"],
            "modes": ["TRANSFER"], "owner_types": ["UNIVERSITY"], "point_id": 1 + i % 3,
            "legal_status": "VALID", "price_band": "LT_10W", "price_fen": 1000 + version,
            "sort_newest": float(version)}


def test_searches_stay_whole_while_another_thread_indexes(tmp_path):
    index = EmbeddedSearch(str(tmp_path / "search.sqlite3"))
    index.index([_doc(i, 0) for i in range(200)], bulk=True)
    errors: list[BaseException] = []
    done = threading.Event()

    def read():
        while not done.is_set():
            try:
                result = index.search(SearchQuery(text="隔膜"))
                assert result.total == 200
                index.similar("耐高温的锂电池隔膜", limit=5)
            except BaseException as err:  # every failure is the finding
                errors.append(err)
                return

    readers = [threading.Thread(target=read) for _ in range(4)]
    for r in readers:
        r.start()
    # Each write adds new positions to the facets that a concurrent search may be reading.
    for version in range(1, 150):
        index.index([_doc(version % 200, version), _doc((version * 7) % 200, version)])
    done.set()
    for r in readers:
        r.join()
    assert errors == []
