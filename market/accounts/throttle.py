"""Failed logins per account, without locking the owner out.

Every address is limited on its own (LOGIN_RATE_LIMIT on the form, any outcome). Failed logins are
also counted per account across addresses; past the same limit the account is throttled: every
attempt still costs the same password check (no timing hint), a wrong password gets 429, and so does
an address that already failed for this account. A correct password from an address that has not
failed still gets in, so an attacker spraying guesses cannot lock the real owner out, and the
refusal points to a password reset. Counts live in the rate limiter's storage (RATELIMIT_STORAGE_URI),
shared by workers when that is Redis.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse

from market.core.extensions import limiter


def _limit():
    return parse(current_app.config["LOGIN_RATE_LIMIT"])


def _keys(email: str) -> tuple[str, str]:
    email = (email or "").strip().lower()
    return f"login-failed:{email}", f"login-failed:{email}:{get_remote_address()}"


def account_throttled(email: str) -> bool:
    """Whether the account's failed logins (from all addresses) reached the limit."""
    if not limiter.enabled:
        return False
    account, _ = _keys(email)
    return not limiter.limiter.test(_limit(), account)


def address_failed_before(email: str) -> bool:
    """Whether this address already failed to log in to this account within the window."""
    if not limiter.enabled:
        return False
    item = _limit()
    _, address = _keys(email)
    return limiter.limiter.get_window_stats(item, address).remaining < item.amount


def record_failure(email: str) -> None:
    if not limiter.enabled:
        return
    item = _limit()
    for key in _keys(email):
        limiter.limiter.hit(item, key)
