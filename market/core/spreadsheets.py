"""The one writer of every CSV and XLSX file the app hands out: user text stays text, never a formula.

Patent titles, record numbers, organisation names and import cells are typed by users. A cell
that starts with = + - @ (or a tab or carriage return, which spreadsheet programs skip before
looking) is read as a formula by Excel and LibreOffice (CSV injection, `=HYPERLINK(...)` leaking
neighbouring cells), so such text gets a leading apostrophe, OWASP's advice; numbers and dates
are written as themselves. In XLSX every string is a string cell (data type "s"), and the
characters XML cannot hold are dropped instead of failing the whole export.
No Flask here: the CLI, the pages and the benchmarks share it.
"""

from __future__ import annotations

import csv
import io
from typing import IO, Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

CSV_BOM = "\ufeff"  # Excel reads UTF-8 Chinese correctly only after a BOM
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: str) -> str:
    """`value` as text no spreadsheet evaluates: prefixed with an apostrophe if it could start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _text_cells(row: Iterable) -> list:
    return ["" if v is None else neutralise(v) if isinstance(v, str) else v for v in row]


# ---- CSV -------------------------------------------------------------------------------------
def csv_stream(rows: Iterable[Iterable], lines_per_chunk: int = 500) -> Iterator[str]:
    """CSV text in chunks (header row included, every text cell neutralised), after a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield CSV_BOM
    n = 0
    for row in rows:
        writer.writerow(_text_cells(row))
        n += 1
        if n % lines_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(rows: Iterable[Iterable]) -> str:
    """A whole (small) CSV file as one string, BOM first."""
    return "".join(csv_stream(rows))


# ---- XLSX ------------------------------------------------------------------------------------
def _xlsx_value(value):
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _text_cell(ws, value, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=_xlsx_value(value))
    if isinstance(value, str):
        cell.data_type = "s"  # never "f", whatever the text looks like
    if font is not None:
        cell.font = font
    return cell


def new_workbook() -> Workbook:
    """A write-only workbook: rows go to disk as they come."""
    return Workbook(write_only=True)


def add_sheet(wb: Workbook, title: str, rows: Iterable[Iterable], widths: dict[str, float] | None = None,
              freeze: str | None = "A2", *, heading: Iterable[Iterable] = ()) -> int:
    """A sheet whose first row is a bold header; returns the number of rows below the header.

    `heading` rows (a report's title, its period and units) come above the header, the first
    one larger; the frozen panes then start below the header, so it stays in view.
    """
    ws = wb.create_sheet(title=title[:31])
    for col, width in (widths or {}).items():
        ws.column_dimensions[col].width = width
    heading = [list(row) for row in heading]
    if freeze and heading:
        ws.freeze_panes = f"A{len(heading) + 2}"
    elif freeze:
        ws.freeze_panes = freeze
    bold = Font(bold=True)
    for i, row in enumerate(heading):
        ws.append([_text_cell(ws, value, Font(bold=True, size=14) if i == 0 else None) for value in row])
    n = 0
    for row in rows:
        if n == 0:
            ws.append([_text_cell(ws, value, bold) for value in row])
        else:
            # Strings get a cell of their own typed "s"; other values are bound as themselves.
            ws.append([_text_cell(ws, v) if isinstance(v, str) else v for v in row])
        n += 1
    return max(n - 1, 0)


def save_workbook(wb: Workbook, out: IO[bytes] | str) -> None:
    wb.save(out)
