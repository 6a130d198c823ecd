"""One contract, three backends: the embedded index, Elasticsearch 7.10 and OpenSearch 2.19 agree.

Exact lookups, filters, facet counts, sorting and pagination must agree; BM25 scores may
differ (the order of equally good text matches is measured by benchmarks/search_backends.py).
"""

from __future__ import annotations

import uuid

import pytest

from market.search.backend import SearchError, SearchQuery, SearchUnavailable
from market.search.elastic import ElasticsearchBackend
from market.search.embedded import EmbeddedSearch
from market.search.fallback import FallbackSearch
from market.search.http import ElasticClient
from tests.search.conftest import CLUSTERS, ENGINES


def doc(i: int, title: str, abstract: str = "", **kw) -> dict:
    base = {"id": i, "title": title, "abstract": abstract, "body": abstract, "codes": [], "patent_type": "INVENTION",
            "industries": [], "ipc_sections": ["H"], "ipc_classes": ["H01"], "modes": ["TRANSFER"],
            "owner_types": ["UNIVERSITY"], "owners": ["沪北理工大学"], "point": "一号店", "legal_status": "VALID",
            "price_band": "LT_100K", "price_fen": 100 * i, "sort_newest": float(i)}
    base.update(kw)
    return base


DOCS = [
    doc(1, "一种锂离子电池用陶瓷涂覆隔膜", "隔膜耐高温", modes=["OPEN_LICENSE"], industries=["NEV", "NEN"]),
    doc(2, "锂电池正极材料及其制备方法", "高镍正极", industries=["NEV"], point="二号店"),
    doc(3, "一种水稻种植方法", "提高水稻产量", ipc_sections=["A"], ipc_classes=["A01"], patent_type="UTILITY_MODEL"),
    doc(4, "聚乙烯隔膜的拉伸装置", "隔膜生产设备", modes=["TRANSFER", "EQUITY"], price_fen=None,
        price_band="NEGOTIABLE"),
]


@pytest.mark.parametrize("engine", CLUSTERS)
def test_each_engine_runs_on_the_node_it_is_named_for(request, engine):
    """What CI proves is what the README claims: the OpenSearch half did not run on Elasticsearch."""
    distribution, version = ENGINES[engine]
    about = ElasticClient(request.getfixturevalue(f"{engine}_url")).request("GET", "/")["version"]
    assert about.get("distribution", "elasticsearch") == distribution
    assert about["number"].startswith(version)


@pytest.fixture
def backend(make_backend):
    b = make_backend()
    b.index(DOCS)
    return b


def ids(result) -> list[int]:
    return [h.id for h in result.hits]


def test_all_terms_must_match(backend):
    result = backend.search(SearchQuery(text="锂电池 隔膜"))
    assert ids(result) == [1] and not result.relaxed


def test_a_query_word_matches_a_document_that_has_all_its_sub_words(backend):
    assert 1 in ids(backend.search(SearchQuery(text="锂电池")))


def test_with_no_document_matching_every_term_any_term_results_are_shown(backend):
    result = backend.search(SearchQuery(text="隔膜 水稻"))
    assert set(ids(result)) == {1, 3, 4} and result.relaxed


def test_title_matches_rank_above_abstract_matches(backend):
    assert set(ids(backend.search(SearchQuery(text="隔膜")))[:2]) == {1, 4}


def test_facet_counts_cover_the_matches(backend):
    facets = backend.search(SearchQuery(text="隔膜")).facets
    assert dict(facets["mode"]) == {"OPEN_LICENSE": 1, "TRANSFER": 1, "EQUITY": 1}
    assert dict(facets["patent_type"]) == {"INVENTION": 2}


def test_facet_values_come_most_frequent_first(backend):
    counts = [c for _, c in backend.search(SearchQuery()).facets["mode"]]
    assert counts == sorted(counts, reverse=True)


def test_a_facet_ignores_its_own_filter_so_alternatives_stay_visible(backend):
    result = backend.search(SearchQuery(filters={"point": ["二号店"]}))
    assert ids(result) == [2]
    assert dict(result.facets["point"]) == {"一号店": 3, "二号店": 1}
    assert dict(result.facets["industry"]) == {"NEV": 1}


def test_filters_within_a_facet_are_or_and_across_facets_and(backend):
    result = backend.search(SearchQuery(filters={"industry": ["NEV", "NEN"], "point": ["一号店"]}))
    assert ids(result) == [1]


def test_unknown_facets_and_empty_filters_are_ignored(backend):
    result = backend.search(SearchQuery(filters={"colour": ["red"], "point": []}))
    assert result.total == 4


