"""Facet counts of the embedded index: counted from the hits' positions when they are few, by masking
every (position, value) pair when they are many — the same counts either way."""

from __future__ import annotations

import random

import numpy as np
import pytest

from market.search.memory import SPARSE_FROM, FacetColumn


def _dense(column: FacetColumn, mask: np.ndarray) -> list[tuple[str, int]]:
    pos, code = column.arrays()
    counted = np.bincount(code[mask[pos]], minlength=len(column.values))
    return [(column.values[i], int(counted[i])) for i in np.argsort(-counted, kind="stable") if counted[i] > 0]


@pytest.mark.parametrize("hits", [0, 1, 7, 60, 400, 2_000, 5_000])
def test_sparse_and_dense_counts_agree(hits):
    rng = random.Random(hits)
    column, size = FacetColumn(), 5_000
    for position in range(size):  # 0 to 3 values each, as industries or owners
        column.add(position, [f"v{rng.randrange(30)}" for _ in range(rng.randrange(4))])
    mask = np.zeros(size, dtype=bool)
    mask[rng.sample(range(size), hits)] = True
    sparse = hits * SPARSE_FROM < len(column.pos)
    assert column.counts(mask) == _dense(column, mask), f"{'sparse' if sparse else 'dense'} path"
