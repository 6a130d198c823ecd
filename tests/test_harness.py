"""The harness itself: what a test commits is rolled back when it ends, and the next test sees none of it."""

from sqlalchemy import func, select

from market.accounts.models import Organisation
from market.core.extensions import db
from tests import factories as f
from tests.conftest import isolated


def _organisations() -> int:
    return db.session.scalar(select(func.count(Organisation.id)))


def test_a_commit_in_one_test_is_gone_in_the_next(app, tmp_path):
    with isolated(app, tmp_path / "first"):
        with app.test_request_context():
            f.organisation("甲大学")
            db.session.commit()
            assert _organisations() == 1
    with isolated(app, tmp_path / "second"):
        with app.test_request_context():
            assert _organisations() == 0


def test_each_isolated_test_gets_an_empty_search_index_of_its_own(app, tmp_path):
    with isolated(app, tmp_path / "first"):
        first = app.extensions["search"]
        first.index([{"id": 1, "title": "锂电池隔膜", "body": "", "codes": ""}])
        assert first.ids() == {1}
    with isolated(app, tmp_path / "second"):
        assert app.extensions["search"] is not first
        assert app.extensions["search"].ids() == set()
