"""Sessions (flask-login), password hashing and bearer-token authentication for the API."""

from __future__ import annotations

from datetime import timedelta

from flask import request
from flask_login import LoginManager
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from market.accounts.models import ApiToken, User
from market.core.db import utcnow
from market.core.extensions import db
from market.core.i18n import t
from market.core.tokens import TOKEN_PREFIX, new_token, token_digest  # noqa: F401  (re-exported)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


# "Last used" is shown to the token's owner to the minute, and written with the action's own commit:
# a read (GET, HEAD) commits nothing, so it never writes it (the UPDATE used to be sent and rolled
# back, holding the token's row, or SQLite's one write lock, for the rest of the request), and a
# write notes it once a minute rather than on every call.
LAST_USED_STEP = timedelta(minutes=1)


def user_from_bearer() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    digest = token_digest(header.removeprefix("Bearer ").strip())
    now = utcnow()
    # One statement for the token, its user and the user's organisation (every API view asks for it).
    token = db.session.scalar(select(ApiToken).options(joinedload(ApiToken.user).joinedload(User.organisation))
                              .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None),
                                     ApiToken.expires_at > now))
    if token is None or not token.user.active:
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS") and (
            token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP):
        token.last_used_at = now
    return token.user


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "accounts.login"
    manager.session_protection = "strong"

    manager.login_message_category = "warning"
    # flask-login passes its message through this callback at request time.
    manager.localize_callback = lambda _text: t("请先登录", "Please log in to see this page")

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        if request.path.startswith("/api/"):
            # The API is CSRF-exempt, so a browser's session cookie must not act there: bearer tokens only.
            return None
        # The epoch in the id lets a password change log out every other session.
        try:
            uid, epoch = (int(x) for x in user_id.split(":"))
        except ValueError:
            return None
        # With the organisation: nearly every page and every rule asks for it.
        user = db.session.get(User, uid, options=[joinedload(User.organisation)])
        # Logout, a password change or reset and deactivation move the epoch on: every cookie
        # issued before (a copy saved by an attacker included) stops working, server-side.
        return user if user is not None and user.active and user.session_epoch == epoch else None

    @manager.request_loader
    def load_from_token(req) -> User | None:
        if not req.path.startswith("/api/"):
            return None
        return user_from_bearer()
