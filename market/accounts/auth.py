"""Sessions (flask-login), password hashing and bearer-token authentication for the API."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Response, g, request
from flask_login import LoginManager
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from market.accounts.models import ApiToken, User
from market.core.db import utcnow
from market.core.extensions import db
from market.core.i18n import t
from market.core.tokens import TOKEN_PREFIX, new_token, token_digest  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


# "Last used" is shown to the token's owner to the minute, so that a token used by someone else
# shows: it is written once a minute at most. A write notes it with the action's own commit; a
# read (GET, HEAD) commits nothing of its own, so its use is written after the reply is made, in
# a short transaction of its own (`note_token_use`) — written during the read, the UPDATE held the
# token's row, or SQLite's one write lock, for the rest of the request.
LAST_USED_STEP = timedelta(minutes=1)
READS = ("GET", "HEAD", "OPTIONS")


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
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        if request.method in READS:
            g.token_used = (token.id, now)
        else:
            token.last_used_at = now
    return token.user


def note_token_use(response: Response) -> Response:
    """After a read authenticated by a token: write the token's last use, on its own.

    The read's session is rolled back first (a read commits nothing it may have touched), and a
    failure to write is logged, never the reader's problem.
    """
    used = g.pop("token_used", None)
    if used is None:
        return response
    token_id, at = used
    try:
        db.session.rollback()
        db.session.execute(update(ApiToken).where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= at - LAST_USED_STEP))
            .values(last_used_at=at))
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        log.warning("the last use of API token %s was not written", token_id, exc_info=True)
    return response


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
