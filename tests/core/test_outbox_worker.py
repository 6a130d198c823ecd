"""The outbox as a worker (issue 16): `flask outbox work` in a real process, stopped by SIGTERM.

And the switch: with OUTBOX_DRAIN_AFTER_REQUESTS off, requests only write the outbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Response, g
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from config import settings as config
from market.core.outbox import OutboxEntry

ROOT = Path(__file__).resolve().parents[2]


def _database(make_app, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'market.sqlite3'}"
    settings = config.TestSettings(str(tmp_path / "instance"))
    settings.SQLALCHEMY_DATABASE_URI = url
    with make_app(settings).app_context():
        upgrade()
    return url


def _add(engine, topic: str, *keys: str) -> None:
    with engine.begin() as conn:
        for key in keys:
            conn.execute(text("INSERT INTO outbox (topic, key, created_at, attempts, last_error)"
                              " VALUES (:t, :k, CURRENT_TIMESTAMP, 0, '')"), {"t": topic, "k": key})


def _pending(engine, topic: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE topic=:t AND processed_at IS NULL"),
                            {"t": topic}).scalar()


def _worker(url: str, tmp_path: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tests.core.slow_outbox_app", "outbox", "work", "--poll", "0.2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
             "DEMO_MODE": "1", "SLOW_MARK": str(tmp_path / "slow.started"), **env})


def _wait(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_worker_applies_the_outbox_and_finishes_its_batch_on_sigterm(make_app, tmp_path):
    url = _database(make_app, tmp_path)
    engine = create_engine(url)
    # Index updates of listings that do not exist: applied (as deletions) by the real handler.
    _add(engine, "search.listing", "900001", "900002")
    worker = _worker(url, tmp_path, SLOW_SECONDS="3")
    try:
        assert _wait(lambda: _pending(engine, "search.listing") == 0), "the worker applied nothing"
        # Now a slow entry: SIGTERM arrives while its handler runs.
        _add(engine, "test.slow", "1")
        assert _wait(lambda: (tmp_path / "slow.started").exists()), "the slow handler never started"
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert "SIGTERM" in err and "stopped after applying 3 entries" in err
    # The batch under way was finished and committed, not dropped: nothing is left to apply twice.
    assert _pending(engine, "test.slow") == 0
    engine.dispose()


def test_a_worker_stopped_while_idle_exits_at_once(make_app, tmp_path):
    url = _database(make_app, tmp_path)
    worker = _worker(url, tmp_path)
    try:
        assert _wait(lambda: "started" in (worker.stderr.readline() or ""), 60)
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0 and time.monotonic() - started < 10


def _drain_after_request(app, session) -> bool:
    session.add(OutboxEntry(topic="search.listing", key="900003"))
    session.commit()
    with app.test_request_context("/"):
        g.outbox_pending = True
        app.process_response(Response())
    entry = session.query(OutboxEntry).filter_by(key="900003").one()
    session.refresh(entry)
    return entry.processed_at is not None


def test_requests_drain_the_outbox_by_default(app, session):
    assert app.config["OUTBOX_DRAIN_AFTER_REQUESTS"] is True
    assert _drain_after_request(app, session)


def test_with_a_worker_requests_leave_the_outbox_alone(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DRAIN_AFTER_REQUESTS", False)
    assert not _drain_after_request(app, session)


def test_the_switch_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OUTBOX_DRAIN_AFTER_REQUESTS", "0")
    assert config.Settings(str(tmp_path)).OUTBOX_DRAIN_AFTER_REQUESTS is False
