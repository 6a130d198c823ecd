"""Chinese first, English available: the language of a request and inline translations.

Templates and views write both texts side by side (`t("中文", "English")`) so that a
translation can never drift away from its source string.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from market.core import money
from market.core.vocabulary import Labelled

LANGUAGES = ("zh", "en")


def get_lang() -> str:
    if not has_request_context():
        return "zh"  # CLI and background work report in Chinese
    lang = getattr(g, "lang", None)
    if lang:
        return lang
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    else:
        lang = session.get("lang")
        if lang not in LANGUAGES and current_user and current_user.is_authenticated:
            lang = current_user.language
        if lang not in LANGUAGES:
            lang = "zh"
    g.lang = lang
    return lang


def article(noun: str) -> str:
    """'an ordinary licence', 'a transfer': the English indefinite article before a lower-cased label."""
    word = noun.lower()
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def t(zh: str, en: str) -> str:
    return en if get_lang() == "en" else zh


def label(member) -> str:
    """The label of an enum member (listings.vocabulary) in the request's language."""
    return member.label(get_lang()) if member is not None else ""


def yuan(fen: int | None) -> str:
    """Amounts in 元, or 万元 when large (R-DI-2); fen stays the stored unit."""
    return "" if fen is None else money.display(fen, get_lang())


SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Stored UTC timestamps shown in Beijing time (R-DI-2)."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI).strftime(fmt)


def enum_label(enum_name: str, value: str | None) -> str:
    """Label of a stored enum value, e.g. enum_label('ListingStatus', 'PUBLISHED') → 已上架."""

    enum = Labelled.by_name(enum_name)
    if enum is None or value is None or value not in enum.__members__:
        return value or ""
    return enum[value].label(get_lang())


def install_i18n(app: Flask) -> None:
    # Globals, not context: a macro imported without context (`{% from … import pagination %}`) sees
    # them too — as context they were undefined there, and the page answered 500.
    app.jinja_env.globals.update(t=t, label=label, yuan=yuan, enum_label=enum_label, local_time=local_time)

    @app.context_processor
    def inject() -> dict:
        return {"lang": get_lang()}  # per request
