"""The harness itself: what a test commits is rolled back when it ends, and the next test sees none of it."""

import gc
import socket
import time
import warnings

from sqlalchemy import func, select

from config import settings as config_settings
from market.accounts.models import Organisation
from market.core.extensions import db
from tests import factories as f
from tests.browser.server import LiveServer
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


def test_the_browser_server_closes_a_static_file_when_the_browser_drops_the_connection(tmp_path, make_app):
    """A navigation that cancels a large script mid-transfer left the file open in werkzeug's dev server;
    its ResourceWarning then failed an unrelated browser test. Thirty abandoned downloads left about eight
    files open before the fix; the warnings the garbage collector raises are counted here."""
    settings = config_settings.TestSettings(str(tmp_path))
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/drop.sqlite3"
    server = LiveServer(make_app(settings)).start()
    host, port = server.server.server_address[:2]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(30):
                with socket.create_connection((host, port)) as sock:
                    sock.sendall(b"GET /static/vendor/echarts/echarts.min.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    sock.recv(16)
                    # Reset, not a clean close: what a browser does when it abandons a download.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            time.sleep(0.5)
            gc.collect()
    finally:
        server.stop()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
