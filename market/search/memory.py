"""The embedded index's facet columns in memory: compact numpy arrays, one (position, value) pair per value."""

from __future__ import annotations

from typing import Any

import numpy as np

from market.search.backend import FACETS

# A facet is counted from its hits' positions when there are fewer than one hit per this many
# (position, value) pairs, else by masking every pair: the cheaper of the two.
SPARSE_FROM = 8
# Filter masks kept per facet column (one boolean per document each).
MASKS_KEPT = 16

# Where each facet reads its values in a search document.
FACET_FIELDS = {
    "patent_type": "patent_type", "industry": "industries", "ipc_section": "ipc_sections",
    "ipc_class": "ipc_classes", "mode": "modes", "owner_type": "owner_types", "owner": "owners",
    "point": "point", "legal_status": "legal_status", "price_band": "price_band",
}


def facet_values(doc: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for facet, key in FACET_FIELDS.items():
        value = doc.get(key)
        if value is None or value == "":
            continue
        out[facet] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


class FacetColumn:
    """Value dictionary plus (position, code) pairs for one facet.

    Counting reads only the hits' pairs: where each position's run of pairs starts is kept as an
    offset array (positions are appended in order, FacetMemory.upsert), and a facet with at most
    one value per position (a patent's type, its point, its price band) as one code per position.
    """

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.values: list[str] = []
        self.pos: list[int] = []
        self.code: list[int] = []
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._layout: tuple[int, np.ndarray | None, np.ndarray | None] | None = None
        self._masks: dict[tuple[tuple[str, ...], int], np.ndarray] = {}

    def add(self, pos: int, values: list[str]) -> None:
        for v in values:
            c = self.codes.get(v)
            if c is None:
                c = self.codes[v] = len(self.values)
                self.values.append(v)
            self.pos.append(pos)
            self.code.append(c)
        self._arrays = self._layout = None
        self._masks.clear()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            self._arrays = (np.asarray(self.pos, dtype=np.int32), np.asarray(self.code, dtype=np.int32))
        return self._arrays

    def layout(self, size: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """For `size` positions, one of: the one code of each position (-1 for none) when no
        position has two values; else where each position's pairs start, with the end last."""
        if self._layout is None or self._layout[0] != size:
            pos, code = self.arrays()
            starts = single = None
            if not len(pos) or bool(np.all(np.diff(pos) > 0)):
                single = np.full(size, -1, dtype=np.int32)
                inside = pos < size
                single[pos[inside]] = code[inside]
            else:
                starts = np.searchsorted(pos, np.arange(size + 1, dtype=pos.dtype)).astype(np.int32)
            self._layout = (size, starts, single)
        return self._layout[1], self._layout[2]

    def mask_for(self, values: list[str], size: int) -> np.ndarray:
        """The positions having any of `values`, read-only: a filter's mask is kept until the
        column changes (the same few filters are asked again and again), MASKS_KEPT at most."""
        key = (tuple(sorted(set(values))), size)
        mask = self._masks.pop(key, None)
        if mask is None:
            pos, code = self.arrays()
            wanted = [self.codes[v] for v in key[0] if v in self.codes]
            mask = np.zeros(size, dtype=bool)
            if wanted:
                mask[pos[np.isin(code, wanted)]] = True
            mask.flags.writeable = False
            while len(self._masks) >= MASKS_KEPT:
                self._masks.pop(next(iter(self._masks)))
        self._masks[key] = mask  # the most recently asked last
        return mask

    def counts(self, mask: np.ndarray, hits: np.ndarray | None = None) -> list[tuple[str, int]]:
        """Documents per value among the positions `mask` selects (`hits`: its positions, when the
        caller has them already), most first, ties in the order values were first seen."""
        pos, code = self.arrays()
        if not len(pos):
            return []
        if hits is None:
            hits = np.flatnonzero(mask)
        starts, single = self.layout(len(mask))
        if single is not None:
            # Shifted by one so that "no value" (-1) is counted apart and dropped.
            counted = np.bincount(single[hits] + 1, minlength=len(self.values) + 1)[1:]
            return self._ranked(counted)
        if len(hits) * SPARSE_FROM < len(pos):
            # Few hits (a typical query): gather each hit's run of pairs.
            first = starts[hits]
            lengths = starts[hits + 1] - first
            offsets = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
            selected = code[offsets + np.arange(int(lengths.sum()))]
        else:
            selected = code[mask[pos]]
        return self._ranked(np.bincount(selected, minlength=len(self.values)))

    def _ranked(self, counted: np.ndarray) -> list[tuple[str, int]]:
        found = np.flatnonzero(counted)
        order = found[np.argsort(-counted[found], kind="stable")]
        return [(self.values[i], int(counted[i])) for i in order]


class FacetMemory:
    """The in-memory side of the index for one process."""

    def __init__(self) -> None:
        self.seq = 0
        self.ids: list[int] = []
        self.alive: list[bool] = []
        self.newest: list[float] = []
        self.price: list[float] = []
        self.pos_by_id: dict[int, int] = {}
        self.facets = {f: FacetColumn() for f in FACETS}
        self.dead = 0
        self._arrays: dict[str, np.ndarray] | None = None

    def upsert(self, doc_id: int, facets: dict[str, list[str]], newest: float | None,
               price: float | None) -> None:
        self.remove(doc_id)
        pos = len(self.ids)
        self.ids.append(doc_id)
        self.alive.append(True)
        self.newest.append(newest if newest is not None else 0.0)
        self.price.append(price if price is not None else np.nan)
        self.pos_by_id[doc_id] = pos
        for facet, values in facets.items():
            if facet in self.facets:
                self.facets[facet].add(pos, values)
        self._arrays = None

    def remove(self, doc_id: int) -> None:
        pos = self.pos_by_id.pop(doc_id, None)
        if pos is not None:
            self.alive[pos] = False
            self.dead += 1
            self._arrays = None

    def arrays(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            ids = np.asarray(self.ids, dtype=np.int64)
            pos_of_id = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int64)
            alive = np.asarray(self.alive, dtype=bool)
            pos_of_id[ids[alive]] = np.nonzero(alive)[0]
            self._arrays = {"ids": ids, "alive": alive, "pos_of_id": pos_of_id,
                            "newest": np.asarray(self.newest, dtype=np.float64),
                            "price": np.asarray(self.price, dtype=np.float64)}
        return self._arrays
