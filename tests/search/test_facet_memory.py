"""Facet counts of the embedded index: read from the hits' runs of (position, value) pairs when they
are few, by masking every pair when they are many, and from one code per position for a facet with
at most one value per document — the same counts every way."""

from __future__ import annotations

import random

import numpy as np
import pytest

from market.search.memory import SPARSE_FROM, FacetColumn


def _dense(column: FacetColumn, mask: np.ndarray) -> list[tuple[str, int]]:
    pos, code = column.arrays()
    counted = np.bincount(code[mask[pos]], minlength=len(column.values))
    return [(column.values[i], int(counted[i])) for i in np.argsort(-counted, kind="stable") if counted[i] > 0]


def _column(size: int, most: int, seed: int) -> FacetColumn:
    rng = random.Random(seed)
    column = FacetColumn()
    for position in range(size):  # 0 to `most` values each: industries or owners (3), a point (1)
        column.add(position, [f"v{rng.randrange(30)}" for _ in range(rng.randrange(most + 1))])
    return column


@pytest.mark.parametrize("most", [3, 1], ids=["several values", "one value"])
@pytest.mark.parametrize("hits", [0, 1, 7, 60, 400, 2_000, 5_000])
def test_every_way_of_counting_agrees(hits, most):
    size = 5_000
    column = _column(size, most, hits)
    mask = np.zeros(size, dtype=bool)
    mask[random.Random(-hits).sample(range(size), hits)] = True
    single = column.layout(size)[1] is not None
    assert single == (most == 1)
    way = "single" if single else "sparse" if hits * SPARSE_FROM < len(column.pos) else "dense"
    assert column.counts(mask) == _dense(column, mask), f"{way} path"
    assert column.counts(mask, np.flatnonzero(mask)) == _dense(column, mask), f"{way} path, positions given"


def test_positions_added_after_a_count_are_counted():
    column = _column(100, 1, 0)
    column.counts(np.ones(100, dtype=bool))
    column.add(100, ["v-new"])
    mask = np.ones(102, dtype=bool)  # a document without this facet came too
    assert ("v-new", 1) in column.counts(mask) and column.counts(mask) == _dense(column, mask)


def test_a_filter_mask_is_kept_read_only_until_the_column_changes():
    column = _column(100, 3, 1)
    first = column.mask_for(["v1", "v2"], 100)
    assert column.mask_for(["v2", "v1", "v2"], 100) is first and not first.flags.writeable
    with pytest.raises(ValueError):
        first &= np.zeros(100, dtype=bool)  # a caller combining masks must copy first
    column.add(100, ["v1"])
    again = column.mask_for(["v1", "v2"], 101)
    assert again is not first and again[100] and (again[:100] == first).all()
