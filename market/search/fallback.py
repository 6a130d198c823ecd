"""The cluster first, the embedded index when the cluster cannot answer.

Every write goes to both (the embedded copy is local and cheap to keep), so a search that the
cluster cannot serve is answered from the embedded index, flagged `degraded` for the page to
say so. A failed write to the cluster raises: its outbox entries stay pending and are retried,
and writing the embedded copy again is harmless.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterable, Iterator

from market.search.backend import Hit, SearchBackend, SearchError, SearchQuery, SearchResult, SearchUnavailable

log = logging.getLogger(__name__)


class FallbackSearch:
    """SearchBackend over a primary (Elasticsearch) with an embedded fallback for reads."""

    def __init__(self, primary: Any, fallback: SearchBackend, *, retry_after: float = 5.0) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_after = retry_after
        # After a failure, reads skip the cluster for a while instead of waiting on it each time.
        self._down_until = 0.0

    def _read(self, name: str, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(self.primary, name)(*args, **kwargs), False
            except SearchError as err:
                log.warning("search cluster failed, answering from the embedded index: %s", err)
                self._down_until = time.monotonic() + self.retry_after
        return getattr(self.fallback, name)(*args, **kwargs), True

    def search(self, query: SearchQuery) -> SearchResult:
        result, degraded = self._read("search", query)
        result.degraded = degraded
        return result

    def similar(self, text: str, *, limit: int = 10, filters: dict[str, list[str]] | None = None,
                **kwargs) -> list[Hit]:
        return self._read("similar", text, limit=limit, filters=filters, **kwargs)[0]

    def index(self, docs: Iterable[dict[str, Any]], *, bulk: bool = False) -> None:
        docs = list(docs)
        self.fallback.index(docs, bulk=bulk)
        self.primary.index(docs, bulk=bulk)

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        self.fallback.delete(ids)
        self.primary.delete(ids)

    def ids(self) -> set[int]:
        return self.primary.ids()

    def clear(self) -> None:
        self.fallback.clear()
        self.primary.clear()

    def owners(self) -> list[tuple[str, str | None, bool]]:
        """Both stores: a degraded read must not show another database's listings either.

        A cluster that cannot answer is left out; it is checked again on the next call.
        """
        try:
            primary = self.primary.owners()
        except SearchUnavailable:
            primary = []
        return primary + self.fallback.owners()

    def outdated(self) -> str | None:
        """The cluster's index layout against the code's (the embedded copy has none to check)."""
        try:
            return self.primary.outdated()
        except SearchUnavailable:
            return None

    def claim(self, database: str) -> None:
        self.fallback.claim(database)
        self.primary.claim(database)

    def rebuild(self, batches: Iterable[list[dict[str, Any]]], *, owner: str | None = None) -> int:
        """Rebuild the cluster's index behind its alias, and the embedded copy alongside."""
        self.fallback.clear()
        if owner is not None:
            self.fallback.claim(owner)

        def both() -> Iterator[list[dict[str, Any]]]:
            for docs in batches:
                self.fallback.index(docs, bulk=True)
                yield docs

        return self.primary.rebuild(both(), owner=owner)
