"""Read an uploaded portfolio file (CSV, XLSX or JSON Lines) into a table of stripped strings."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import PurePath

import charset_normalizer
import openpyxl

from market.core.errors import DomainError

_FORMATS = {".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
            ".jsonl": "jsonl", ".ndjson": "jsonl"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and any password-protected workbook
_UTF8_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (",", ";", "\t")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Excel-made CSVs wrap long numbers as ="..." so Excel keeps them as text.
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.S)


@dataclass(frozen=True)
class Limits:
    """What one upload may hold, checked before (XLSX) or while (CSV, JSONL) it is parsed, so that a
    hostile file costs milliseconds instead of minutes and gigabytes (issue 13 #4)."""

    max_bytes: int = 20 * 1024 * 1024
    max_columns: int = 200
    max_rows: int = 100_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    # Text-heavy sheets compress well, but not this well: beyond it the upload is a zip bomb.
    max_unzip_ratio: int = 100
    max_unzipped_bytes: int = 200 * 1024 * 1024

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(max_bytes=int(config.get("UPLOAD_MAX_BYTES", cls.max_bytes)),
                   max_columns=int(config.get("IMPORT_MAX_COLUMNS", cls.max_columns)),
                   max_rows=int(config.get("IMPORT_MAX_ROWS", cls.max_rows)),
                   max_cell_chars=int(config.get("IMPORT_MAX_CELL_CHARS", cls.max_cell_chars)),
                   max_unzip_ratio=int(config.get("IMPORT_MAX_UNZIP_RATIO", cls.max_unzip_ratio)),
                   max_unzipped_bytes=int(config.get("IMPORT_MAX_UNZIPPED_MB", cls.max_unzipped_bytes // 2**20))
                   * 1024 * 1024)


# The command line imports files an operator chose: bigger, still bounded.
COMMAND_LINE = Limits(max_bytes=200 * 1024 * 1024, max_rows=5_000_000, max_unzipped_bytes=4 * 1024 ** 3)
# Small members (styles, shared strings of a few rows) may compress far better than a sheet does.
_RATIO_FREE_BYTES = 1024 * 1024


class Row(dict[str, str]):
    """One data row keyed by header; `number` is the row (XLSX, CSV) or line (JSONL) the user sees."""

    __slots__ = ("number",)

    def __init__(self, number: int, cells: dict[str, str]):
        super().__init__(cells)
        self.number = number


@dataclass
class Table:
    """The headers and data rows of one uploaded file, plus the rows that could not be read."""

    headers: list[str]
    rows: list[Row]
    format: str
    encoding: str | None
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def _refuse(code: str, zh: str, en: str) -> DomainError:
    return DomainError(code, zh, en, field="file")


def _binary() -> DomainError:
    return _refuse("import_file_binary",
                   "文件不是文本格式，无法按 CSV / JSON Lines 读取；Excel 工作簿请保存为 .xlsx 上传",
                   "The file is not text, so it cannot be read as CSV or JSON Lines; "
                   "upload Excel workbooks as .xlsx")


def _xlsx_unreadable() -> DomainError:
    return _refuse("import_xlsx_unreadable",
                   "无法读取该 Excel 文件，可能已损坏或加密；请在 Excel 中另存为 .xlsx 后重试",
                   "The Excel file cannot be read; it may be damaged or password-protected. "
                   "Save it again as .xlsx and retry")


def read_table(data: bytes, filename: str, *, max_bytes: int | None = None, limits: Limits | None = None) -> Table:
    """Read an uploaded file into a Table, refusing with a DomainError what cannot be imported."""
    limits = limits or Limits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    max_bytes = limits.max_bytes
    if not data.removeprefix(_UTF8_BOM).strip():
        raise _refuse("import_file_empty", "文件是空的", "The file is empty")
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g}"
        raise _refuse("import_file_too_large", f"文件超过 {limit} MB 的上限，请拆分后分批导入",
                      f"The file exceeds the {limit} MB limit; split it and import in parts")
    suffix = PurePath(filename or "").suffix.lower()
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise _refuse("import_unsupported_format",
                      "这是旧版 Excel (.xls) 或加密的工作簿，请另存为 .xlsx 或 CSV（UTF-8）后导入",
                      "This is a legacy .xls or password-protected workbook; "
                      "save it as .xlsx or CSV (UTF-8) and import that")
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        raise _refuse("import_unsupported_format",
                      f"不支持的文件类型「{suffix or filename}」，请上传 .xlsx、.csv 或 .jsonl 文件",
                      f"Unsupported file type “{suffix or filename}”; upload an .xlsx, .csv or .jsonl file")
    # Content beats the name: a renamed workbook is still a workbook.
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, limits)
    if fmt == "xlsx":
        raise _xlsx_unreadable()
    text, encoding = _decode(data)
    if fmt == "csv":
        return _read_csv(text, encoding, limits)
    return _read_jsonl(text, encoding, limits)


# ---- the limits, each refusal naming its limit -------------------------------------------------
def _too_many_columns(limits: Limits, row: int) -> DomainError:
    n = limits.max_columns
    return _refuse("import_too_many_columns",
                   f"第 {row} 行超过 {n} 列的上限；请删去多余的列后重试",
                   f"Row {row} has more than {n} columns, the limit; remove the extra columns and retry")


def _too_many_rows(limits: Limits) -> DomainError:
    n = limits.max_rows
    return _refuse("import_too_many_rows", f"文件超过 {n} 行的上限，请拆分后分批导入",
                   f"The file has more than {n} rows, the limit; split it and import in parts")


def _cell_too_long(limits: Limits, row: int) -> DomainError:
    n = limits.max_cell_chars
    return _refuse("import_cell_too_long", f"第 {row} 行有单元格超过 {n} 个字符的上限",
                   f"A cell in row {row} is longer than {n} characters, the limit")


def _check_record(cells: list[str], row: int, records: int, limits: Limits) -> None:
    """Refuse the file at the first row past a limit (the rows before it are all that was read)."""
    if len(cells) > limits.max_columns and any(cells[limits.max_columns:]):
        raise _too_many_columns(limits, row)
    if records > limits.max_rows + 1:  # the header row is not a data row
        raise _too_many_rows(limits)
    if any(len(c) > limits.max_cell_chars for c in cells):
        raise _cell_too_long(limits, row)


def _decode(data: bytes) -> tuple[str, str]:
    # Excel's "Unicode text" export is UTF-16 and full of NUL bytes, so it is recognised first.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise _binary() from None
    if b"\x00" in data:
        raise _binary()
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(_UTF8_BOM) else "utf-8"
    except UnicodeDecodeError:
        # GB18030 is a superset of GBK/GB2312, what Chinese Excel writes by default; any
        # other legacy encoding is left to charset-normalizer's guess.
        try:
            text, encoding = data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            guess = charset_normalizer.from_bytes(data).best()
            if guess is None:
                raise _binary() from None
            text, encoding = str(guess), guess.encoding
    text = text.rstrip("\x1a")  # the DOS end-of-file marker some older tools still append
    if len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
        raise _binary()
    return text, encoding


def _no_header(zh_hint: str = "", en_hint: str = "") -> DomainError:
    return _refuse("import_no_header", f"文件中找不到表头行（第一行非空行应为列名）{zh_hint}",
                   f"No header row found (the first non-empty row must hold the column names){en_hint}")


def _build_table(records: list[tuple[int, list[str]]], fmt: str, encoding: str | None) -> Table:
    """Turn numbered rows of cells into a Table whose first non-empty row is the header."""
    records = [(n, cells) for n, cells in records if any(cells)]
    if not records:
        raise _no_header()
    (_, header_cells), data = records[0], records[1:]
    width = max(len(cells) for _, cells in records)
    header_cells = header_cells + [""] * (width - len(header_cells))
    headers: list[str | None] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header_cells):
        if not name:
            has_data = any(i < len(cells) and cells[i] for _, cells in data)
            # A blank header over data would silently lose the data; give it a visible name.
            headers.append(f"列{i + 1}" if has_data else None)
            continue
        seen[name] = seen.get(name, 0) + 1
        headers.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    rows = [Row(n, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h})
            for n, cells in data]
    return Table([h for h in headers if h], rows, fmt, encoding)


