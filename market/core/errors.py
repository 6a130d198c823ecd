"""Domain errors: a code, a Chinese and an English message, and the field at fault.

Pure Python on purpose: rules modules raise these without importing Flask; views and the
API turn them into a flash message or the one JSON error shape.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken; `status` is the HTTP status a view should answer with."""

    status = 422

    def __init__(self, code: str, zh: str, en: str, *, field: str | None = None,
                 status: int | None = None):
        super().__init__(zh)
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field
        if status is not None:
            self.status = status

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def __str__(self) -> str:
        return self.zh


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
