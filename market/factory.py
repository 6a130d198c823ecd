"""The application factory: a short list of register_* steps."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from config.settings import ROOT, Settings
from market.core.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: Settings | dict | None = None) -> Flask:
    settings = config if isinstance(config, Settings) else Settings()
    app = Flask("market", root_path=str(ROOT), template_folder="templates",
                static_folder="static", instance_path=settings.INSTANCE_PATH)
    app.config.from_object(settings)
    if isinstance(config, dict):
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _instance_secret(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_commands(app)
    return app


def _instance_secret(app: Flask) -> str:
    """A per-installation key kept in instance/ (never in the repository) when SECRET_KEY is unset."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    from market import models  # noqa: F401  (every model registered before migrations look)
    from market.accounts.auth import configure_login
    from market.search.service import init_search

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from market.core.db import tune_sqlite

            tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    configure_login(login_manager)
    csrf.init_app(app)
    limiter.init_app(app)
    init_search(app)


def register_blueprints(app: Flask) -> None:
    from listings.importing.views import bp as imports_bp
    from market.deals.open_licence.views import bp as open_licence_bp
    from listings.views import bp as listings_bp
    from market.accounts.views import bp as accounts_bp
    from market.web.api import bp as api_bp
    from market.core.audit import bp as audit_bp
    from market.accounts.points.views import bp as chain_bp
    from market.deals.views import bp as deals_bp
    from market.statistics.views import bp as statistics_bp
    from market.payments.webhooks import bp as payments_bp
    from market.site import bp as site_bp
    from matching.views import bp as matching_bp

    import listings.api  # noqa: F401  (routes on the shared API blueprint)
    import market.deals.open_licence.api  # noqa: F401
    import market.accounts.api  # noqa: F401
    import market.accounts.points.api  # noqa: F401
    import market.deals.dashboard_api  # noqa: F401
    import market.deals.royalties.api  # noqa: F401
    import market.payments.api  # noqa: F401
    import market.statistics.api  # noqa: F401
    import matching.api  # noqa: F401

    for bp in (site_bp, accounts_bp, chain_bp, listings_bp, open_licence_bp,
               imports_bp, matching_bp, deals_bp, payments_bp,
               statistics_bp, audit_bp, api_bp):
        app.register_blueprint(bp)
    # The JSON API authenticates with bearer tokens, not cookies, so CSRF cannot apply there.
    csrf.exempt(api_bp)


def register_errorhandlers(app: Flask) -> None:
    from market.web.errors import register_error_pages

    register_error_pages(app)


def register_request_hooks(app: Flask) -> None:
    from market.core.i18n import install_i18n
    from market.web.errors import install_security_headers, refuse_unstorable_input

    install_i18n(app)
    install_security_headers(app)
    refuse_unstorable_input(app)

    @app.before_request
    def declare_write_intent():
        from flask import request

        from market.core.db import WRITE_INTENT

        WRITE_INTENT.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.after_request
    def process_outbox_after_commit(response):
        # Side effects wait for the commit that wrote them, then run before the reply.
        from flask import g

        from market.core.outbox import process_outbox

        if g.pop("outbox_pending", False):
            try:
                process_outbox(backoff=True)
            except Exception:  # entries stay pending; `flask search sync` retries them
                app.logger.exception("outbox processing failed")
                db.session.rollback()
        return response


def register_commands(app: Flask) -> None:
    from market.cli import register

    register(app)
