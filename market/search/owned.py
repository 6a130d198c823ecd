"""The index belongs to its database: a backend that refuses to serve another database's index.

Every store of the index (the embedded file, the cluster's index, both under the fallback)
records the identity of the database it was built from (market/core/identity.py). Reads and
writes check it: a store built from another database (or, built before stores recorded it,
from an unknown one) is refused with IndexNotOwned, which names the fix, `flask search
reindex`. An empty store is adopted by the first write, so a new database needs nothing more.
A cluster index of an older layout than the code's is refused the same way (IndexOutdated).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from market.search.backend import Hit, SearchError, SearchQuery, SearchResult

FIX = "flask search reindex"


class IndexNotOwned(SearchError):
    """The index describes another database's listings."""


class IndexOutdated(IndexNotOwned):
    """The index was built for an older layout of the documents (a new field, a new scoring)."""


class OwnedSearch:
    """SearchBackend over another that checks the index belongs to this database.

    `identity` reads this database's identity. A successful check holds for `recheck_after`
    seconds (a cluster round trip per search would be wasted); a refusal is checked again on
    the next call, so the site recovers as soon as `flask search reindex` has run.
    """

    def __init__(self, inner: Any, identity: Callable[[], str | None], *, recheck_after: float = 10.0) -> None:
        self.inner = inner
        self.identity = identity
        self.recheck_after = recheck_after
        self._checked_until = 0.0
        self._database: str | None = None

    def __getattr__(self, name: str) -> Any:  # primary, fallback, get, drop, … of the backend
        return getattr(self.inner, name)

    def _this_database(self) -> str:
        if self._database is None:
            found = self.identity()
            if not found:
                raise IndexNotOwned("数据库没有身份标识，请先运行 flask db upgrade / the database has no"
                                    " identity (its schema predates migration 0021): run `flask db upgrade`")
            self._database = found
        return self._database

    def check(self, *, writing: bool = False) -> None:
        """Refuse an index built from another database; on a write, adopt an empty one."""
        if not writing and time.monotonic() < self._checked_until:
            return
        database = self._this_database()
        unclaimed = False
        for where, owner, empty in self.inner.owners():
            if owner == database:
                continue
            if empty:
                unclaimed = True
                continue
            built_from = f"database {owner}" if owner else "an unrecorded database"
            raise IndexNotOwned(
                f"检索索引属于另一个数据库，请运行 {FIX} / the {where} was built from {built_from},"
                f" not from this database ({database}): run `{FIX}` to rebuild it from this database")
        outdated = getattr(self.inner, "outdated", None)
        problem = outdated() if outdated is not None else None
        if problem:
            raise IndexOutdated(f"检索索引的结构已更新，请运行 {FIX} 重建 / {problem}: run `{FIX}` to rebuild it")
        if unclaimed and writing:
            self.inner.claim(database)
        self._checked_until = time.monotonic() + self.recheck_after

    def status(self) -> dict[str, Any]:
        """For `flask search status`: this database, each store's, whether they agree, and why the
        cluster's index needs rebuilding for this code's layout (None when it does not)."""
        database = self._this_database()
        stores = [{"where": where, "database": owner, "empty": empty} for where, owner, empty in self.inner.owners()]
        outdated = getattr(self.inner, "outdated", None)
        return {"database": database, "stores": stores,
                "owned": all(s["database"] == database or s["empty"] for s in stores),
                "outdated": outdated() if outdated is not None else None}

    # -- the SearchBackend protocol ----------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        self.check()
        return self.inner.search(query)

    def similar(self, text: str, *, limit: int = 10, filters: dict[str, list[str]] | None = None,
                **kwargs) -> list[Hit]:
        self.check()
        return self.inner.similar(text, limit=limit, filters=filters, **kwargs)

    def ids(self) -> set[int]:
        self.check()
        return self.inner.ids()

    def get(self, doc_id: int) -> dict[str, Any] | None:
        self.check()
        return self.inner.get(doc_id)

    def index(self, docs: Iterable[dict[str, Any]], *, bulk: bool = False) -> None:
        self.check(writing=True)
        self.inner.index(docs, bulk=bulk)

    def delete(self, ids: Iterable[int]) -> None:
        self.check(writing=True)
        self.inner.delete(ids)

    def clear(self) -> None:
        """Empty the index and record it as this database's (nothing of another is left)."""
        self.inner.clear()
        self.inner.claim(self._this_database())

    def rebuild(self, batches: Iterable[list[dict[str, Any]]]) -> int:
        """Rebuild from this database's documents, recording it as the owner: the fix of a refusal."""
        database = self._this_database()
        rebuild = getattr(self.inner, "rebuild", None)
        if rebuild is not None:
            count = rebuild(batches, owner=database)
        else:
            self.inner.clear()
            self.inner.claim(database)
            count = 0
            for docs in batches:
                self.inner.index(docs, bulk=True)
                count += len(docs)
        self._checked_until = 0.0
        return count
