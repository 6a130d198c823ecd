"""The SearchBackend interface every search implementation honours (embedded, Elasticsearch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

# Facets every backend computes, in display order.
FACETS = ("patent_type", "industry", "ipc_section", "ipc_class", "mode", "owner_type", "owner",
          "point", "legal_status", "price_band")
SORTS = ("relevance", "newest", "price_asc", "price_desc")


@dataclass
class SearchQuery:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = FACETS


@dataclass
class Hit:
    id: int
    score: float
    doc: dict[str, Any]
    # HTML-safe strings with <mark> around matched terms.
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int
    # True when the text query had no document with every term and any-term results are shown.
    relaxed: bool = False
    terms: list[str] = field(default_factory=list)
    # True when the configured cluster could not answer and the embedded index did.
    degraded: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class SearchError(RuntimeError):
    """The search service refused a request (a bad query, a mapping conflict)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SearchUnavailable(SearchError):
    """The search service could not be reached or failed on its side; worth retrying later."""


class SearchBackend(Protocol):
    def index(self, docs: Iterable[dict[str, Any]], *, bulk: bool = False) -> None: ...

    def delete(self, ids: Iterable[int]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def similar(self, text: str, *, limit: int = 10,
                filters: dict[str, list[str]] | None = None) -> list[Hit]: ...

    def ids(self) -> set[int]: ...

    def clear(self) -> None: ...
