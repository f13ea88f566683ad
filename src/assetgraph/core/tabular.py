"""Reading and writing CSV and XLSX tables, safely.

Reading normalises headers (case, spaces, dashes) and yields one dict per row with its
spreadsheet row number, so import errors can name the row. Writing escapes cells that a
spreadsheet would run as a formula (CSV injection), in CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "|", "%")
MAX_IMPORT_ROWS = 1_000_000


class TableError(ValueError):
    """The file cannot be read as a table (bad format, no header, too large)."""


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based line number in the file (header is line 1) and its cells."""

    number: int
    values: dict[str, str]


def normalise_header(name: str) -> str:
    """``"Employee Number"`` and ``"employee-number"`` both become ``employee_number``."""
    return "_".join(name.strip().lower().replace("-", " ").replace("/", " ").split())


def escape_cell(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would evaluate as a formula.

    Numbers stay numbers; a string starting with a formula trigger gets a leading apostrophe,
    the OWASP-recommended escape that spreadsheets display but do not evaluate.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(stream: IO[bytes], filename: str) -> tuple[list[str], Iterator[Row]]:
    """Open a CSV or XLSX upload; return its normalised header and an iterator of rows."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return _read_xlsx(stream)
    if lower.endswith((".csv", ".txt")):
        return _read_csv(stream)
    raise TableError(f"{filename}: unsupported file type (use .csv or .xlsx)")


def _read_csv(stream: IO[bytes]) -> tuple[list[str], Iterator[Row]]:
    raw = stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header_cells = next(reader)
    except StopIteration:
        raise TableError("the file is empty: a header row is required") from None
    header = [normalise_header(h) for h in header_cells]
    _check_header(header)

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if number > MAX_IMPORT_ROWS + 1:
                raise TableError(f"more than {MAX_IMPORT_ROWS} rows")
            yield Row(
                number,
                {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)},
            )

    return header, rows()


def _read_xlsx(stream: IO[bytes]) -> tuple[list[str], Iterator[Row]]:
    from openpyxl import load_workbook  # imported lazily: only imports need it

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise TableError(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})"
        ) from exc
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header_cells = next(values)
    except StopIteration:
        raise TableError("the first sheet is empty: a header row is required") from None
    header = [normalise_header(_cell_text(h)) for h in header_cells]
    while header and not header[-1]:
        header.pop()
    _check_header(header)

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(values, start=2):
            texts = [_cell_text(c) for c in cells]
            if not any(texts):
                continue
            yield Row(
                number, {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(header) if h}
            )

    return header, rows()


def _check_header(header: Sequence[str]) -> None:
    if not any(header):
        raise TableError("the header row is empty")
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise TableError(f"column {name!r} appears twice in the header")
        seen.add(name)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Render rows as UTF-8 CSV (with BOM, so spreadsheets detect the encoding)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_cell(_cell_text(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "export"
) -> bytes:
    """Render rows as an XLSX workbook; text cells are formula-escaped, numbers stay numeric."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "export")
    sheet.append(list(header))
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, bool) or value is None:
                cells.append(_cell_text(value))
            elif isinstance(value, int | float | Decimal):
                cells.append(value)
            elif isinstance(value, dt.datetime):
                cells.append(value.replace(tzinfo=None) if value.tzinfo else value)
            elif isinstance(value, dt.date):
                cells.append(value)
            else:
                cells.append(escape_cell(str(value)))
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
