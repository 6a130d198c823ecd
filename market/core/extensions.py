"""Unbound Flask extensions, bound to the app in the factory."""

import logging

from flask import session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.exc import DBAPIError

from market.core.db import Base


class SessionLoginManager(LoginManager):
    """Session protection guards a logged-in session, not one that only holds the language.

    flask-login's "strong" mode treats any non-empty session whose client identifier is missing
    as stolen and refuses the request's user, so an API client that once chose `?lang=en` (the
    language lives in the session) was refused its bearer token with a 401.
    """

    def _session_protection_failed(self):
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


log = logging.getLogger(__name__)


class RequestSQLAlchemy(SQLAlchemy):
    """The request's session is closed after its reply is made, outside every error handler.

    Closing rolls back the connection's open transaction; when the database went away after the
    request's last query (stopped, restarted, the connection killed) that rollback raises, and an
    exception from a teardown reaches the WSGI server, which replaces the reply already made with
    its own bare 500 page. The reply stands: the dead connection is invalidated by SQLAlchemy and
    the pool replaces it, so the error is only logged.
    """

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except DBAPIError as err:
            log.warning("closing the request's database session failed (the pool discards the connection): %s",
                        str(err.orig or err).splitlines()[0] if str(err.orig or err) else type(err).__name__)
            # remove() stops before forgetting the session when close() raises.
            self.session.registry.clear()


db = RequestSQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = SessionLoginManager()
csrf = CSRFProtect()
# Limits are declared per route (login, token API); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
