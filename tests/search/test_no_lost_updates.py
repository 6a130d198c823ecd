"""Listing changes made while the Elasticsearch node is down all reach the index afterwards."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from sqlalchemy import select

from listings import services as listing_service
from listings.models import Listing
from listings.search import index_status, listing_document
from listings.vocabulary import ListingStatus
from market.core import outbox
from market.core.extensions import db
from market.core.outbox import OutboxError, process_outbox
from market.search.backend import SearchQuery
from market.search.elastic import ElasticsearchBackend
from market.search.fallback import FallbackSearch
from market.search.http import ElasticClient
from tests import factories as f


@pytest.fixture
def clustered(app, restartable_node):
    """The app configured for Elasticsearch on a node the test can stop."""
    backend = ElasticsearchBackend(ElasticClient(restartable_node.url, timeout=5), prefix=f"lost{uuid.uuid4().hex[:8]}_")
    app.extensions["search"] = FallbackSearch(backend, app.extensions["search"], retry_after=0)
    app.config["SEARCH_BACKEND"] = "elasticsearch"
    yield backend
    app.config["SEARCH_BACKEND"] = "embedded"
    outbox._BACKOFF.clear()
    if restartable_node.process is None:
        restartable_node.start()
    backend.drop()


def _as_indexed(listing: Listing) -> dict:
    return json.loads(json.dumps(listing_document(listing), default=str))


def _after_request() -> None:
    """What the app does after each request's commit: try the outbox, keep the entries if it fails."""
    try:
        process_outbox(backoff=True)
    except OutboxError:
        pass


def test_500_changes_while_the_node_is_down_all_reach_the_index(session, clustered, restartable_node):
    uni, point = f.organisation(), f.point()
    admin = f.user(uni)
    before = [f.listing(uni, point, patent_kw={"title": f"一种锂电池隔膜及其制备方法（{i}）"}) for i in range(100)]
    db.session.commit()
    process_outbox()
    assert clustered.ids() == {l.id for l in before}

    restartable_node.stop(keep_data=True)
    changes = 0
    for batch in range(10):  # ten "requests" of 50 changes each
        for i in range(50):
            n = batch * 50 + i
            if n < 200:  # 200 new listings
                f.listing(uni, point, patent_kw={"title": f"一种石墨烯导热膜（{n}）"})
            elif n < 350:  # 150 edits (some listings twice)
                target = before[(n - 200) % 100]
                listing_service.update_listing(admin, target, {**_offer(target), "applications": f"储能电站 {n}"})
            elif n < 400:  # 50 suspensions
                listing_service.suspend_listing(None, before[n - 350], "权利状态待核实")
            elif n < 450:  # 50 withdrawals
                listing_service.withdraw_listing(admin, before[n - 350], "撤回")
            else:  # the 50 suspended come back
                listing_service.resume_listing(admin, before[n - 450])
            changes += 1
        db.session.commit()
        _after_request()
    assert changes == 500
    degraded = clustered_search(SearchQuery(text="石墨烯"))
    # The standby copy is written when the outbox runs, so while the topic backs off it lags too.
    assert degraded.degraded and 0 < degraded.total <= 200
    status = index_status()
    assert status["outbox_backlog"] >= 450 and not status["in_step"] and "error" in status

    restartable_node.start()
    _drain_once_the_node_answers()
    published = db.session.scalars(select(Listing).where(Listing.status == ListingStatus.PUBLISHED)).all()
    assert clustered.ids() == {l.id for l in published}
    assert all(clustered.get(l.id) == _as_indexed(l) for l in published)
    status = index_status()
    assert status["in_step"] and status["indexed_documents"] == len(published) == 250


def _drain_once_the_node_answers(seconds: float = 90) -> None:
    """Apply the outbox as the worker would, retrying while the restarted node is still recovering.

    A node reports its cluster healthy before every shard of the index is back; under a loaded CI
    machine the first bulk request may still time out. What this test proves is that nothing is lost
    once the node answers, so a failed attempt keeps its entries and is simply tried again.
    """
    deadline = time.monotonic() + seconds
    while True:
        outbox._BACKOFF.clear()
        try:
            process_outbox()
            return
        except OutboxError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def _offer(listing: Listing) -> dict:
    return {"modes": listing.modes, "asking_price_fen": listing.asking_price_fen,
            "price_negotiable": listing.price_negotiable, "point_id": listing.point_id}


def clustered_search(query: SearchQuery):
    from market.search.service import search_backend

    return search_backend().search(query)
