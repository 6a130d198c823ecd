"""Matching on the cluster is matching on the embedded index: `similar` ranks alike on real records.

The matching engine's candidates come from `similar`, so its precision on a cluster follows how
closely the cluster reproduces the embedded BM25. On separate Lucene fields (BM25 summed per
field) it did not: the cluster's precision@10 was 0.03-0.04 below embedded
(benchmarks/search_backends.py). The cluster now scores one weighted field by FTS5's formula;
what is left is the length normalisation counting the repeated title (see market/search/elastic.py).
"""

from __future__ import annotations

import statistics
import uuid

import pytest

from market.search.elastic import ElasticsearchBackend
from market.search.embedded import EmbeddedSearch
from market.search.http import ElasticClient
from market.search.text import query_terms
from matching import evaluate as ev


@pytest.fixture(scope="module")
def records():
    return ev.load_records()[:600]


@pytest.fixture
def both(tmp_path, cluster_url, records):
    indexed, held = ev.split(records, 0.1, 1)
    docs = [ev.a01_document(p, records[p]) for p in indexed]
    embedded = EmbeddedSearch(str(tmp_path / "e.sqlite3"))
    embedded.index(docs, bulk=True)
    elastic = ElasticsearchBackend(ElasticClient(cluster_url), prefix=f"parity{uuid.uuid4().hex[:12]}_")
    elastic.index(docs, bulk=True)
    yield embedded, elastic, [records[p]["abstract"] for p in held if records[p].get("abstract")][:30]
    elastic.drop()


def test_the_cluster_ranks_an_abstract_like_the_embedded_index(both):
    embedded, elastic, abstracts = both
    overlap, errors, firsts = [], [], 0
    for text in abstracts:
        mine, theirs = embedded.similar(text, limit=10), elastic.similar(text, limit=10)
        assert mine and theirs
        overlap.append(len({h.id for h in mine} & {h.id for h in theirs}) / len(mine))
        firsts += mine[0].id == theirs[0].id
        score = {h.id: h.score for h in theirs}
        errors += [abs(score[h.id] - h.score) / h.score for h in mine if h.id in score]
    # Measured: 0.95 of the ten shared, the first the same in 28 of 30, scores 1.7 % apart
    # (median); per-field BM25 scored on another scale altogether.
    assert statistics.fmean(overlap) >= 0.9
    assert firsts >= 0.8 * len(abstracts)
    assert statistics.median(errors) < 0.05


def test_the_cluster_asks_the_same_words_as_the_embedded_index(both):
    embedded, elastic, abstracts = both
    for text in abstracts[:10]:
        words = query_terms(text)
        mine = embedded._informative(text, words, 40, 0, len(embedded.ids()))
        assert elastic._informative(text, words, 40) == mine
