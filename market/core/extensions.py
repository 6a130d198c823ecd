"""Unbound Flask extensions, bound to the app in the factory."""

from flask import session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = SessionLoginManager()
csrf = CSRFProtect()
# Limits are declared per route (login, token API); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
