"""Issue 13 #11: HSTS over HTTPS (also behind a proxy), and no server banner under gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.security.sweep import fresh_client

ROOT = Path(__file__).resolve().parents[2]


def test_hsts_is_sent_over_https_only(app):
    client = fresh_client(app)
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_behind_a_proxy_the_forwarded_scheme_counts(tmp_path, make_app):
    from config.settings import TestSettings

    settings = TestSettings(str(tmp_path))
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/proxy.sqlite3"
    settings.PROXY_HOPS = 1
    client = make_app(settings).test_client()
    response = client.get("/static/app.css", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers
    response.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_as_configured_sends_no_server_banner(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "SECRET_KEY": "banner-test",
           "MAIL_BASE_URL": "https://psm.example.cn", "INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/banner.sqlite3"}
    env.pop("FLASK_DEBUG", None)
    server = subprocess.Popen([str(gunicorn), "-c", "config/gunicorn.conf.py", "market:create_app()"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.css", timeout=2) as response:
                    banner = response.headers.get("Server")
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start: " + (server.stderr.read().decode()[-2000:]
                                                              if server.poll() is not None else "timeout"))
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()
    assert banner == ""
