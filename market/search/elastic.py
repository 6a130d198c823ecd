"""The Elasticsearch backend: the embedded backend's semantics on a cluster.

Text is segmented by jieba in the app, exactly as for the embedded index, and stored in
whitespace-like analysed fields (`title_seg`, `body_seg`); a query is the same boolean
expression the embedded backend gives FTS5 (every query word, or its sub-words, or its head
noun; any word when none matches everything). So both backends return the same hits for
the same documents, and only BM25 scores differ. The raw title and body are only kept in the
source: the built-in `cjk` bigram analysis of them, which layout v1 indexed for
`benchmarks/search_backends.py` to compare, ranked below the jieba fields (precision@10 0.655 against
0.689) and cost indexing time on every write.

`similar` (the matching engine's retrieval) asks one more field, `weighted_seg`: the title
written WEIGHTS[0] times, the body once and the codes WEIGHTS[2] times, scored by a scripted
similarity with FTS5's bm25() formula (its idf, k1 and b). Lucene sums BM25 per field, where FTS5
sums the column-weighted term frequencies first and saturates once; on separate fields the
cluster's matches fell 0.03-0.04 below the embedded engine's in precision@10. Repeating the text
gives the same weighted frequency; the length it normalises by counts the repeats too, the one
difference left.

Documents live in versioned indices (`listings_v2_<millis>`) behind one alias (`listings`);
a rebuild fills a new index and moves the alias in one atomic request. An index of an older
layout is refused until `flask search reindex` (market/search/owned.py).
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from market.search.backend import Hit, SearchError, SearchQuery, SearchResult
from market.search.embedded import WEIGHTS
from market.search.fts import segmented
from market.search.http import ElasticClient
from market.search.informative import SIMILAR_TERMS, informative_words
from market.search.memory import FACET_FIELDS
from market.search.text import highlight, query_terms, sub_terms

log = logging.getLogger(__name__)

DEFINITIONS = Path(__file__).resolve().parents[2] / "config" / "search"
VERSION = 2
# Field → BM25 weight, as the embedded backend's column weights (title, body, codes).
TEXT_FIELDS = {"title_seg": 8.0, "body_seg": 1.0, "codes_text": 4.0}
# Keys added for the index only, dropped from the documents handed back.
INDEX_ONLY = ("title_seg", "body_seg", "codes_text", "weighted_seg")
# The field `similar` asks, scored as FTS5 scores the embedded index (see the module's docstring).
WEIGHTED = "weighted_seg"
FACET_SIZE = 1000
# Lucene limits clauses per boolean query; a query this long is a paste, not a search.
MAX_TERMS = 128
CHUNK = 500


def definition(version: int = VERSION) -> dict[str, Any]:
    """Index settings and mappings, versioned in config/search/listings.v<N>.json."""
    return json.loads((DEFINITIONS / f"listings.v{version}.json").read_text())


class ElasticsearchBackend:
    """SearchBackend on an Elasticsearch or OpenSearch cluster (CI proves 7.10.2 and OpenSearch 2.19.1)."""

    def __init__(self, client: ElasticClient, *, prefix: str = "") -> None:
        self.client = client
        self.alias = f"{prefix}listings"
        self._ready = False

    # -- indices and the alias -------------------------------------------------------------
    def ensure_index(self) -> None:
        """Create the first versioned index behind the alias unless the alias exists."""
        if self._ready:
            return
        found = self.client.request("HEAD", f"/_alias/{self.alias}", ok=(404,))
        if found["status"] == 404:
            body = {**definition(), "aliases": {self.alias: {}}}
            # A fixed first name: two processes racing here create one index, not two.
            answer = self.client.request("PUT", f"/{self.alias}_v{VERSION}_0", body, ok=(400,))
            error = answer.get("error") if answer["status"] == 400 else None
            if error and (error.get("type") if isinstance(error, dict) else "") != "resource_already_exists_exception":
                raise SearchError(f"cannot create the index behind {self.alias!r}: {error}", status=400)
        self._ready = True

    def indices(self) -> list[str]:
        """The concrete indices the alias points at now."""
        answer = self.client.request("GET", f"/_alias/{self.alias}", ok=(404,))
        return sorted(k for k in answer if k not in ("status", "error"))

    # -- which database the index describes (market/search/owned.py) --------------------------
    def outdated(self) -> str | None:
        """Why the index behind the alias cannot serve this code (an older layout), or None."""
        old = [name for name in self.indices() if _layout(name) < VERSION]
        if not old:
            return None
        return f"the cluster index {', '.join(old)} has an older layout than this code's (v{VERSION})"

    def owners(self) -> list[tuple[str, str | None, bool]]:
        """(where, the database it was built from or None, whether it holds no document)."""
        answer = self.client.request("GET", f"/{self.alias}/_mapping", ok=(404,))
        if answer["status"] == 404:
            return [(f"cluster index {self.alias}", None, True)]
        metas = [(body.get("mappings") or {}).get("_meta") or {}
                 for name, body in answer.items() if name not in ("status", "error")]
        owners = {m.get("database") for m in metas}
        count = self.client.request("GET", f"/{self.alias}/_count")["count"]
        # Behind the alias there is one index; should there be several, all must agree.
        return [(f"cluster index {self.alias}", owners.pop() if len(owners) == 1 else "(several)", count == 0)]

    def claim(self, database: str) -> None:
        self.ensure_index()
        self.client.request("PUT", f"/{self.alias}/_mapping", {"_meta": {"database": database}})

    def rebuild(self, batches: Iterable[list[dict[str, Any]]], *, owner: str | None = None) -> int:
        """Fill a new index from `batches`, then point the alias at it in one atomic step.

        Searches keep reading the old index until the switch. If any document is refused
        (a mapping conflict), the new index is dropped and the alias stays where it was.
        """
        old = self.indices()
        new = f"{self.alias}_v{VERSION}_{int(time.time() * 1000)}"
        body = definition()
        settings = body.setdefault("settings", {})
        # No replica while filling (each document is written once), the definition's when done:
        # one replica as soon as the cluster has a second node (auto_expand_replicas "0-1").
        final = {"refresh_interval": "1s", "number_of_replicas": settings.get("number_of_replicas", 0),
                 "auto_expand_replicas": settings.get("auto_expand_replicas", False)}
        settings.update({"refresh_interval": "-1", "number_of_replicas": 0, "auto_expand_replicas": False})
        if owner is not None:
            body.setdefault("mappings", {})["_meta"] = {"database": owner}
        self.client.request("PUT", f"/{new}", body)
        count = 0
        try:
            for docs in batches:
                count += self._bulk_index(new, docs, bulk=True)
            self.client.request("PUT", f"/{new}/_settings", {"index": final})
            self.client.request("POST", f"/{new}/_refresh")
            # The replicas are copied before the switch, so that losing a node right after it loses nothing.
            self.client.request("GET", f"/_cluster/health/{new}",
                                params={"wait_for_active_shards": "all", "timeout": "120s"}, ok=(408,))
            actions = [{"remove": {"index": i, "alias": self.alias}} for i in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.request("POST", "/_aliases", {"actions": actions})
        except BaseException:
            self.client.request("DELETE", f"/{new}", ok=(404,))
            raise
        for index in old:
            self.client.request("DELETE", f"/{index}", ok=(404,))
        self._ready = True
        return count

    def drop(self) -> None:
        """Delete every index behind the alias (tests, teardown)."""
        for index in self.indices():
            self.client.request("DELETE", f"/{index}", ok=(404,))
        self._ready = False

    # -- writing ---------------------------------------------------------------------------
    def index(self, docs: Iterable[dict[str, Any]], *, bulk: bool = False) -> None:
        self.ensure_index()
        try:
            self._bulk_index(self.alias, list(docs), bulk=bulk)
        finally:  # what was written is searchable when this returns, even if some was refused
            self.client.request("POST", f"/{self.alias}/_refresh")

    def _bulk_index(self, index: str, docs: list[dict[str, Any]], *, bulk: bool) -> int:
        docs, texts = segmented(docs, bulk)
        lines: list[dict] = []
        for doc, (title, body) in zip(docs, texts):
            codes = " ".join(doc.get("codes", [])).lower()
            source = {**doc, "title_seg": title, "body_seg": body, "codes_text": codes,
                      WEIGHTED: _weighted(title, body, codes)}
            lines += [{"index": {"_index": index, "_id": str(int(doc["id"]))}}, source]
        step = 2 * (CHUNK * 4 if bulk else CHUNK)
        for start in range(0, len(lines), step):
            self._send(lines[start:start + step])
        return len(docs)

    def delete(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        self.ensure_index()
        self._send([{"delete": {"_index": self.alias, "_id": str(i)}} for i in ids])
        self.client.request("POST", f"/{self.alias}/_refresh")

    def _send(self, lines: list[dict]) -> None:
        answer = self.client.request("POST", "/_bulk", ndjson=lines)
        if not answer.get("errors"):
            return
        failed = [(action, item) for entry in answer["items"] for action, item in entry.items()
                  if item.get("status", 200) >= 300 and not (action == "delete" and item["status"] == 404)]
        if failed:
            action, item = failed[0]
            error = item.get("error") or {}
            reason = f"{error.get('type', '')}: {error.get('reason', '')}" if isinstance(error, dict) else error
            raise SearchError(f"{len(failed)} of {len(answer['items'])} index operations failed;"
                              f" document {item.get('_id')}: {reason}", status=item.get("status"))

    def clear(self) -> None:
        self.ensure_index()
        self.client.request("POST", f"/{self.alias}/_delete_by_query",
                            {"query": {"match_all": {}}}, params={"refresh": "true", "conflicts": "proceed"})

    # -- reading ---------------------------------------------------------------------------
    def ids(self) -> set[int]:
        out: set[int] = set()
        after: list | None = None
        while True:
            body: dict[str, Any] = {"size": 10000, "_source": False, "sort": [{"id": "asc"}],
                                    "query": {"match_all": {}}}
            if after is not None:
                body["search_after"] = after
            answer = self._search(body)
            hits = answer["hits"]["hits"]
            out.update(int(h["_id"]) for h in hits)
            if len(hits) < 10000:
                return out
            after = hits[-1]["sort"]

    def get(self, doc_id: int) -> dict[str, Any] | None:
        answer = self.client.request("GET", f"/{self.alias}/_doc/{int(doc_id)}", ok=(404,))
        return _doc(answer["_source"]) if answer.get("found") else None

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.request("POST", f"/{self.alias}/_search", body, ok=(404,))
        if answer["status"] == 404:  # nothing indexed yet: no alias
            return {"hits": {"total": {"value": 0}, "hits": []}, "aggregations": {}}
        return answer

    def search(self, query: SearchQuery) -> SearchResult:
        terms = query_terms(query.text)[:MAX_TERMS]
        relaxed = False
        answer = self._search(self._body(query, _all_terms(terms) if terms else None))
        if terms and not answer.get("aggregations", {}).get("matched", {}).get("doc_count"):
            answer = self._search(self._body(query, _any_term(terms)))
            relaxed = bool(answer.get("aggregations", {}).get("matched", {}).get("doc_count"))
        aggs = answer.get("aggregations", {})
        facets = {f: [(str(b["key"]), b["doc_count"]) for b in aggs[f]["values"]["buckets"]]
                  if f in aggs else [] for f in query.facets}
        highlight_terms = terms + [t for term in terms for t in sub_terms(term)] if relaxed else terms
        hits = []
        for h in answer["hits"]["hits"]:
            doc = _doc(h["_source"])
            hits.append(Hit(id=int(h["_id"]), score=float(h.get("_score") or 0.0), doc=doc, highlights={
                "title": highlight(doc.get("title", ""), highlight_terms),
                "abstract": highlight(doc.get("abstract", ""), highlight_terms, window=160)}))
        return SearchResult(total=int(answer["hits"]["total"]["value"]), hits=hits, facets=facets,
                            page=query.page, per_page=query.per_page, relaxed=relaxed, terms=highlight_terms)

    def _body(self, query: SearchQuery, text: dict | None) -> dict[str, Any]:
        filters = {f: _terms_filter(f, v) for f, v in query.filters.items() if f in FACET_FIELDS and v}
        aggs: dict[str, Any] = {"matched": {"filter": {"match_all": {}}}}
        for facet in query.facets:
            if facet not in FACET_FIELDS:
                continue
            # Disjunctive counts: a facet ignores its own filter so its other values stay visible.
            others = [c for f, c in filters.items() if f != facet]
            aggs[facet] = {"filter": {"bool": {"filter": others}} if others else {"match_all": {}},
                           "aggs": {"values": {"terms": {"field": FACET_FIELDS[facet], "size": FACET_SIZE}}}}
        start = max(0, (query.page - 1) * query.per_page)
        size = max(0, query.per_page)
        if start + size > 10000:  # past the result window: an empty page, not an error
            start, size = 0, 0
        body: dict[str, Any] = {
            "query": text or {"match_all": {}}, "aggs": aggs, "from": start, "size": size,
            "track_total_hits": True, "track_scores": True, "sort": _sort(query.sort, text is not None)}
        if filters:
            body["post_filter"] = {"bool": {"filter": list(filters.values())}}
        return body

    def similar(self, text: str, *, limit: int = 10, filters: dict[str, list[str]] | None = None,
                max_terms: int | None = SIMILAR_TERMS) -> list[Hit]:
        """Documents most like a long text, by BM25 over its most informative words (as embedded:
        the same words, each counted as often, scored by the same formula on `weighted_seg`)."""
        words = query_terms(text)
        if max_terms is None:
            terms = words
            weighted = [(t, 1) for t in sorted({t for term in words for t in [term, *sub_terms(term)]})]
        else:
            weighted = self._informative(text, words, max_terms)
            terms = [t for t, _ in weighted]
        if not terms:
            return []
        query: dict[str, Any] = {"bool": {"should": [
            {"match_phrase": {WEIGHTED: {"query": t, "boost": times}}} for t, times in weighted[:4 * MAX_TERMS]],
            "minimum_should_match": 1}}
        clauses = [_terms_filter(f, v) for f, v in (filters or {}).items() if f in FACET_FIELDS and v]
        if clauses:
            query["bool"]["filter"] = clauses
        # By score alone and no total: Lucene may then skip documents that cannot reach the top
        # (block-max WAND), 2.8x faster at 100,000 listings than a sort with a tie-break, the same
        # top ten. Ties among the hits are put in id order here, as the embedded backend does.
        answer = self._search({"query": query, "size": limit, "track_total_hits": False})
        hits = []
        for h in answer["hits"]["hits"]:
            doc = _doc(h["_source"])
            hits.append(Hit(id=int(h["_id"]), score=float(h.get("_score") or 0.0), doc=doc,
                            highlights={"title": highlight(doc.get("title", ""), terms)}))
        return sorted(hits, key=lambda h: (-h.score, h.id))

    def _informative(self, text: str, words: list[str], count: int) -> list[tuple[str, int]]:
        """The `count` indexed words of a text that are rarest and most repeated, each with how
        many times to ask it (EmbeddedSearch._informative's rule, on the cluster's counts)."""
        pool = list(words)
        for word in words:
            pool += [t for t in sub_terms(word) if t not in pool]
        pool = pool[:4 * MAX_TERMS]
        if not pool:
            return []
        answer = self._search({"size": 0, "track_total_hits": True, "query": {"match_all": {}}, "aggs": {
            "df": {"filters": {"filters": {str(i): {"match_phrase": {WEIGHTED: t}} for i, t in enumerate(pool)}}}}})
        size = int(answer["hits"]["total"]["value"])
        buckets = answer.get("aggregations", {}).get("df", {}).get("buckets", {})
        frequency = {t: buckets.get(str(i), {}).get("doc_count", 0) for i, t in enumerate(pool)}
        # Sub-words stand in only for a word the index lacks.
        pool = [t for t in pool if t in words or any(not frequency[w] for w in words if t in sub_terms(w))]
        return informative_words(text, pool, frequency, size, count)


def _layout(index: str) -> int:
    """The layout version in a concrete index's name (listings_v2_<millis>), 0 when it has none."""
    found = re.search(r"_v(\d+)_\d+$", index)
    return int(found.group(1)) if found else 0