@pytest.mark.parametrize("sort, expected", [
    ("price_desc", [3, 2, 1, 4]), ("price_asc", [1, 2, 3, 4]), ("newest", [4, 3, 2, 1]),
    ("relevance", [4, 3, 2, 1]), ("nonsense", [4, 3, 2, 1])])
def test_sorting_puts_negotiable_prices_last(backend, sort, expected):
    assert ids(backend.search(SearchQuery(sort=sort))) == expected


def test_pagination(backend):
    result = backend.search(SearchQuery(per_page=3, page=2))
    assert result.total == 4 and result.pages == 2 and ids(result) == [1]


@pytest.mark.parametrize("page", [3, 99, 10**6])
def test_a_page_past_the_end_is_empty_not_an_error(backend, page):
    result = backend.search(SearchQuery(per_page=3, page=page))
    assert result.total == 4 and result.hits == [] and dict(result.facets["point"]) == {"一号店": 3, "二号店": 1}


def test_highlights_mark_terms_and_escape_html(backend):
    backend.index([doc(9, "<script>alert(1)</script>隔膜", "")])
    hit = next(h for h in backend.search(SearchQuery(text="隔膜")).hits if h.id == 9)
    assert "<script>" not in hit.highlights["title"]
    assert "<mark>隔膜</mark>" in hit.highlights["title"]
    assert hit.highlights["title"].startswith("&lt;script&gt;")


def test_documents_come_back_as_indexed(backend):
    hit = backend.search(SearchQuery(text="水稻")).hits[0]
    assert hit.doc == DOCS[2]


def test_deleted_documents_disappear(backend):
    backend.delete([1, 77])  # 77 was never indexed: deleting it is not an error
    assert 1 not in ids(backend.search(SearchQuery(text="隔膜")))
    assert backend.ids() == {2, 3, 4}


def test_another_instance_sees_writes_through_the_shared_store(backend, make_backend):
    other = make_backend()
    assert other.search(SearchQuery()).total == 4
    backend.index([doc(5, "石墨烯导热膜")])
    backend.delete([3])
    assert ids(other.search(SearchQuery(text="石墨烯"))) == [5]
    assert other.search(SearchQuery()).total == 4


def test_reindexing_a_document_replaces_it(backend):
    backend.index([doc(3, "一种小麦播种机")])
    assert backend.search(SearchQuery(text="水稻")).total == 0
    assert ids(backend.search(SearchQuery(text="小麦"))) == [3]


def test_clear_empties_the_index(backend):
    backend.clear()
    assert backend.ids() == set() and backend.search(SearchQuery(text="隔膜")).total == 0


def test_similar_finds_related_text(backend):
    # Both rank the 锂电池 title first; on four documents the BM25 variants disagree on
    # whether 耐高温 (embedded) or a short 隔膜 title (Elasticsearch) comes next.
    hits = backend.similar("需要耐高温的锂电池隔膜材料", limit=3)
    assert hits[0].id == 2 and {1, 2} <= {h.id for h in hits}


def test_similar_honours_filters(backend):
    hits = backend.similar("锂电池隔膜", limit=5, filters={"point": ["二号店"]})
    assert [h.id for h in hits] == [2]


def test_similar_to_nothing_is_nothing(backend):
    assert backend.similar("的 了 和", limit=5) == []


def test_codes_find_documents(make_backend):
    b = make_backend()
    b.index([doc(1, "隔膜", codes=["CN202010001234", "H01M50449", "H01M"]), doc(2, "正极", codes=["H01M436"])])
    assert ids(b.search(SearchQuery(text="H01M50449"))) == [1]
    assert set(ids(b.search(SearchQuery(text="h01m")))) == {1}


# -- the same answers from both backends -------------------------------------------------------

QUERIES = [SearchQuery(text=t, filters=fl, sort=s) for t, fl, s in [
    ("锂电池", {}, "relevance"), ("隔膜", {"mode": ["TRANSFER"]}, "price_asc"), ("水稻 隔膜", {}, "newest"),
    ("", {"industry": ["NEV"]}, "price_desc"), ("正极材料", {"point": ["二号店", "一号店"]}, "relevance"),
    ("不存在的词", {}, "relevance"), ("", {"price_band": ["NEGOTIABLE"], "mode": ["EQUITY"]}, "newest")]]