def _sniff_delimiter(text: str) -> str:
    sample = text[:64 * 1024]
    first = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=counts.__getitem__)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    # Cells such as IPC lists hold ";" inside a comma file, which can fool the Sniffer;
    # header names hardly ever hold a delimiter, so the header line has the last word.
    if sniffed in counts and counts[sniffed] == counts[best] and counts[best]:
        return sniffed
    return best if counts[best] else ","


def _csv_cell(raw: str) -> str:
    cell = raw.strip()
    match = _EXCEL_TEXT.match(cell)
    return match.group(1).strip() if match else cell


def _read_csv(text: str, encoding: str, limits: Limits) -> Table:
    delimiter = _sniff_delimiter(text)
    first = next((line for line in text[:1024 * 1024].splitlines() if line.strip()), "")
    if first.count(delimiter) >= limits.max_columns and any(first.split(delimiter)[limits.max_columns:]):
        raise _too_many_columns(limits, 1)  # before the csv module builds a row of them
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    first_line, filled = 1, 0
    try:
        for cells in reader:
            # A quoted cell may span lines; the user looks for the line where the record starts.
            record = [_csv_cell(c) for c in cells]
            if any(record):
                filled += 1
                _check_record(record, first_line, filled, limits)
            records.append((first_line, record))
            first_line = reader.line_num + 1
    except csv.Error as exc:
        raise _refuse("import_csv_unreadable", f"CSV 文件第 {first_line} 行格式错误：{exc}",
                      f"The CSV file is malformed at line {first_line}: {exc}") from None
    return _build_table(records, "csv", encoding)


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value).strip()


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip bomb from the archive's directory, before anything is decompressed.

    The sizes there are what zipfile (and so openpyxl) holds each member to: a member that
    inflates past its stated size fails its check instead of growing.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise _xlsx_unreadable() from None
    ratio, total_mb = limits.max_unzip_ratio, limits.max_unzipped_bytes // (1024 * 1024)
    if sum(m.file_size for m in members) > limits.max_unzipped_bytes:
        raise _refuse("import_xlsx_too_large",
                      f"工作簿解压后超过 {total_mb} MB 的上限，请拆分后分批导入",
                      f"The workbook unpacks to more than {total_mb} MB, the limit; split it and import in parts")
    for m in members:
        if m.file_size > _RATIO_FREE_BYTES and m.file_size > ratio * max(m.compress_size, 1):
            raise _refuse("import_xlsx_ratio",
                          f"工作簿中的“{m.filename[:60]}”压缩比超过 {ratio}:1 的上限，文件可能经过恶意构造；"
                          "请在 Excel 中另存为 .xlsx 或 CSV 后重试",
                          f"“{m.filename[:60]}” in the workbook is compressed more than {ratio}:1, the limit; "
                          "save the file again as .xlsx or CSV and retry")


