"""Slots a higher floor fills when it loads, so that a lower floor can ask it without importing up.

A lower floor declares `listings_of = Hook("organisation listings", default=...)` and calls it; the
floor that knows the answer decorates its function with `@listings_of.provide`. For things that
happened (a register event, a payment), floors send blinker signals instead (see `signals` uses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, name: str, default: Callable[..., Any]):
        self.name = name
        self._default = default
        self._provider: Callable[..., Any] | None = None

    def provide(self, provider: Callable[..., Any]) -> Callable[..., Any]:
        self._provider = provider
        return provider

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return (self._provider or self._default)(*args, **kwargs)