def _weighted(title: str, body: str, codes: str) -> str:
    """The text of `weighted_seg`: each column repeated as many times as its BM25 weight."""
    return " ".join([title] * int(WEIGHTS[0]) + [body] * int(WEIGHTS[1]) + [codes] * int(WEIGHTS[2]))


def _doc(source: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in source.items() if k not in INDEX_ONLY}


def _word(term: str) -> dict[str, Any]:
    """One word anywhere in the text fields, each field weighted as in the embedded index."""
    return {"bool": {"should": [{"match_phrase": {field: {"query": term, "boost": boost}}}
                                for field, boost in TEXT_FIELDS.items()], "minimum_should_match": 1}}


def _term_group(term: str) -> dict[str, Any]:
    """The word itself, all its sub-words, or its head noun (see fts.term_group)."""
    parts = sub_terms(term)
    if not parts:
        return _word(term)
    options = [_word(term), {"bool": {"must": [_word(p) for p in parts]}}]
    heads = [p for p in parts if term.endswith(p) and len(p) >= 2]
    if heads:
        options.append(_word(max(heads, key=len)))
    return {"bool": {"should": options, "minimum_should_match": 1}}


def _all_terms(terms: list[str]) -> dict[str, Any]:
    return {"bool": {"must": [_term_group(t) for t in terms]}}


def _any_term(terms: list[str]) -> dict[str, Any]:
    alternatives = sorted({t for term in terms for t in [term, *sub_terms(term)]})
    return {"bool": {"should": [_word(t) for t in alternatives], "minimum_should_match": 1}}


def _terms_filter(facet: str, values: list[str]) -> dict[str, Any]:
    return {"terms": {FACET_FIELDS[facet]: [str(v) for v in values]}}


def _sort(sort: str, has_text: bool) -> list:
    newest = {"sort_newest": {"order": "desc", "missing": "_last"}}
    if sort in ("price_asc", "price_desc"):
        order = "asc" if sort == "price_asc" else "desc"
        return [{"price_fen": {"order": order, "missing": "_last"}}, newest, {"id": "asc"}]
    if sort == "relevance" and has_text:
        return ["_score", newest, {"id": "asc"}]
    return [newest, {"id": "asc"}]


def batches(docs: Iterable[dict[str, Any]], size: int = 2000) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