def _read_xlsx(data: bytes, limits: Limits) -> Table:
    _check_zip(data, limits)
    try:
        # openpyxl warns about workbook features it drops (validation, styles); they do not
        # matter for reading values and must not reach the user as errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise _no_header()
                sheet = workbook.worksheets[0]
                # Some generators write a wrong <dimension>, which would cut columns off.
                sheet.reset_dimensions()
                records, filled = [], 0
                for n, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
                    if len(values) > limits.max_columns and any(v is not None for v in values[limits.max_columns:]):
                        raise _too_many_columns(limits, n)
                    record = [_xlsx_cell(v) for v in values[:limits.max_columns]]
                    if any(record):
                        filled += 1
                        _check_record(record, n, filled, limits)
                    records.append((n, record))
            finally:
                workbook.close()
    except DomainError:
        raise
    except Exception:  # openpyxl raises many types for damaged or foreign zip files
        raise _xlsx_unreadable() from None
    return _build_table(records, "xlsx", None)


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, list):
        return "; ".join(cell for cell in map(_json_cell, value) if cell)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _read_jsonl(text: str, encoding: str, limits: Limits) -> Table:
    objects: list[tuple[int, dict]] = []
    keys: set[str] = set()
    problems: list[tuple[int, str, str]] = []
    # Not splitlines(): JSON strings may legally hold U+2028 and other "line breaks".
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append((number, f"第 {number} 行不是有效的 JSON（第 {exc.colno} 列：{exc.msg}）",
                             f"Line {number} is not valid JSON (column {exc.colno}: {exc.msg})"))
            continue
        if not isinstance(obj, dict):
            problems.append((number, f"第 {number} 行不是 JSON 对象（应为 {{\"字段\": \"值\", …}}）",
                             f"Line {number} is not a JSON object (expected {{\"field\": \"value\", …}})"))
            continue
        keys.update(str(key).strip() for key in obj)
        if len(keys) > limits.max_columns:
            raise _too_many_columns(limits, number)
        if len(objects) >= limits.max_rows:
            raise _too_many_rows(limits)
        if any(len(_json_cell(v)) > limits.max_cell_chars for v in obj.values()):
            raise _cell_too_long(limits, number)
        objects.append((number, obj))
    headers = list(dict.fromkeys(str(key).strip() for _, obj in objects for key in obj))
    if not headers:
        raise _no_header("；没有任何一行是 JSON 对象", "; no line holds a JSON object")
    rows = []
    for number, obj in objects:
        cells = {str(key).strip(): _json_cell(value) for key, value in obj.items()}
        rows.append(Row(number, {h: cells.get(h, "") for h in headers}))
    return Table(headers, rows, "jsonl", encoding, problems)
