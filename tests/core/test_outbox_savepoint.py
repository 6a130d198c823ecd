"""A savepoint's rollback keeps what the outer transaction queued for after the commit."""

from __future__ import annotations

import pytest

from market.core.extensions import db
from market.core.outbox import enqueue
from tests import factories as f


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_index_updates(session):
    listing = f.listing(f.organisation(), f.point())
    enqueue(db.session(), "search.listing", listing)
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            raise RuntimeError("a refused row")
    assert ("search.listing", listing) in db.session.info.get("outbox", [])
    db.session.rollback()
    assert not db.session.info.get("outbox")
