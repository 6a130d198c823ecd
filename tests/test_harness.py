"""The harness itself: each test runs in a transaction that is rolled back (pairs run in order)."""

from market.core.extensions import db
from market.accounts.models import Organisation
from tests import factories as f
from sqlalchemy import select, func

def test_a_commit_in_one_test_is_gone_in_the_next_part1(app):
    with app.test_request_context():
        f.organisation("甲大学"); db.session.commit()

def test_a_commit_in_one_test_is_gone_in_the_next_part2(app):
    with app.test_request_context():
        assert db.session.scalar(select(func.count(Organisation.id))) == 0

def test_session_fixture_commit_is_rolled_back_part1(session):
    f.organisation("乙大学"); db.session.commit()

def test_session_fixture_commit_is_rolled_back_part2(session):
    assert db.session.scalar(select(func.count(Organisation.id))) == 0
