"""The application factory: a short list of register_* steps, and every blueprint in one place."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, g

import listings.api
import listings.points.api
import listings.search
import market.accounts.api
import market.accounts.notice_mail
import market.accounts.views
import market.deals.dashboard_api
import market.deals.disputes.api
import market.deals.exchange.api
import market.deals.exchange.bidding_api
import market.deals.exchange.deposits
import market.deals.invalidation
import market.deals.negotiation.api
import market.deals.negotiation.contract
import market.deals.open_licence.acquisition
import market.deals.open_licence.api
import market.deals.open_licence.declarations
import market.deals.open_licence.service_views
import market.deals.payment_api
import market.deals.register
import market.deals.rewards.api
import market.deals.royalties.api
import market.deals.settlement
import market.demo.seed
import market.statistics.api
import market.statistics.estimator_api
import matching.api
import matching.catalogue_model
import matching.recommend
import matching.services
from config.settings import ROOT, Settings
from listings.importing.views import bp as imports_bp
from listings.points.views import bp as chain_bp
from listings.views import bp as listings_bp
from market import cli, models
from market.accounts import reset
from market.accounts.audit_log import bp as audit_bp
from market.accounts.auth import configure_login, note_token_use
from market.accounts.blueprint import bp as accounts_bp
from market.core.db import tune_sqlite
from market.core.extensions import csrf, db, limiter, login_manager, migrate
from market.core.i18n import install_i18n
from market.core.mail import mail_base_url
from market.core.outbox import process_outbox
from market.core.storage import init_storage
from market.deals.exchange.bidding_views import bp as bidding_bp
from market.deals.exchange.views import bp as lots_bp
from market.deals.open_licence.views import bp as open_licence_bp
from market.deals.views import bp as deals_bp
from market.deals.views.publicity import bp as publicity_bp
from market.payments.webhooks import bp as payments_bp
from market.search.service import init_search
from market.site import bp as site_bp
from market.statistics.annual_views import bp as annual_bp
from market.statistics.estimator_views import bp as estimator_bp
from market.statistics.pricing_views import bp as pricing_bp
from market.statistics.views import bp as statistics_bp
from market.web.api import bp as api_bp
from market.web.errors import install_security_headers, refuse_unstorable_input, register_error_pages
from matching.views import bp as matching_bp

# Pages: each blueprint of the app, in the order their URLs were first registered.
BLUEPRINTS = (site_bp, accounts_bp, chain_bp, listings_bp, open_licence_bp, imports_bp, matching_bp, deals_bp, publicity_bp,
              lots_bp, bidding_bp, payments_bp, statistics_bp, pricing_bp, estimator_bp, annual_bp, audit_bp, api_bp)
# Modules that add routes to a shared blueprint (the accounts pages, /api/v1) or handle outbox
# topics when imported; listed so that nothing registers by accident and nothing is forgotten.
ROUTE_MODULES = (market.accounts.views, reset, listings.api, market.accounts.api, listings.points.api, market.deals.dashboard_api,
                 market.deals.disputes.api, market.deals.exchange.api, market.deals.exchange.bidding_api,
                 market.deals.negotiation.api, market.deals.open_licence.api, market.deals.open_licence.service_views,
                 market.deals.payment_api, market.deals.rewards.api, market.deals.royalties.api,
                 market.statistics.api, market.statistics.estimator_api, matching.api)
# Modules that subscribe when imported: outbox topics (e-mail, search), register events (signals),
# the settlement of paid payments by deal kind, the demo's and demand side's hooks.
HANDLER_MODULES = (market.accounts.notice_mail, listings.search, market.deals.invalidation, market.deals.exchange.deposits,
                   market.deals.open_licence.declarations, market.deals.open_licence.acquisition,
                   market.deals.negotiation.contract, market.deals.register, market.deals.settlement,
                   matching.recommend, matching.catalogue_model, matching.services, market.demo.seed)
# Every model, so that SQLAlchemy's metadata and Alembic see all tables.
MODELS = models


def create_app(config: Settings | dict | None = None) -> Flask:
    settings = config if isinstance(config, Settings) else Settings()
    app = Flask("market", root_path=str(ROOT), template_folder="templates",
                static_folder="static", instance_path=settings.INSTANCE_PATH)
    app.config.from_object(settings)
    if isinstance(config, dict):
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _instance_secret(app)
    check_production_settings(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_commands(app)
    # Matching's catalogue model is built once the app serves, in the background (never on a request).
    matching.catalogue_model.warm_when_serving(app)
    return app


class ConfigurationError(RuntimeError):
    """A setting production cannot run without."""


def check_production_settings(app: Flask) -> None:
    """Production (neither debug, testing nor the demo) needs the address its e-mails link to.

    Links in e-mails come from configuration only: taken from the request's Host, a client could
    have a password-reset link mailed that points at its own server.
    """
    if app.debug or app.testing or app.config.get("DEMO_MODE"):
        return
    if not app.config.get("MAIL_BASE_URL") and not app.config.get("TRUSTED_HOSTS"):
        raise ConfigurationError(
            "生产环境必须设置 MAIL_BASE_URL（邮件中链接的地址，如 https://psm.example.cn）或 TRUSTED_HOSTS。"
            " Production needs MAIL_BASE_URL (the address e-mail links point to) or TRUSTED_HOSTS.")
    if not mail_base_url(app.config):
        raise ConfigurationError(
            "TRUSTED_HOSTS 只含通配域名时必须设置 MAIL_BASE_URL。"
            " Set MAIL_BASE_URL when TRUSTED_HOSTS holds only wildcard domains.")


def _instance_secret(app: Flask) -> str:
    """A per-installation key kept in instance/ (never in the repository) when SECRET_KEY is unset."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    configure_login(login_manager)
    csrf.init_app(app)
    limiter.init_app(app)
    init_search(app)
    init_storage(app)


def register_blueprints(app: Flask) -> None:
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    # The JSON API authenticates with bearer tokens, not cookies, so CSRF cannot apply there.
    csrf.exempt(api_bp)


def register_errorhandlers(app: Flask) -> None:
    register_error_pages(app)


def register_request_hooks(app: Flask) -> None:
    install_i18n(app)
    install_security_headers(app)
    refuse_unstorable_input(app)
    app.after_request(note_token_use)

    @app.after_request
    def process_outbox_after_commit(response):
        # Side effects wait for the commit that wrote them, then run before the reply.
        # With a worker (`flask outbox work`, OUTBOX_DRAIN_AFTER_REQUESTS=0) requests leave it alone.
        if g.pop("outbox_pending", False) and app.config.get("OUTBOX_DRAIN_AFTER_REQUESTS", True):
            try:
                process_outbox(backoff=True)
            except Exception:  # entries stay pending; `flask search sync` retries them
                app.logger.exception("outbox processing failed")
                db.session.rollback()
        return response


def register_commands(app: Flask) -> None:
    cli.register(app)
