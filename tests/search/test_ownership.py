"""The index belongs to its database (issue 16): a store built from another database is refused.

Reproduces the report first: a new, empty database with the same instance folder showed the old
database's listings. Then the rule on every backend of the contract suite (embedded, and the real
Elasticsearch and OpenSearch nodes): refused with the fix named, an empty index adopted, the fix works.
"""

from __future__ import annotations

import uuid

import pytest
from flask_migrate import upgrade

from config import settings as config
from market.core.extensions import db
from market.core.identity import database_identity
from market.search.backend import SearchQuery
from market.search.elastic import ElasticsearchBackend
from market.search.embedded import EmbeddedSearch
from market.search.http import ElasticClient
from market.search.owned import IndexNotOwned, IndexOutdated, OwnedSearch
from tests.search.test_contract import DOCS


def _app(make_app, instance, database):
    settings = config.TestSettings(str(instance))
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{database}"
    app = make_app(settings)
    with app.app_context():
        upgrade()
    return app


def test_a_new_database_with_the_same_instance_folder_does_not_show_the_old_ones_listings(make_app, tmp_path):
    instance = tmp_path / "instance"
    first = _app(make_app, instance, tmp_path / "first.sqlite3")
    with first.app_context():
        first.extensions["search"].index(DOCS)  # the outbox's path: the empty index is adopted
        assert first.extensions["search"].search(SearchQuery(text="电池")).total == 2

    second = _app(make_app, instance, tmp_path / "second.sqlite3")
    assert second.config["SEARCH_INDEX_PATH"] == first.config["SEARCH_INDEX_PATH"]
    page = second.test_client().get("/search?q=电池")
    assert page.status_code == 503 and "flask search reindex" in page.get_data(as_text=True)
    api = second.test_client().get("/api/v1/search?q=电池")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "search_index_foreign"

    check = second.test_cli_runner().invoke(args=["search", "check"])
    assert check.exit_code == 1 and "flask search reindex" in check.output
    assert second.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0
    page = second.test_client().get("/search?q=电池")
    assert page.status_code == 200
    with second.app_context():
        assert second.extensions["search"].search(SearchQuery(text="电池")).total == 0
        second.extensions["search"].index(DOCS[2:3])
    # The index is now the second database's: the first one is refused in its turn.
    with first.app_context(), pytest.raises(IndexNotOwned):
        OwnedSearch(first.extensions["search"].inner, first.extensions["search"].identity).search(SearchQuery())


def test_make_run_repairs_an_embedded_index_of_another_database(make_app, tmp_path):
    instance = tmp_path / "instance"
    first = _app(make_app, instance, tmp_path / "first.sqlite3")
    with first.app_context():
        first.extensions["search"].index(DOCS)
    second = _app(make_app, instance, tmp_path / "second.sqlite3")
    result = second.test_cli_runner().invoke(args=["search", "check", "--repair"])
    assert result.exit_code == 0 and "indexed 0 published listings" in result.output
    again = second.test_cli_runner().invoke(args=["search", "check"])
    assert again.exit_code == 0 and "belongs to this database" in again.output


def test_each_database_has_its_own_identity(make_app, tmp_path):
    identities = set()
    for name in ("a", "b"):
        app = _app(make_app, tmp_path / name, tmp_path / f"{name}.sqlite3")
        with app.app_context():
            identities.add(database_identity())
            db.session.remove()
    assert len(identities) == 2 and None not in identities


def test_the_index_is_refused_to_another_database_and_rebuilt_for_it(make_backend):
    mine = OwnedSearch(make_backend(), lambda: "database-a")
    mine.index(DOCS)
    theirs = OwnedSearch(make_backend(), lambda: "database-b")
    for read in (lambda: theirs.search(SearchQuery(text="电池")), lambda: theirs.similar("锂电池隔膜"),
                 lambda: theirs.ids(), lambda: theirs.index(DOCS[:1]), lambda: theirs.delete([1])):
        with pytest.raises(IndexNotOwned, match="flask search reindex") as refused:
            read()
        assert "database-a" in str(refused.value) and "database-b" in str(refused.value)
    assert mine.search(SearchQuery(text="电池")).total == 2  # nothing was written by the refused

    assert theirs.rebuild(iter([DOCS[2:3]])) == 1
    assert theirs.ids() == {3}
    with pytest.raises(IndexNotOwned):
        OwnedSearch(make_backend(), lambda: "database-a").search(SearchQuery())


