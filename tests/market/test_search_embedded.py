"""The embedded search backend: Chinese relevance, facets, filters, sorting, highlights, sync."""

from __future__ import annotations

import pytest

from market.search.backend import SearchQuery
from market.search.embedded import EmbeddedSearch


def doc(i: int, title: str, abstract: str = "", **kw) -> dict:
    base = {"id": i, "title": title, "abstract": abstract, "body": abstract, "codes": [], "patent_type": "INVENTION",
            "industries": [], "ipc_sections": ["H"], "ipc_classes": ["H01"], "modes": ["TRANSFER"],
            "owner_types": ["UNIVERSITY"], "owners": ["沪北理工大学"], "point": "一号店", "legal_status": "VALID",
            "price_band": "LT_100K", "price_fen": 100 * i, "sort_newest": float(i)}
    base.update(kw)
    return base


@pytest.fixture
def backend(tmp_path):
    b = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    b.index([
        doc(1, "一种锂离子电池用陶瓷涂覆隔膜", "隔膜耐高温", modes=["OPEN_LICENSE"], industries=["NEV", "NEN"]),
        doc(2, "锂电池正极材料及其制备方法", "高镍正极", industries=["NEV"], point="二号店"),
        doc(3, "一种水稻种植方法", "提高水稻产量", ipc_sections=["A"], ipc_classes=["A01"], patent_type="UTILITY_MODEL"),
        doc(4, "聚乙烯隔膜的拉伸装置", "隔膜生产设备", modes=["TRANSFER", "EQUITY"], price_fen=None,
            price_band="NEGOTIABLE"),
    ])
    return b


def test_all_terms_must_match(backend):
    result = backend.search(SearchQuery(text="锂电池 隔膜"))
    assert [h.id for h in result.hits] == [1] and not result.relaxed


def test_a_query_word_matches_a_document_that_has_all_its_sub_words(backend):
    # jieba keeps 锂电池 whole in the query but the title says 锂离子电池.
    assert 1 in {h.id for h in backend.search(SearchQuery(text="锂电池")).hits}


def test_with_no_document_matching_every_term_any_term_results_are_shown(backend):
    result = backend.search(SearchQuery(text="隔膜 水稻"))
    assert {h.id for h in result.hits} == {1, 3, 4} and result.relaxed


def test_title_matches_rank_above_abstract_matches(backend):
    result = backend.search(SearchQuery(text="隔膜"))
    assert result.hits[-1].id not in (1, 4) or result.total == 2
    assert {h.id for h in result.hits[:2]} == {1, 4}


def test_facet_counts_cover_the_matches(backend):
    facets = backend.search(SearchQuery(text="隔膜")).facets
    assert dict(facets["mode"]) == {"OPEN_LICENSE": 1, "TRANSFER": 1, "EQUITY": 1}
    assert dict(facets["patent_type"]) == {"INVENTION": 2}


def test_a_facet_ignores_its_own_filter_so_alternatives_stay_visible(backend):
    result = backend.search(SearchQuery(filters={"point": ["二号店"]}))
    assert [h.id for h in result.hits] == [2]
    assert dict(result.facets["point"]) == {"一号店": 3, "二号店": 1}
    assert dict(result.facets["industry"]) == {"NEV": 1}


def test_filters_within_a_facet_are_or_and_across_facets_and(backend):
    result = backend.search(SearchQuery(filters={"industry": ["NEV", "NEN"], "point": ["一号店"]}))
    assert [h.id for h in result.hits] == [1]


def test_sort_by_price_puts_negotiable_last(backend):
    ids = [h.id for h in backend.search(SearchQuery(sort="price_desc")).hits]
    assert ids == [3, 2, 1, 4]


def test_newest_first_without_text(backend):
    assert [h.id for h in backend.search(SearchQuery()).hits] == [4, 3, 2, 1]


def test_pagination(backend):
    result = backend.search(SearchQuery(per_page=3, page=2))
    assert result.total == 4 and result.pages == 2 and [h.id for h in result.hits] == [1]


def test_highlights_mark_terms_and_escape_html(backend):
    backend.index([doc(9, "<script>alert(1)</script>隔膜", "")])
    hit = next(h for h in backend.search(SearchQuery(text="隔膜")).hits if h.id == 9)
    assert "<script>" not in hit.highlights["title"]
    assert "<mark>隔膜</mark>" in hit.highlights["title"]


def test_deleted_documents_disappear(backend):
    backend.delete([1])
    assert 1 not in {h.id for h in backend.search(SearchQuery(text="隔膜")).hits}
    assert backend.ids() == {2, 3, 4}


def test_another_process_sees_writes_through_the_shared_file(backend, tmp_path):
    other = EmbeddedSearch(backend.path)
    assert other.search(SearchQuery()).total == 4
    backend.index([doc(5, "石墨烯导热膜")])
    backend.delete([3])
    result = other.search(SearchQuery(text="石墨烯"))
    assert [h.id for h in result.hits] == [5]
    assert other.search(SearchQuery()).total == 4


def test_reindexing_a_document_replaces_it(backend):
    backend.index([doc(3, "一种小麦播种机")])
    assert backend.search(SearchQuery(text="水稻")).total == 0
    assert [h.id for h in backend.search(SearchQuery(text="小麦")).hits] == [3]


def test_similar_finds_related_text(backend):
    hits = backend.similar("需要耐高温的锂电池隔膜材料", limit=2)
    assert {h.id for h in hits} == {1, 2}
