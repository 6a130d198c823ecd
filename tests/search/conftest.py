"""Search backends for the contract suite: the embedded index and a real Elasticsearch node.

The node is the one the harness started (TEST_ELASTICSEARCH_URL) or, for a plain `pytest`,
one started here for the session. A node that cannot start fails the run under CI and skips
the Elasticsearch half of the suite elsewhere, saying why.
"""

from __future__ import annotations

import os
import uuid

import pytest

from market.search.elastic import ElasticsearchBackend
from market.search.embedded import EmbeddedSearch
from market.search.http import ElasticClient
from tests.services.elasticsearch import ElasticsearchNode
from tests.services.postgres import ServiceError
from tests.services.required import service_url, unavailable

BACKENDS = ["embedded", "elasticsearch"]


@pytest.fixture(scope="session")
def elasticsearch_url():
    yield from service_url("TEST_ELASTICSEARCH_URL", "Elasticsearch", lambda: ElasticsearchNode().start())


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
        backend = ElasticsearchBackend(ElasticClient(request.getfixturevalue("elasticsearch_url")),
                                       prefix=prefix)
        made.append(backend)
        return backend

    yield make
    if made:
        made[0].drop()
