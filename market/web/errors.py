"""Error pages, the JSON error shape and security headers."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from market.core.errors import DomainError
from market.core.extensions import db, login_manager
from market.core.i18n import get_lang, t
from market.core.storage import StorageUnavailable
from market.search.backend import SearchError
from market.search.owned import FIX, IndexNotOwned, IndexOutdated

log = logging.getLogger(__name__)

# No inline scripts anywhere: every script is a file under /static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# Only the Stripe checkout page loads Stripe.js, whose card fields live in Stripe's frames;
# every other page keeps the policy above.
CSP_STRIPE_CHECKOUT = ("default-src 'self'; script-src 'self' https://js.stripe.com; style-src 'self'; "
                       "img-src 'self' data: https://*.stripe.com; connect-src 'self' https://api.stripe.com; "
                       "frame-src https://js.stripe.com https://hooks.stripe.com; object-src 'none'; "
                       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

MESSAGES = {
    400: ("请求无效", "Bad request"),
    401: ("请先登录", "Please log in"),
    403: ("您无权执行此操作", "You are not allowed to do this"),
    404: ("页面或记录不存在", "Not found"),
    405: ("不支持此请求方法", "Method not allowed"),
    409: ("与现有记录冲突", "Conflict with an existing record"),
    413: ("文件过大", "The upload is too large"),
    422: ("提交的内容有误", "The input is not valid"),
    429: ("操作过于频繁，请稍后再试", "Too many requests; please wait and try again"),
    500: ("服务器内部错误，我们已记录此问题", "Internal error; it has been logged"),
    503: ("服务暂时不可用，请稍后重试", "Service temporarily unavailable; please retry shortly"),
}
# What a 503 tells clients (and Stripe's webhook retries) about when to come back, in seconds.
RETRY_AFTER = "10"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def error_page(status: int, message: str | None = None) -> tuple[str, int]:
    zh, en = MESSAGES.get(status, MESSAGES[500])
    return render_template("errors/error.html", status=status,
                           message=message or t(zh, en)), status


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        message = err.message(get_lang())
        if wants_json():
            response = json_error(err.status, err.code, message,
                                  {err.field: [message]} if err.field else None)
        else:
            response = app.make_response(error_page(err.status, message))
        if err.status == 503:  # e.g. the payment provider is unreachable
            response.headers["Retry-After"] = RETRY_AFTER
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        message = t("表单已过期或来源无效，请刷新页面后重试", "The form expired or came from elsewhere; reload and retry")
        if wants_json():
            return json_error(400, "csrf", message)
        return error_page(400, message)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        zh, en = MESSAGES.get(status, (err.name, err.name))
        if wants_json():
            response = json_error(status, err.name.lower().replace(" ", "_"), t(zh, en))
        elif isinstance(err, SecurityError):
            # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page frame either.
            response = Response(t("请求的主机名不受信任", "The requested host is not trusted") + "\n",
                                400, mimetype="text/plain")
        else:
            response = error_page(status)
        if isinstance(response, tuple):
            response = app.make_response(response)
        if status == 429:
            response.headers["Retry-After"] = "60"
        # Keep what the exception says about itself, e.g. `Allow` on a 405.
        for key, value in err.get_headers():
            if key.lower() != "content-type":
                response.headers.setdefault(key, value)
        return response

    def unavailable(code: str, zh: str, en: str) -> Response:
        """503 with retry advice: a service the app depends on is down, which is no bug of ours."""

        _rollback()
        # The language and the page frame read the user and their organisation from the
        # database, which may be the very thing that is down: answer as to a visitor.
        g._login_user = login_manager.anonymous_user()
        message = t(zh, en)
        if wants_json():
            response = json_error(503, code, message)
        else:
            try:
                response = app.make_response(error_page(503, message))
            except Exception:  # the frame itself could not render: the message alone, still clear
                response = Response(f"{message}\n", 503, mimetype="text/plain")
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    @app.errorhandler(DBAPIError)
    def database_error(err: DBAPIError):
        # Lost or refused connections (server down or restarting, connection killed) and a
        # busy SQLite file are temporary; any other database error is a bug, answered as one.
        if not (isinstance(err, (OperationalError, InterfaceError)) or err.connection_invalidated):
            return unexpected(err)
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(err.orig or err).splitlines()[0] if str(err.orig or err) else type(err).__name__)
        return unavailable("database_unavailable", "数据库暂时不可用，请稍后重试",
                           "The database is temporarily unavailable; please retry shortly")

    @app.errorhandler(PoolTimeout)
    def database_busy(err: PoolTimeout):
        log.warning("no database connection free on %s %s", request.method, request.path)
        return unavailable("database_unavailable", "数据库暂时不可用，请稍后重试",
                           "The database is temporarily unavailable; please retry shortly")

    @app.errorhandler(StorageUnavailable)
    def storage_unavailable(err: StorageUnavailable):
        log.warning("object storage unavailable on %s %s: %s", request.method, request.path, err)
        return unavailable("storage_unavailable", "文件存储暂时不可用，请稍后重试",
                           "Document storage is temporarily unavailable; please retry shortly")

    @app.errorhandler(IndexOutdated)
    def index_outdated(err: IndexOutdated):
        log.error("search index refused on %s %s: %s", request.method, request.path, err)
        return unavailable("search_index_outdated", f"检索索引的结构已更新，管理员需运行 {FIX} 重建",
                           f"The search index has an older layout than this version; an administrator must run {FIX}")

    @app.errorhandler(IndexNotOwned)
    def index_not_owned(err: IndexNotOwned):
        # An operator's mistake, not an outage: the log and the page name the fix.
        log.error("search index refused on %s %s: %s", request.method, request.path, err)
        return unavailable("search_index_foreign", f"检索索引不是由当前数据库建立的，管理员需运行 {FIX} 重建",
                           f"The search index was built from another database; an administrator must run {FIX}")

    @app.errorhandler(SearchError)
    def search_error(err: SearchError):
        # Reads fall back to the embedded index (market/search/fallback.py); this is what is left.
        log.warning("search unavailable on %s %s: %s", request.method, request.path, err)
        return unavailable("search_unavailable", "检索服务暂时不可用，请稍后重试",
                           "Search is temporarily unavailable; please retry shortly")

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        _rollback()
        if wants_json():
            return json_error(500, "internal_error", t(*MESSAGES[500]))
        return error_page(500)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # a dead connection: the pool discards it; the reply matters more
        log.warning("rollback failed after an error", exc_info=True)


def refuse_unstorable_input(app: Flask) -> None:
    """Pages refuse U+0000 in query strings and forms: PostgreSQL cannot store it, and a 500
    would follow. (The JSON API refuses it field by field in `market.web.api.body_of`.)"""

    @app.before_request
    def no_nul_characters():
        if request.blueprint == "api":
            return None
        fields = list(request.args.lists())
        if request.method not in ("GET", "HEAD"):
            fields += list(request.form.lists())
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in fields):
            return error_page(400, t("提交的内容含有无法保存的字符（U+0000），请删除后重试",
                                     "The input contains a character that cannot be stored (U+0000); "
                                     "remove it and retry"))
        return None


def install_security_headers(app: Flask) -> None:
    if app.config.get("PROXY_HOPS"):
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.after_request
    def headers(response: Response) -> Response:
        max_age = app.config.get("HSTS_MAX_AGE", 0)
        if request.is_secure and max_age:
            # Browsers only honour it over HTTPS; sent over HTTP it would be ignored (RFC 6797).
            response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")

        response.headers.setdefault("Content-Security-Policy",
                                    CSP_STRIPE_CHECKOUT if g.get("stripe_checkout") else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
