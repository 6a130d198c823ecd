"""Tables and charts from aggregated figures: rows in a fixed order, labels, bar lengths. Pure.

A pivot is one breakdown (rows: the keys of a dimension; columns: the deal types). Its column
totals are the true totals from the database, never a sum of the rows: a patent counted in
two rows (two industries, or licensed by two points) is still one 件 in the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from market.statistics import dimensions
from market.statistics.measures import COLUMNS, Column, Figures
from market.statistics.periods import bucket_label

# Breakdowns that list every key even when it has no deal (a point with none must show 0).
LIST_EVERY_KEY = frozenset({"point", "period", "type", "evidence"})


@dataclass
class PivotRow:
    key: str
    label: str
    cells: dict[Column, Figures]

    def __getitem__(self, column: Column | str) -> Figures:
        return self.cells[Column(column)]


@dataclass
class Pivot:
    dimension: str
    title: str
    rows: list[PivotRow]
    totals: dict[Column, Figures]
    note: str = ""
    multi: bool = False
    columns: tuple[Column, ...] = field(default=COLUMNS)

    def bars(self, column: Column = Column.DEALS, measure: str = "transactions") -> list[tuple[PivotRow, int, float]]:
        """(row, value, length in percent of the longest) for a bar chart."""
        values = [getattr(r.cells[column], measure) for r in self.rows]
        top = max(values, default=0)
        return [(r, v, round(v * 100.0 / top, 1) if top else 0.0) for r, v in zip(self.rows, values)]


def empty_cells() -> dict[Column, Figures]:
    return {c: Figures() for c in COLUMNS}


def build(dimension: str, rows: dict[str, dict[Column, Figures]], totals: dict[Column, Figures],
          lang: str = "zh", names: dict[str, str] | None = None, keys: list[str] | None = None) -> Pivot:
    """Rows in the dimension's own order (or `keys`), labelled; empty keys kept where they matter."""
    dim = dimensions.get(dimension)
    if keys is None:
        keys = list(names) if dimension == "point" and names else dim.ordered_keys()
    order = list(keys)
    # Keys the database returned that the order does not know (e.g. an unattributed point).
    order += sorted(k for k in rows if k not in set(order))
    every = dimension in LIST_EVERY_KEY
    out = []
    for key in order:
        cells = rows.get(key)
        if cells is None and not every:
            continue
        label = bucket_label(key, lang) if dimension == "period" else dim.key_label(key, lang, names)
        out.append(PivotRow(key, label, cells or empty_cells()))
    title = dim.label(lang)
    note = dim.note[1 if lang == "en" else 0]
    return Pivot(dimension, title, out, totals, note=note, multi=dim.multi)