@pytest.fixture
def both(tmp_path, cluster_url):
    embedded = EmbeddedSearch(str(tmp_path / "e.sqlite3"))
    elastic = ElasticsearchBackend(ElasticClient(cluster_url),
                                   prefix=f"both{uuid.uuid4().hex[:12]}_")
    for b in (embedded, elastic):
        b.index(DOCS)
    yield embedded, elastic
    elastic.drop()


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.text or '-'}|{q.filters}|{q.sort}")
def test_both_backends_give_the_same_hits_and_facet_counts(both, query):
    embedded, elastic = (b.search(query) for b in both)
    assert (elastic.total, elastic.relaxed) == (embedded.total, embedded.relaxed)
    if query.sort != "relevance" or not query.text:
        assert ids(elastic) == ids(embedded)
    else:
        assert set(ids(elastic)) == set(ids(embedded))
    assert {f: dict(v) for f, v in elastic.facets.items()} == {f: dict(v) for f, v in embedded.facets.items()}
    assert [h.highlights for h in sorted(elastic.hits, key=lambda h: h.id)] == \
        [h.highlights for h in sorted(embedded.hits, key=lambda h: h.id)]


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ['"', ":", "*", "(", "\\", "/", 'title:隔膜', "隔膜*", "(隔膜", '"隔膜',
                                  "隔膜 AND OR NOT", "{[~^]}", "隔膜\\", "a/b/c", "!!!", "'; DROP TABLE"])
def test_query_syntax_characters_are_plain_text(backend, text):
    result = backend.search(SearchQuery(text=text))
    assert result.total in (0, 2, 4)
    if "隔膜" in text:
        assert set(ids(result)) >= {1, 4}


@pytest.mark.parametrize("text", ["   ", "", "的"])
def test_an_empty_query_lists_everything_newest_first(backend, text):
    assert ids(backend.search(SearchQuery(text=text))) == [4, 3, 2, 1]


def test_a_very_long_query_is_answered(backend):
    text = "隔膜耐高温锂电池" * 300 + "".join(chr(0x4E00 + i) for i in range(0, 4000, 7))
    result = backend.search(SearchQuery(text=text))
    assert result.total >= 0
    assert isinstance(backend.similar(text, limit=3), list)


# -- a cluster that is down or answers errors ----------------------------------------------------

@pytest.fixture
def dead_cluster():
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return ElasticsearchBackend(ElasticClient(f"http://127.0.0.1:{port}", timeout=2))


