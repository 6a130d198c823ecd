"""Search backends for the contract suite: the embedded index and real cluster nodes.

The clusters are an Elasticsearch 7.10 node and an OpenSearch 2.19 node: the ones the harness
started (TEST_ELASTICSEARCH_URL, TEST_OPENSEARCH_URL) or, for a plain `pytest`, ones started
here for the session. A node that cannot start fails the run under CI and skips that node's
part of the suite elsewhere, saying why. TEST_SEARCH_CLUSTERS (a comma list, all when unset)
narrows the engines: the harness's PostgreSQL pass runs the contract on Elasticsearch only.
"""

from __future__ import annotations

import os
import uuid

import pytest

from market.search.elastic import ElasticsearchBackend
from market.search.embedded import EmbeddedSearch
from market.search.http import ElasticClient
from tests.services.elasticsearch import ElasticsearchNode
from tests.services.opensearch import OpenSearchNode
from tests.services.postgres import ServiceError
from tests.services.required import service_url, unavailable

# Each engine the contract runs against → what its node reports at GET / (distribution, version prefix).
ENGINES = {"elasticsearch": ("elasticsearch", "7.10."), "opensearch": ("opensearch", "2.19.")}
_chosen = os.environ.get("TEST_SEARCH_CLUSTERS")
CLUSTERS = [c.strip() for c in _chosen.split(",") if c.strip()] if _chosen else list(ENGINES)
if set(CLUSTERS) - set(ENGINES):
    raise pytest.UsageError(f"TEST_SEARCH_CLUSTERS names {sorted(set(CLUSTERS) - set(ENGINES))}; "
                            f"known: {', '.join(ENGINES)}")
BACKENDS = ["embedded", *CLUSTERS]


@pytest.fixture(scope="session")
def elasticsearch_url():
    yield from service_url("TEST_ELASTICSEARCH_URL", "Elasticsearch", lambda: ElasticsearchNode().start())


@pytest.fixture(scope="session")
def opensearch_url():
    yield from service_url("TEST_OPENSEARCH_URL", "OpenSearch", lambda: OpenSearchNode().start())


@pytest.fixture(params=CLUSTERS)
def cluster_url(request):
    """Each configured engine's node in turn: a test that takes it runs once per engine."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="module")
def restartable_node():
    """A node of this module's own, which a test may stop and start again (data kept)."""
    if os.environ.get("TEST_ELASTICSEARCH_URL") == "":
        unavailable("Elasticsearch", "the test harness could not start Elasticsearch")
    node = ElasticsearchNode(heap="512m")
    try:
        node.start()
    except ServiceError as err:
        unavailable("Elasticsearch", f"the Elasticsearch node could not start: {err}")
    yield node
    node.stop()


@pytest.fixture(params=BACKENDS)
def make_backend(request, tmp_path):
    """A factory of backends over one store: a second call opens the same index again."""
    kind = request.param
    prefix = f"t{uuid.uuid4().hex[:12]}_"
    made = []

    def make():
        if kind == "embedded":
            return EmbeddedSearch(str(tmp_path / "search.sqlite3"))
        backend = ElasticsearchBackend(ElasticClient(request.getfixturevalue(f"{kind}_url")), prefix=prefix)
        made.append(backend)
        return backend

    yield make
    if made:
        made[0].drop()
