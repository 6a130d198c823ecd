"""The one way a request changes something: call one service, commit once, or roll back and say why.

Views and API handlers parse their input, then hand the service call to `run_action`. A service
that refuses raises a DomainError; the transaction is rolled back so nothing half-written stays,
and the refusal comes back for the page to show (a field error or a flash message). The API lets
it propagate instead (`run_api_action`): its error handler turns it into the JSON error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import abort

from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What the action gave back, or why it was refused."""

    value: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        return self.error.message(get_lang()) if self.error else ""

    def field_errors(self, default_field: str) -> dict[str, list[str]]:
        """The refusal as a form's errors, on the field it names (else on `default_field`)."""
        if self.error is None:
            return {}
        return {self.error.field or default_field: [self.message]}


def run_action(call: Callable[[], T], *, abort_on: tuple[int, ...] = (), raise_on: tuple[int, ...] = (),
               undo: Callable[[], None] | None = None) -> Outcome[T]:
    """Commit what `call` wrote, or roll it all back and return the refusal.

    A refusal whose HTTP status is in `abort_on` (403, 404: the user may not see the object)
    answers with that bare status; one in `raise_on` goes on to the app's error page with its own
    message. `undo` removes what the action left outside the database (an uploaded file) when
    anything fails.
    """
    try:
        value = call()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if undo is not None:
            undo()
        if err.status in abort_on:
            abort(err.status)
        if err.status in raise_on:
            raise
        return Outcome(error=err)
    except BaseException:
        db.session.rollback()
        if undo is not None:
            undo()
        raise
    return Outcome(value=value)


def run_api_action(call: Callable[[], T]) -> T:
    """The API's variant: commit, or roll back and let the refusal reach the JSON error handler."""
    try:
        value = call()
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return value
