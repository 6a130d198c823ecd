"""API bearer tokens: how one is made and the digest stored (and rate-limited by) instead of it."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "psm_"


def new_token() -> tuple[str, str]:
    """A fresh API token and the SHA-256 hex digest we store instead of it."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
