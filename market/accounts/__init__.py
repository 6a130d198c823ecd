"""Organisations, users, roles, API tokens."""
