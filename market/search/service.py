"""The app's search backend, chosen by configuration (documents and their indexing: listings/search.py)."""

from __future__ import annotations

from flask import Flask, current_app

from market.core.identity import database_identity
from market.search.backend import SearchBackend
from market.search.elastic import ElasticsearchBackend
from market.search.embedded import EmbeddedSearch
from market.search.fallback import FallbackSearch
from market.search.http import ElasticClient
from market.search.owned import OwnedSearch


def init_search(app: Flask) -> None:
    """The embedded index, or an Elasticsearch cluster (with the embedded index as fallback),
    checked to belong to this database (market/search/owned.py)."""

    kind = app.config["SEARCH_BACKEND"]
    embedded = EmbeddedSearch(app.config["SEARCH_INDEX_PATH"])
    if kind == "embedded":
        app.extensions["search"] = OwnedSearch(embedded, database_identity)
        return
    if kind != "elasticsearch" or not app.config.get("ELASTICSEARCH_URL"):
        raise RuntimeError(f"SEARCH_BACKEND {kind!r} needs ELASTICSEARCH_URL; the backends are"
                           " 'embedded' and 'elasticsearch'")

    # Nothing is sent to the cluster here: the app starts even while the cluster is down.
    client = ElasticClient(app.config["ELASTICSEARCH_URL"], username=app.config.get("ELASTICSEARCH_USERNAME"),
                           password=app.config.get("ELASTICSEARCH_PASSWORD"),
                           ca_certs=app.config.get("ELASTICSEARCH_CA_CERTS"),
                           timeout=app.config.get("ELASTICSEARCH_TIMEOUT", 10.0))
    app.extensions["elasticsearch"] = client
    app.extensions["search"] = OwnedSearch(FallbackSearch(
        ElasticsearchBackend(client, prefix=app.config.get("ELASTICSEARCH_INDEX_PREFIX", "")), embedded),
        database_identity)


def search_backend() -> SearchBackend:
    return current_app.extensions["search"]
