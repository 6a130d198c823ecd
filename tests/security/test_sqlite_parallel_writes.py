"""Issue 13 #10: on the embedded SQLite default, a handful of parallel API writes wait for each other
(busy timeout, write lock taken when the transaction begins) instead of failing at once with 503."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

WRITERS = 10


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    from flask_migrate import upgrade

    from config.settings import TestSettings
    from market import create_app
    from market.core.extensions import db

    folder = tmp_path_factory.mktemp("parallel-writes")
    settings = TestSettings(str(folder))
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/parallel.sqlite3"
    app = create_app(settings)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_ten_parallel_api_writes_all_succeed(sqlite_app):
    from market.accounts.services import issue_api_token
    from market.core.extensions import db
    from tests import factories as f

    with sqlite_app.app_context():
        user = f.user(f.organisation("并发写入测试科技有限公司", org_type="PRIVATE"))
        tokens = [issue_api_token(user, f"writer {n}")[1] for n in range(WRITERS)]
        db.session.commit()
        db.session.remove()
    body = {"title": "耐高温锂电池隔膜", "problem": "现有隔膜耐高温性能不足，需要新的涂覆技术方案。",
            "expected_outcome": "", "existing_basis": "已有中试线", "modes": ["LICENSE_ORDINARY"],
            "industries": [], "timeline": "", "visibility": "PUBLIC"}
    barrier = threading.Barrier(WRITERS)

    def write(token: str):
        client = sqlite_app.test_client()
        barrier.wait()
        response = client.post("/api/v1/demands", json=body, headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_data(as_text=True)[:200]

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(write, tokens))
    assert [status for status, _ in results] == [201] * WRITERS, results