@pytest.fixture
def broken_cluster():
    """A server that answers every request with the given status and body."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answer = {"status": 500, "body": b'{"error":{"root_cause":[{"type":"boom","reason":"node fell over"}]}}'}

    class Handler(BaseHTTPRequestHandler):
        def _reply(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer["body"])

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _reply

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ElasticsearchBackend(ElasticClient(f"http://127.0.0.1:{server.server_address[1]}", timeout=2)), answer
    server.shutdown()
    server.server_close()


def test_an_unreachable_cluster_raises_search_unavailable(dead_cluster):
    with pytest.raises(SearchUnavailable, match="unreachable"):
        dead_cluster.search(SearchQuery(text="隔膜"))
    with pytest.raises(SearchUnavailable):
        dead_cluster.index(DOCS)


@pytest.mark.parametrize("status, body, error", [
    (500, b'{"error":{"root_cause":[{"type":"boom","reason":"node fell over"}]}}', SearchUnavailable),
    (503, b"<html>bad gateway</html>", SearchUnavailable),
    (429, b'{"error":"too many requests"}', SearchUnavailable),
    (400, b'{"error":{"type":"parsing_exception","reason":"bad"}}', SearchError),
    (403, b'{"error":"forbidden"}', SearchError)])
def test_cluster_errors_become_search_errors_with_the_reason(broken_cluster, status, body, error):
    cluster, answer = broken_cluster
    answer.update(status=status, body=body)
    with pytest.raises(error) as caught:
        cluster.search(SearchQuery(text="隔膜"))
    assert str(status) in str(caught.value)


def test_search_falls_back_to_the_embedded_index_and_says_so(dead_cluster, tmp_path):
    embedded = EmbeddedSearch(str(tmp_path / "e.sqlite3"))
    embedded.index(DOCS)
    search = FallbackSearch(dead_cluster, embedded)
    result = search.search(SearchQuery(text="隔膜"))
    assert result.degraded and set(ids(result)) == {1, 4}
    assert {h.id for h in search.similar("锂电池隔膜", limit=3)} >= {1, 2}
    assert search.search(SearchQuery()).degraded  # still down: straight to the fallback


def test_writes_to_a_dead_cluster_raise_after_the_embedded_copy_is_written(dead_cluster, tmp_path):
    embedded = EmbeddedSearch(str(tmp_path / "e.sqlite3"))
    with pytest.raises(SearchUnavailable):
        FallbackSearch(dead_cluster, embedded).index(DOCS)
    assert embedded.ids() == {1, 2, 3, 4}  # the caller's outbox entry stays pending and is retried


def test_a_cluster_answering_errors_degrades_search(broken_cluster, tmp_path):
    cluster, _ = broken_cluster
    embedded = EmbeddedSearch(str(tmp_path / "e.sqlite3"))
    embedded.index(DOCS)
    result = FallbackSearch(cluster, embedded).search(SearchQuery(text="水稻"))
    assert result.degraded and ids(result) == [3]


def test_the_search_page_shows_a_notice_when_degraded(app, client, dead_cluster):
    app.extensions["search"] = FallbackSearch(dead_cluster, app.extensions["search"])
    response = client.get("/search?q=隔膜")
    assert response.status_code == 200
    assert "搜索服务暂时不可用" in response.get_data(as_text=True)
    api = client.get("/api/v1/search?q=隔膜")
    assert api.status_code == 200 and api.get_json()["degraded"] is True


# -- rebuilding behind the alias -------------------------------------------------------------------

@pytest.fixture
def elastic(cluster_url):
    backend = ElasticsearchBackend(ElasticClient(cluster_url),
                                   prefix=f"rb{uuid.uuid4().hex[:12]}_")
    backend.index(DOCS)
    yield backend
    backend.drop()


def test_a_rebuild_switches_the_alias_to_a_new_index(elastic):
    before = elastic.indices()
    count = elastic.rebuild([DOCS[:2], [doc(5, "石墨烯导热膜")]])
    assert count == 3 and elastic.ids() == {1, 2, 5}
    after = elastic.indices()
    assert len(after) == 1 and after != before
    assert elastic.client.request("HEAD", f"/{before[0]}", ok=(404,))["status"] == 404


def test_a_mapping_conflict_on_rebuild_keeps_the_old_index_and_loses_nothing(elastic):
    before = elastic.indices()
    bad = doc(6, "价格写错的挂牌", price_fen="面议")
    with pytest.raises(SearchError, match="document 6") as caught:
        elastic.rebuild([DOCS, [bad]])
    assert "mapper_parsing_exception" in str(caught.value)
    assert elastic.indices() == before and elastic.ids() == {1, 2, 3, 4}
    leftovers = elastic.client.request("GET", f"/{elastic.alias}_v*", ok=(404,))
    assert set(leftovers) - {"status"} == set(before)


def test_a_refused_document_in_a_normal_write_is_reported(elastic):
    with pytest.raises(SearchError, match="1 of 2 index operations failed; document 6"):
        elastic.index([doc(5, "石墨烯"), doc(6, "价格写错", price_fen="面议")])
    assert 5 in elastic.ids()  # the good one is in; the entry is retried as a whole, harmlessly


def test_search_status_names_the_cluster_and_its_error_when_it_is_down(app, runner, dead_cluster):
    import json

    app.extensions["search"] = FallbackSearch(dead_cluster, app.extensions["search"])
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["in_step"] is False and "unreachable" in status["error"]
    assert status["alias"] == "listings" and status["cluster"].startswith("http://127.0.0.1:")


def test_flask_search_reindex_rebuilds_behind_the_alias(app, runner, session, elastic):
    from market.core.outbox import process_outbox
    from tests import factories as f

    backend = elastic
    backend.clear()
    app.extensions["search"] = FallbackSearch(backend, app.extensions["search"])
    uni, point = f.organisation(), f.point()
    listings = [f.listing(uni, point, patent_kw={"title": f"一种导热膜（{i}）"}) for i in range(3)]
    session.commit()
    process_outbox()
    before = backend.indices()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "indexed 3" in result.output
    assert backend.indices() != before and backend.ids() == {l.id for l in listings}


def test_an_index_in_the_way_of_the_alias_is_a_clear_error(cluster_url):
    client = ElasticClient(cluster_url)
    backend = ElasticsearchBackend(client, prefix=f"clash{uuid.uuid4().hex[:12]}_")
    client.request("PUT", f"/{backend.alias}")  # an index where the alias should be
    try:
        with pytest.raises(SearchError, match="cannot create the index behind"):
            backend.index(DOCS)
    finally:
        client.request("DELETE", f"/{backend.alias}")


def test_a_package_is_one_hit_found_by_any_members_words_or_number(make_backend):
    """A package's document (listings.search) carries its further members' titles, abstracts and numbers."""
    members = [{"application_number": "202010000001.1", "title": "一种固态电解质薄膜"},
               {"application_number": "202110000002.2", "title": "一种钠离子电池负极材料"}]
    package = doc(7, "一种固态电解质薄膜", "硫化物固态电解质", body="硫化物固态电解质\n一种钠离子电池负极材料\n硬碳负极",
                  codes=["2020100000011", "2021100000022"], members=members)
    b = make_backend()
    b.index([*DOCS, package])
    assert ids(b.search(SearchQuery(text="钠离子电池负极"))) == [7]
    assert ids(b.search(SearchQuery(text="2021100000022"))) == [7]
    hit = b.search(SearchQuery(text="硬碳")).hits
    assert [h.id for h in hit] == [7] and hit[0].doc["members"] == members
