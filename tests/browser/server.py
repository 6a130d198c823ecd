"""The app served on 127.0.0.1 for the browser tests, on its own committed SQLite database.

The browser's requests arrive on other threads and must see each other's writes, so this app
cannot share the rolled-back transaction of tests/conftest.py: it gets its own instance folder,
database and search index, seeded through the demo seed as `make run` does.
"""

from __future__ import annotations

import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from config.settings import TestSettings


class BrowserSettings(TestSettings):
    """The embedded default (SQLite, built-in search, offline payments) over plain HTTP."""

    def __init__(self, instance_path: str) -> None:
        super().__init__(instance_path)
        # Never TEST_DATABASE_URL: the browser tests run on SQLite only.
        self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance_path}/browser.sqlite3"
        self.PAYMENT_PROVIDER = "offline"
        self.DEMO_MODE = True
        # Every journey logs in several actors from the same address within a minute.
        self.LOGIN_RATE_LIMIT = "1000 per minute"
        # A real browser, not Flask's test client: errors become the app's own error pages.
        self.TESTING = False


def build_app(instance: Path):
    from flask_migrate import upgrade

    from market import create_app
    from market.core.extensions import db
    from market.core.outbox import process_outbox
    from market.demo.seed import seed

    app = create_app(BrowserSettings(str(instance)))
    with app.app_context():
        upgrade()
        seed()
        db.session.commit()
        process_outbox(bulk=True)
    return app


BODY = "psm.response_body"


def closing_on_drop(app):
    """Keep each response's body in its environ, for QuietHandler.connection_dropped to close.

    When a browser drops a connection mid-response (a navigation cancels a large script or a
    favicon), werkzeug's dev server reads the dead socket in its cleanup and never calls the body's
    close(): the static file stays open, and its ResourceWarning later fails whichever test runs.
    """
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        environ[BODY] = body
        return body
    return wsgi


class QuietHandler(WSGIRequestHandler):
    """No access log: a journey makes hundreds of requests, and pytest would print them all on a failure."""

    def log_request(self, code="-", size="-") -> None:
        pass

    def connection_dropped(self, error, environ=None) -> None:
        body = (environ or {}).get(BODY)
        if body is not None and hasattr(body, "close"):
            body.close()


class LiveServer:
    """werkzeug's threaded server on a free loopback port, in a background thread."""

    def __init__(self, app) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, closing_on_drop(app), threaded=True,
                                                   request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="browser-live-server", daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        from market.core.extensions import db

        with self.app.app_context():
            db.engine.dispose()


if __name__ == "__main__":  # python -m tests.browser.server: the same app, to look at by hand
    import tempfile
    import time

    folder = Path(tempfile.mkdtemp(prefix="psm-browser-"))
    started = time.monotonic()
    live = LiveServer(build_app(folder)).start()
    print(f"seeded in {time.monotonic() - started:.1f}s; serving {live.url} from {folder}", flush=True)
    try:
        live.thread.join()
    except KeyboardInterrupt:
        live.stop()
