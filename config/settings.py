"""Settings read from environment variables; one class per deployment profile."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


class Settings:
    """Defaults for the embedded deployment: SQLite, built-in search, offline payments."""

    def __init__(self, instance_path: str | None = None) -> None:
        instance = Path(instance_path or os.environ.get("INSTANCE_PATH", ROOT / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'market.sqlite3'}")
        self.SEARCH_INDEX_PATH = os.environ.get(
            "SEARCH_INDEX_PATH", str(instance / "search.sqlite3"))
        # Matching's catalogue model (matching/catalogue_model.py): built in a background thread when
        # the app starts serving and when the catalogue drifts; a request waits at most this many seconds for a
        # build under way and never builds one itself.
        self.MATCHING_MODEL_BACKGROUND = True
        self.MATCHING_WARM_AT_START = True
        self.MATCHING_MODEL_WAIT = float(os.environ.get("MATCHING_MODEL_WAIT", "20"))
        # Credentials may also sit in the URL (https://user:password@host:9200).
        self.ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL") or None
        self.ELASTICSEARCH_USERNAME = os.environ.get("ELASTICSEARCH_USERNAME")
        self.ELASTICSEARCH_PASSWORD = os.environ.get("ELASTICSEARCH_PASSWORD")
        self.ELASTICSEARCH_CA_CERTS = os.environ.get("ELASTICSEARCH_CA_CERTS")
        self.ELASTICSEARCH_INDEX_PREFIX = os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "")
        self.ELASTICSEARCH_TIMEOUT = float(os.environ.get("ELASTICSEARCH_TIMEOUT", "10"))
        # Setting ELASTICSEARCH_URL is enough to move search and matching to the cluster.
        self.SEARCH_BACKEND = os.environ.get(
            "SEARCH_BACKEND", "elasticsearch" if self.ELASTICSEARCH_URL else "embedded")
        self.PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "offline")
        self.STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY")
        # Tests point this at stripe-mock; production keeps Stripe's own address.
        self.STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
        # The browser half of Stripe (pk_live_… / pk_test_…): Stripe.js confirms the payment.
        self.STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")
        self.STRIPE_PAYMENT_METHODS = [m.strip() for m in os.environ.get(
            "STRIPE_PAYMENT_METHODS", "card,alipay,wechat_pay").split(",") if m.strip()]
        self.STRIPE_TIMEOUT = float(os.environ.get("STRIPE_TIMEOUT", "10"))
        # The account bank transfers go to when a deal names none (e.g. the platform's escrow).
        self.PAYEE_ACCOUNT_NAME = os.environ.get("PAYEE_ACCOUNT_NAME", "")
        self.PAYEE_BANK_NAME = os.environ.get("PAYEE_BANK_NAME", "")
        self.PAYEE_ACCOUNT_NUMBER = os.environ.get("PAYEE_ACCOUNT_NUMBER", "")
        # E-mail copies of notices: SMTP when MAIL_SMTP_HOST is set, else .eml files in MAIL_FOLDER.
        self.MAIL_SMTP_HOST = os.environ.get("MAIL_SMTP_HOST", "")
        self.MAIL_SMTP_PORT = int(os.environ.get("MAIL_SMTP_PORT", "587"))
        self.MAIL_SMTP_USER = os.environ.get("MAIL_SMTP_USER", "")
        self.MAIL_SMTP_PASSWORD = os.environ.get("MAIL_SMTP_PASSWORD", "")
        self.MAIL_SMTP_STARTTLS = _env_bool("MAIL_SMTP_STARTTLS", self.MAIL_SMTP_PORT == 587)
        self.MAIL_SMTP_TIMEOUT = float(os.environ.get("MAIL_SMTP_TIMEOUT", "10"))
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "专利超市 <noreply@localhost>")
        # The only source of the links in e-mails (never the request's Host, which a client chooses).
        self.MAIL_BASE_URL = os.environ.get("MAIL_BASE_URL", "").strip().rstrip("/")
        # Host names the app answers to (Flask refuses any other Host with 400); unset: any.
        self.TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS") or None
        # Reverse proxies in front of the app (nginx: 1): their X-Forwarded-For/-Proto/-Host are
        # believed, so HTTPS is recognised (HSTS) and rate limits see the client's address.
        self.PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
        # Strict-Transport-Security on every answer given over HTTPS (seconds; 0 turns it off).
        self.HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))
        self.MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(instance / "mail"))
        self.UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_MB", "20")) * 1024 * 1024
        # Flask refuses larger request bodies before any view reads them.
        self.MAX_CONTENT_LENGTH = self.UPLOAD_MAX_BYTES + 1024 * 1024
        # What one uploaded portfolio may hold (listings/importing/readers.py checks before parsing).
        self.IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "200"))
        self.IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))
        # Rows imported per request: a big file goes in steps with a progress page, not one long wait.
        self.IMPORT_ROWS_PER_STEP = int(os.environ.get("IMPORT_ROWS_PER_STEP", "500"))
        self.IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "32767"))
        self.IMPORT_MAX_UNZIP_RATIO = int(os.environ.get("IMPORT_MAX_UNZIP_RATIO", "100"))
        self.IMPORT_MAX_UNZIPPED_MB = int(os.environ.get("IMPORT_MAX_UNZIPPED_MB", "200"))
        # The embedded default applies the outbox after each request that wrote to it; a deployment
        # with `flask outbox work` running sets OUTBOX_DRAIN_AFTER_REQUESTS=0 and requests only write it.
        # Uploaded documents: `local` (instance/uploads, one app server) or `s3` (several; market/core/storage.py).
        self.UPLOAD_STORAGE = os.environ.get("UPLOAD_STORAGE", "local")
        self.S3_BUCKET = os.environ.get("S3_BUCKET")
        self.S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
        self.S3_REGION = os.environ.get("S3_REGION") or None
        self.S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID")
        self.S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY")
        self.S3_PREFIX = os.environ.get("S3_PREFIX", "")
        self.OUTBOX_DRAIN_AFTER_REQUESTS = _env_bool("OUTBOX_DRAIN_AFTER_REQUESTS", True)
        self.DEMO_MODE = _env_bool("DEMO_MODE", False)
        if self.DEMO_MODE:  # `make run` serves http://127.0.0.1:5000 to this machine only
            self.MAIL_BASE_URL = self.MAIL_BASE_URL or "http://127.0.0.1:5000"
            self.TRUSTED_HOSTS = self.TRUSTED_HOSTS or ["127.0.0.1", "localhost"]
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        # Redis shared by the app servers: when it stops answering, each process goes on counting in
        # its own memory (every limit still holds, per process) and returns to Redis once it answers,
        # rather than failing every limited request. Errors come wrapped as limits' StorageError so
        # the login throttle can fall back the same way; short timeouts so a lost host costs little.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = {"wrap_exceptions": True}
        if self.RATELIMIT_STORAGE_URI.startswith(("redis", "rediss")):
            self.RATELIMIT_STORAGE_OPTIONS.update(socket_connect_timeout=0.5, socket_timeout=0.5)
        # Per API token (per client address without one), on every /api/v1 route.
        self.API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
        # Days an API token works after it is issued (shown on the account page).
        self.API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "365"))
        # Seconds a password-reset link stays valid; it is also single-use.
        self.PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))
        self.PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.DEFAULT_LANGUAGE = os.environ.get("DEFAULT_LANGUAGE", "zh")
        self.HOME_DISTRICT = os.environ.get("HOME_DISTRICT", "宝山区")
        # domain.md §7.1: designs filed before this date keep the old 10-year term.
        self.DESIGN_15Y_FROM = os.environ.get("DESIGN_15Y_FROM", "2021-06-01")
        # R-DI-1 [policy]: a step that depends on legal status needs the register to have confirmed
        # the status within this many days.
        self.LEGAL_STATUS_MAX_AGE_DAYS = int(os.environ.get("LEGAL_STATUS_MAX_AGE_DAYS", "30"))
        # domain.md §7.5: a state-funded university's publicity (公示) before signing, set by its own rules.
        self.PUBLICITY_DAYS = int(os.environ.get("PUBLICITY_DAYS", "15"))
        # The form of a CNIPA licence-contract filing number (备案号): year, two-digit office code and a
        # 7-digit serial, e.g. 2021310000123, older ones prefixed X (X2021980001234). Not published as a
        # standard: configurable. Transfer registration (著录项目变更) notices carry no published number
        # format either, so the default only asks for 8-32 letters and digits.
        self.FILING_RECORD_NO_PATTERN = os.environ.get("FILING_RECORD_NO_PATTERN", r"X?(19|20)\d{2}\d{2}\d{7}")
        # Objections anyone may leave on a public publicity page, per client address.
        self.PUBLICITY_OBJECTION_RATE_LIMIT = os.environ.get("PUBLICITY_OBJECTION_RATE_LIMIT", "5 per hour")
        self.REGISTRATION_NO_PATTERN = os.environ.get("REGISTRATION_NO_PATTERN", r"[A-Z0-9]{8,32}")
        # domain.md §7.4 and §7.7: the filing clock of open licences (IR 87 sets none; IR 15's
        # three months by default) and the pilot rule's minimum open-licence term.
        self.OPEN_LICENCE_FILING_MONTHS = int(os.environ.get("OPEN_LICENCE_FILING_MONTHS", "3"))
        self.OPEN_LICENCE_MIN_TERM_DAYS = int(os.environ.get("OPEN_LICENCE_MIN_TERM_DAYS", "365"))
        # R-ST-3 (SOA 54; SA78): an SOE's asset transfer above this amount is priced by a public listing
        # (进场交易). SA78 leaves the amount to the group (“一定金额以上”); local SASAC rules commonly
        # use ¥1 million, the default here (in fen).
        self.SOE_EXCHANGE_THRESHOLD_FEN = int(os.environ.get("SOE_EXCHANGE_THRESHOLD_FEN", str(1_000_000 * 100)))
        # R-ST-3 [policy]: a royalty below this percentage (or a free licence) is a token for an SOE's
        # sole or exclusive licence; the approver acknowledges it explicitly before signing.
        self.TOKEN_ROYALTY_PCT = Decimal(os.environ.get("TOKEN_ROYALTY_PCT", "1"))
        # R-ST-5: contributors' minimum share of net transfer/licence income or of equity formed, in percent
        # (Shanghai's 70 by default, SH 34; never below the national 50 of STL 45).
        self.REWARD_MIN_PCT = Decimal(os.environ.get("REWARD_MIN_PCT", "70"))
        # Issue 12 §4: a single deal's amount above this (fen; 10 亿元 by default) counts in no figure
        # until the point operator of its point (or the bureau) confirms it.
        self.DEAL_AMOUNT_REVIEW_FEN = int(os.environ.get("DEAL_AMOUNT_REVIEW_FEN", "100000000000"))
        self.TESTING = False


class TestSettings(Settings):
    """Isolated instance folder, no secure-cookie requirement over plain-HTTP test clients."""

    def __init__(self, instance_path: str) -> None:
        super().__init__(instance_path)
        self.SECRET_KEY = "test-secret-not-for-production"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "TEST_DATABASE_URL", f"sqlite:///{instance_path}/test.sqlite3")
        self.SEARCH_INDEX_PATH = f"{instance_path}/search.sqlite3"
        # Tests choose their search backend per test (tests/search/conftest.py), never from the shell.
        self.SEARCH_BACKEND = "embedded"
        self.ELASTICSEARCH_URL = None
        # A test's data lives in one uncommitted transaction no other thread can see: the catalogue
        # model is built in the thread that indexes (still never by a request), and not at start.
        self.MATCHING_MODEL_BACKGROUND = False
        self.MATCHING_WARM_AT_START = False
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        # Never a real mail server from the shell's environment; tests that want SMTP start one.
        self.MAIL_SMTP_HOST = ""
        self.MAIL_FOLDER = f"{instance_path}/mail"
        self.MAIL_BASE_URL = "http://localhost"
        self.TRUSTED_HOSTS = None
        self.TESTING = True
