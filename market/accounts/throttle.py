"""Failed logins per account, without locking the owner out.

Every address is limited on its own (LOGIN_RATE_LIMIT on the form, any outcome). Failed logins are
also counted per account across addresses; past the same limit the account is throttled: every
attempt still costs the same password check (no timing hint), a wrong password gets 429, and so does
an address that already failed for this account. A correct password from an address that has not
failed still gets in, so an attacker spraying guesses cannot lock the real owner out, and the
refusal points to a password reset. Counts live in the rate limiter's storage (RATELIMIT_STORAGE_URI),
shared by workers when that is Redis. While that storage does not answer, the counts are kept in
this process's memory, as the limiter's own fallback keeps the route limits: the throttle still
holds (per process) and logging in never fails because Redis is away.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from market.core.extensions import limiter

# This process's own counts while the shared storage is unreachable (the window of a failed login
# is short; counts made here are not carried back to Redis when it returns).
_fallback = FixedWindowRateLimiter(MemoryStorage())


def _limit():
    return parse(current_app.config["LOGIN_RATE_LIMIT"])


def _call(action):
    """Run `action(strategy)` on the shared storage, or on this process's memory while it is away."""
    try:
        return action(limiter.limiter)
    except StorageError:
        current_app.logger.warning("rate-limit storage unreachable: login throttle counts in memory")
        return action(_fallback)


def _keys(email: str) -> tuple[str, str]:
    email = (email or "").strip().lower()
    return f"login-failed:{email}", f"login-failed:{email}:{get_remote_address()}"


def account_throttled(email: str) -> bool:
    """Whether the account's failed logins (from all addresses) reached the limit."""
    if not limiter.enabled:
        return False
    account, _ = _keys(email)
    return not _call(lambda strategy: strategy.test(_limit(), account))


def address_failed_before(email: str) -> bool:
    """Whether this address already failed to log in to this account within the window."""
    if not limiter.enabled:
        return False
    item = _limit()
    _, address = _keys(email)
    return _call(lambda strategy: strategy.get_window_stats(item, address)).remaining < item.amount


def record_failure(email: str) -> None:
    if not limiter.enabled:
        return
    item = _limit()
    for key in _keys(email):
        _call(lambda strategy, key=key: strategy.hit(item, key))
