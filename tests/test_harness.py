"""The harness itself: what a test commits is rolled back when it ends, and the next test sees none of it."""

import gc
import socket
import time
import warnings
from pathlib import Path

from sqlalchemy import func, select

from config import settings as config_settings
from market.accounts.models import Organisation
from market.core.extensions import db
from tests import factories as f
from tests.browser.server import LiveServer
from tests.conftest import isolated
from tests.services import search_node
from tests.services.passes import Pass, run_passes


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


PROBE = '''
import os, time
from pathlib import Path

def test_probe(tmp_path):
    shared = Path(os.environ["PROBE_DIR"])
    me, other = os.environ["PROBE_NAME"], os.environ["PROBE_OTHER"]
    (shared / f"{me}.tmp").write_text(str(tmp_path))
    # Each pass waits to see the other start: run one after the other, the first would time out.
    deadline = time.monotonic() + 60
    while not (shared / f"{other}.tmp").exists():
        assert time.monotonic() < deadline, "the other pass never started while this one ran"
        time.sleep(0.05)
    assert os.environ["PROBE_VERDICT"] == "pass"
'''


def test_the_passes_run_at_once_each_in_its_own_base_temp_and_one_failing_fails_the_run(tmp_path, capfd):
    probe = tmp_path / "probe" / "test_probe.py"
    probe.parent.mkdir()
    probe.write_text(PROBE)
    shared, folder = tmp_path / "shared", tmp_path / "run"
    shared.mkdir()
    folder.mkdir()
    # No plugins (hypothesis and the rest): the probe needs none, and they cost seconds of start-up.
    env = {"PROBE_DIR": str(shared), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    passes = [Pass("first", "the first pass", {**env, "PROBE_NAME": "first", "PROBE_OTHER": "second",
                                                "PROBE_VERDICT": "pass"}, [str(probe)], folder),
              Pass("second", "the second pass", {**env, "PROBE_NAME": "second", "PROBE_OTHER": "first",
                                                  "PROBE_VERDICT": "fail"}, [str(probe)], folder)]
    finished = []
    assert run_passes(passes, lambda done: finished.append(done.name)) == 1
    assert sorted(finished) == ["first", "second"]
    for each in passes:  # its own base temp, under the run's folder
        assert Path((shared / f"{each.name}.tmp").read_text()).parent == each.tmp
    out = capfd.readouterr().out
    # Each pass's output whole under its heading, with its verdict and the slowest tests.
    first, second = out.index("=== the first pass ==="), out.index("=== the second pass ===")
    first_part, second_part = (out[first:second], out[second:]) if first < second else (out[first:], out[second:first])
    assert "1 passed" in first_part and "exit 0" in first_part and "slowest" in first_part
    assert "1 failed" in second_part and "exit 1" in second_part and "PROBE_VERDICT" in second_part


def test_a_pass_looks_for_search_node_ports_only_in_its_own_range(monkeypatch):
    monkeypatch.setenv("TEST_NODE_PORTS", "9240-9260")
    assert search_node._port_range() == range(9240, 9261)
    monkeypatch.delenv("TEST_NODE_PORTS")
    assert search_node._port_range() == range(9201, 9299)
