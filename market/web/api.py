"""The JSON API under /api/v1: one blueprint, bearer-token auth, one error shape, OpenAPI.

Feature modules (listings/api.py, market/accounts/api.py, listings/points/api.py) add their
routes to `bp` with `@route(...)`, which also records the operation for the OpenAPI document.
"""

from __future__ import annotations

import math
import re
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from marshmallow import Schema, ValidationError

from market.core.errors import DomainError
from market.core.extensions import limiter
from market.core.i18n import get_lang, t
from market.core.schemas import localise
from market.core.tokens import token_digest
from market.web.errors import json_error
from market.web.openapi import OPERATIONS, SCHEMAS, build_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT") or "600 per minute"


def _rate_key() -> str:
    """Per token for a valid token (its allowance is not shared with others behind the same
    address), per client address otherwise: made-up tokens do not each get an allowance."""

    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and current_user.is_authenticated:
        return "api-token:" + token_digest(header.removeprefix("Bearer ").strip())[:32]
    return "api-address:" + (get_remote_address() or "")


# A generous limit (API_RATE_LIMIT) for token holders and anonymous readers alike.
limiter.limit(_rate_limit, key_func=_rate_key)(bp)



def route(rule: str, *, methods: tuple[str, ...] = ("GET",), summary: str, auth: bool = False,
          params: list[dict] | None = None, body: type[Schema] | None = None,
          response: type[Schema] | None = None, many: bool = False, paginated: bool = False,
          tag: str = "catalogue", status: int = 200):
    """Register an API route and describe it for /api/v1/openapi.json."""

    def decorator(view: Callable):
        endpoint = view.__name__
        wrapped = require_token(view) if auth else view
        bp.add_url_rule(rule, endpoint, wrapped, methods=list(methods))
        for m in methods:
            OPERATIONS.append({"rule": rule, "method": m.lower(), "summary": summary, "auth": auth,
                               "params": params or [], "body": body, "response": response,
                               "many": many, "paginated": paginated, "tag": tag, "status": status,
                               "endpoint": endpoint})
        for s in (body, response):
            if s is not None:
                SCHEMAS[s.__name__.removesuffix("Schema")] = s
        return wrapped

    return decorator


def require_token(view: Callable):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return json_error(401, "unauthorised", "需要有效的 API 令牌（Authorization: Bearer …）"
                              if get_lang() == "zh" else "A valid API token is required (Authorization: Bearer …)")
        return view(*args, **kwargs)

    return wrapped


def body_of(schema: Schema) -> dict:
    """Load the JSON body or raise a 422 DomainError naming every bad field."""

    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting
        data = None
    if not isinstance(data, dict):
        raise DomainError("invalid_json", "请求体须为 JSON 对象", "The body must be a JSON object", status=400)
    unstorable = [key for key, value in data.items() if not _storable(key) or not _storable(value)]
    if unstorable:
        message = t("含有无法保存的字符（空字符或不成对的代理码元）", "Contains characters that cannot be stored.")
        raise ApiValidationError({_UNSTORABLE.sub("\ufffd", key): [message] for key in unstorable})
    # JSON's NaN and Infinity literals (which Python's parser accepts) are no numbers anyone means.
    nonfinite = [key for key, value in data.items() if not _finite(value)]
    if nonfinite:
        message = t("须为有限的数字（不接受 NaN 或 Infinity）", "Must be a finite number (not NaN or Infinity).")
        raise ApiValidationError({key: [message] for key in nonfinite})
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ApiValidationError(localise(err.messages, data)) from None


# JSON may carry U+0000 and lone surrogates (\u0000, \ud800); PostgreSQL text and jsonb refuse the
# first, every UTF-8 encoder the second. Refused here for every body, nested keys and values included.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: Any) -> bool:
    pending = [value]
    while pending:  # a loop, not recursion: the body may nest as deep as the JSON parser allows
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _finite(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


class ApiValidationError(DomainError):
    def __init__(self, fields: dict):
        super().__init__("validation_failed", "提交的数据有误", "The input is not valid", status=422)
        self.fields = fields


@bp.errorhandler(ApiValidationError)
def validation_failed(err: ApiValidationError):
    return json_error(422, err.code, err.message(get_lang()), err.fields)


def paginated(items: list[Any], total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "pages": max(1, -(-total // per_page))}


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_document(OPERATIONS, SCHEMAS, current_app.config.get("SERVER_NAME")))


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", operations=OPERATIONS)
