"""A cluster of three OpenSearch 2.19 nodes with one replica: no failed request, no lost update.

The client is given every node's URL and sends a request that cannot reach one node to the
next. The cluster test starts its own three nodes (the harness's nodes belong to its process,
which the test could not stop and start again) and runs in the SQLite pass only, with the
OpenSearch contract suite (TEST_SEARCH_CLUSTERS): it costs three JVM start-ups, run together,
and one restart. Under CI a node that cannot start fails the run; elsewhere the test skips.
"""

from __future__ import annotations

import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.cluster import documents, reindex_under_queries, restart_under_load
from market.search.backend import SearchQuery, SearchUnavailable
from market.search.elastic import ElasticsearchBackend, batches
from market.search.http import ElasticClient
from tests.search.conftest import CLUSTERS
from tests.services.opensearch_cluster import OpenSearchCluster
from tests.services.postgres import ServiceError
from tests.services.required import unavailable


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_node():
    """A server answering every request with an empty search result; it counts what it was sent."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.path)
            body = b'{"hits":{"total":{"value":0},"hits":[]},"aggregations":{}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_a_request_a_node_cannot_take_goes_to_the_next(live_node):
    url, seen = live_node
    client = ElasticClient(f"http://127.0.0.1:{_dead_port()},{url}", timeout=2)
    for _ in range(4):  # round robin starts at the dead node every other time
        assert client.request("POST", "/listings/_search", {})["hits"]["total"]["value"] == 0
    assert len(seen) == 4
    assert ElasticsearchBackend(client).search(SearchQuery(text="隔膜")).total == 0
    client.close()


def test_a_cluster_none_of_whose_nodes_answers_is_unavailable():
    dead = [f"http://127.0.0.1:{_dead_port()}" for _ in range(2)]
    client = ElasticClient(",".join(dead), timeout=1)
    with pytest.raises(SearchUnavailable, match="unreachable") as raised:
        client.request("GET", "/")
    assert all(url in str(raised.value) for url in dead)


def test_every_node_of_the_setting_is_used_and_the_credentials_are_not_shown():
    client = ElasticClient(" https://app:s3cret@a.example:9200/ , https://b.example:9200")
    assert client.nodes == ["https://a.example:9200", "https://b.example:9200"]
    assert "s3cret" not in repr(client) and client.headers["authorization"].startswith("Basic ")


@pytest.fixture(scope="module")
def opensearch_cluster():
    if "opensearch" not in CLUSTERS:
        pytest.skip("the OpenSearch cluster runs in the SQLite pass only (TEST_SEARCH_CLUSTERS)")
    try:
        cluster = OpenSearchCluster().start()
    except ServiceError as err:
        unavailable("OpenSearch cluster", f"the three-node OpenSearch cluster could not start: {err}")
    yield cluster
    cluster.stop()


def test_queries_and_writes_keep_answering_while_the_cluster_manager_restarts(opensearch_cluster):
    backend = ElasticsearchBackend(ElasticClient(opensearch_cluster.url, timeout=30),
                                   prefix=f"t{uuid.uuid4().hex[:8]}_")
    docs = documents(200)
    try:
        backend.rebuild(batches(docs))
        settings = backend.client.request("GET", f"/{backend.alias}/_settings")
        assert [s["settings"]["index"]["number_of_replicas"] for s in settings.values() if isinstance(s, dict)] == ["1"]
        load, _ = restart_under_load(opensearch_cluster, backend, docs, steady=1.0, down=1.0, readers=1, pause=0.02)
        assert load.failures == []
        assert load.lost_updates() == []
        served = load.figures()

        def count(phases, kind):
            return sum(served.get(f"{p} {kind}", {}).get("n", 0) for p in phases)

        # The load ran while the node was away (stopped, then starting until the cluster was green) and after.
        for kind in ("query", "write"):
            assert count(("node down", "restarting"), kind) > 0 and count(("after",), kind) > 0, served

        current = [load.template[i] for i in sorted(load.acked)]
        reload, _ = reindex_under_queries(backend, current, readers=1, pause=0.02)
        assert reload.failures == [] and reload.figures()["reindex query"]["n"] > 0
        assert backend.ids() == set(load.acked)
    finally:
        backend.drop()


def test_a_write_that_timed_out_is_not_sent_to_another_node(live_node):
    """It may still be applied where it was sent, after a newer write that went elsewhere."""
    url, seen = live_node
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = ElasticClient(f"http://127.0.0.1:{silent.getsockname()[1]},{url}", timeout=0.5)
        with pytest.raises(SearchUnavailable):
            client.request("POST", "/_bulk", ndjson=[{"index": {"_index": "x", "_id": "1"}}, {"id": 1}])
        assert seen == []
        # A read that timed out is sent to the next node (a fresh client starts at the silent one).
        reader = ElasticClient(f"http://127.0.0.1:{silent.getsockname()[1]},{url}", timeout=0.5)
        assert reader.request("POST", "/listings/_search", {})["status"] == 200
        assert seen == ["/listings/_search"]
