"""Cheap password hashes for these tests: they create and log in dozens of users, and scrypt's cost
(a quarter of a second per hash here) is not what they test; werkzeug checks any hash by the method
named in it, so the code paths are the real ones."""

from __future__ import annotations

import pytest
from werkzeug import security


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr("market.accounts.auth.generate_password_hash",
                        lambda password: security.generate_password_hash(password, method="pbkdf2:sha256:1000"))