def test_an_empty_index_is_adopted_and_an_unrecorded_full_one_refused(make_backend):
    backend = make_backend()
    fresh = OwnedSearch(backend, lambda: "database-a")
    assert fresh.search(SearchQuery()).total == 0  # nothing of anyone's to show
    assert fresh.status()["owned"] and fresh.status()["stores"][0]["database"] is None
    backend.index(DOCS)  # written before indexes recorded their database
    with pytest.raises(IndexNotOwned, match="unrecorded database"):
        OwnedSearch(make_backend(), lambda: "database-a").search(SearchQuery())
    backend.clear()
    adopting = OwnedSearch(make_backend(), lambda: "database-b")
    adopting.index(DOCS[:1])
    assert adopting.status()["stores"][0]["database"] == "database-b"


def test_a_cluster_index_of_an_older_layout_is_refused_until_rebuilt(cluster_url):
    """An index built by an earlier version (here layout v1: no weighted field, so `similar`
    would find nothing) is refused with the fix named, for reads and writes, not half used."""
    backend = ElasticsearchBackend(ElasticClient(cluster_url), prefix=f"old{uuid.uuid4().hex[:12]}_")
    backend.client.request("PUT", f"/{backend.alias}_v1_0", {
        "aliases": {backend.alias: {}}, "mappings": {"dynamic": False, "_meta": {"database": "database-a"},
                                                     "properties": {"id": {"type": "long"}}}})
    try:
        owned = OwnedSearch(backend, lambda: "database-a")
        for use in (lambda: owned.search(SearchQuery(text="电池")), lambda: owned.similar("锂电池隔膜"),
                    lambda: owned.index(DOCS[:1])):
            with pytest.raises(IndexOutdated, match="flask search reindex"):
                use()
        assert "older layout" in owned.status()["outdated"]
        assert owned.rebuild(iter([DOCS])) == len(DOCS)
        assert owned.status()["outdated"] is None
        assert owned.similar("需要耐高温的锂电池隔膜材料", limit=3)[0].id == 2
    finally:
        backend.drop()


def test_the_site_names_the_fix_for_an_outdated_cluster_index(make_app, tmp_path, cluster_url):
    settings = config.TestSettings(str(tmp_path / "instance"))
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    settings.SEARCH_BACKEND, settings.ELASTICSEARCH_URL = "elasticsearch", cluster_url
    settings.ELASTICSEARCH_INDEX_PREFIX = prefix = f"site{uuid.uuid4().hex[:12]}_"
    app = make_app(settings)
    with app.app_context():
        upgrade()
        database = database_identity()
    backend = ElasticsearchBackend(ElasticClient(cluster_url), prefix=prefix)
    backend.client.request("PUT", f"/{backend.alias}_v1_0", {
        "aliases": {backend.alias: {}}, "mappings": {"dynamic": False, "_meta": {"database": database}}})
    try:
        api = app.test_client().get("/api/v1/search?q=电池")
        assert api.status_code == 503 and api.get_json()["error"]["code"] == "search_index_outdated"
        assert "flask search reindex" in app.test_client().get("/search?q=电池").get_data(as_text=True)
        assert app.test_cli_runner().invoke(args=["search", "check", "--repair"]).exit_code == 0
        assert app.test_client().get("/api/v1/search?q=电池").status_code == 200
    finally:
        backend.drop()


def test_a_check_that_passed_is_kept_for_a_while(tmp_path):
    store = EmbeddedSearch(str(tmp_path / "search.sqlite3"))
    owned = OwnedSearch(store, lambda: "database-a", recheck_after=60)
    owned.index(DOCS)
    store.claim("database-b")
    owned.search(SearchQuery())  # within the minute: not asked again
    owned.recheck_after = 0
    owned._checked_until = 0.0
    with pytest.raises(IndexNotOwned):
        owned.search(SearchQuery())
