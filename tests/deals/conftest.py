"""Fixtures shared by the deal tests."""

from __future__ import annotations

import pytest

from market.core.extensions import db
from tests.deals.negotiation_world import world


@pytest.fixture
def setup(session):
    """The negotiation world built in the test's session and committed, so the clients' requests see it."""
    def make(**kw):
        w = world(**kw)
        db.session.commit()
        return w
    return make
