"""Reading and writing CSV, XLSX and JSON tables, safely.

Reading normalises headers (case, spaces, dashes) and yields one dict per row with its
spreadsheet row number, so import errors can name the row, within the import limits of
:mod:`assetgraph.core.limits` (file size, uncompressed size, rows, columns, cell length),
checked while the file streams. Writing escapes cells that a spreadsheet would run as a
formula (CSV injection), in CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from .limits import (
    MAX_ARCHIVE_ENTRIES,
    MAX_SHARED_STRINGS,
    OTHER_XML_PART_MAX_BYTES,
    SHARED_STRINGS_MAX_BYTES,
    ImportLimits,
    human_bytes,
    import_limits,
    too_large_message,
)

# What a spreadsheet may take as the start of a formula: the ASCII triggers, their full-width
# forms (Excel converts a full-width equals sign typed by an East Asian IME into "=", and some
# versions evaluate a stored one) and the small forms.
FORMULA_PREFIXES = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "\x00",
    "|",
    "%",
    "\uff1d",  # FULLWIDTH EQUALS SIGN
    "\uff0b",  # FULLWIDTH PLUS SIGN
    "\uff0d",  # FULLWIDTH HYPHEN-MINUS
    "\uff20",  # FULLWIDTH COMMERCIAL AT
    "\ufe62",  # SMALL PLUS SIGN
    "\ufe63",  # SMALL HYPHEN-MINUS
    "\ufe66",  # SMALL EQUALS SIGN
)
# Characters an XLSX (XML 1.0) cell cannot hold; values stored before input was checked may
# contain them, and an export must not fail on them.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_IMPORT_ROWS = 1_000_000  # the default of ASSETGRAPH_IMPORT_MAX_ROWS


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

    Numbers stay numbers; a string starting with a formula trigger (after any leading spaces,
    which some spreadsheets skip) gets a leading apostrophe, the OWASP-recommended escape that
    spreadsheets display but do not evaluate. Applied when writing, so values stored before
    any input check are escaped too.
    """
    if isinstance(value, str) and value.lstrip(" \u3000").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def xml_safe(text: str) -> str:
    """Replace the characters an XLSX cell cannot hold with U+FFFD (visible, not lost)."""
    return XML_ILLEGAL.sub("\ufffd", text)


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
    """Open a CSV, XLSX or JSON upload; return its normalised header and an iterator of rows.

    Every format is read within :func:`~assetgraph.core.limits.import_limits`: a file that
    would exceed them raises :class:`TableError` saying which limit and how to raise it, as
    soon as that is known (before reading, for sizes an archive declares).
    """
    limits = import_limits()
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return _read_xlsx(stream, limits)
    if lower.endswith((".csv", ".txt")):
        return _read_csv(stream, limits)
    if lower.endswith(".json"):
        return _read_json(stream, limits)
    raise TableError(f"{filename}: unsupported file type (use .csv, .xlsx or .json)")


def _read_bytes(stream: IO[bytes], limits: ImportLimits) -> bytes:
    """The whole file, refusing more than the file limit without reading past it."""
    size = getattr(stream, "size", None)
    if isinstance(size, int) and size > limits.max_file_bytes:
        raise TableError(too_large_message(limits, size))
    raw = stream.read(limits.max_file_bytes + 1)
    if len(raw) > limits.max_file_bytes:
        raise TableError(too_large_message(limits, len(raw) + len(stream.read())))
    return raw


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"the file is not UTF-8 text (byte {exc.start})") from exc


def sniff_dialect(text: str) -> Any:
    """The CSV dialect of a text (comma, semicolon or tab), Excel's by default."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _cell_limit_message(limits: ImportLimits, line: int) -> str:
    return (
        f"row {line}: a cell is longer than {limits.max_cell_chars:,} characters "
        "(ASSETGRAPH_IMPORT_MAX_CELL_CHARS)"
    )


def _rows_limit_message(limits: ImportLimits) -> str:
    return f"more than {limits.max_rows:,} rows (ASSETGRAPH_IMPORT_MAX_ROWS)"


def checked_csv_reader(
    text: str, dialect: Any, limits: ImportLimits | None = None
) -> Iterator[list[str]]:
    """``csv.reader`` over ``text``, within the limits: rows (counting blank ones, which cost
    time too), cells per row and characters per cell; parser errors become
    :class:`TableError` naming the line."""
    limits = limits or import_limits()
    # The csv module's own cap is process-wide; only ever raise it (to the configured limit),
    # and check the configured limit per cell ourselves.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_cell_chars + 1))
    last = limits.max_rows + 1  # the header is line 1
    if text.count("\n") > last and _csv_row_count(text, dialect, last) > last:
        # Refused before any row is processed: counting with the C parser alone is ~10x
        # faster than the caller's row loop would be up to the limit.
        raise TableError(_rows_limit_message(limits))
    reader = csv.reader(io.StringIO(text), dialect)
    longest = limits.max_cell_chars
    most_cells = limits.max_columns
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise TableError(_cell_limit_message(limits, reader.line_num)) from None
            raise TableError(f"row {reader.line_num}: not valid CSV ({exc})") from None
        if reader.line_num > last:
            raise TableError(_rows_limit_message(limits))
        if len(cells) > most_cells:
            raise TableError(
                f"row {reader.line_num}: more than {most_cells:,} columns "
                "(ASSETGRAPH_IMPORT_MAX_COLUMNS)"
            )
        if cells and max(map(len, cells)) > longest:
            raise TableError(_cell_limit_message(limits, reader.line_num))
        yield cells


def _csv_row_count(text: str, dialect: Any, most: int) -> int:
    """How many records a CSV text holds, counting no further than ``most + 1``."""
    try:
        return sum(1 for _ in itertools.islice(csv.reader(io.StringIO(text), dialect), most + 1))
    except csv.Error:
        return 0  # the checked reader reports the error with its line


def _read_csv(stream: IO[bytes], limits: ImportLimits) -> tuple[list[str], Iterator[Row]]:
    text = _decode(_read_bytes(stream, limits))
    reader = checked_csv_reader(text, sniff_dialect(text), limits)
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
            yield Row(
                number,
                {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)},
            )

    return header, rows()


def _read_xlsx(stream: IO[bytes], limits: ImportLimits) -> tuple[list[str], Iterator[Row]]:
    from openpyxl import load_workbook  # imported lazily: only imports need it

    raw = _read_bytes(stream, limits)
    check_xlsx_archive(io.BytesIO(raw), limits)
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise TableError(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})"
        ) from exc
    if not workbook.worksheets:
        raise TableError("the workbook has no sheet")
    sheet = workbook.worksheets[0]
    _check_dimension(sheet, limits)
    header_cells = next(
        sheet.iter_rows(max_row=1, values_only=True, max_col=limits.max_columns), ()
    )
    header = [normalise_header(_cell_text(h)) for h in header_cells]
    while header and not header[-1]:
        header.pop()
    if not header_cells:
        raise TableError("the first sheet is empty: a header row is required")
    _check_header(header)
    # Data rows are read only as wide as the header: cells beyond it are ignored anyway.
    values = sheet.iter_rows(min_row=2, values_only=True, max_col=len(header))
    longest = limits.max_cell_chars
    last = limits.max_rows + 1

    def rows() -> Iterator[Row]:
        try:
            # Rows the sheet skips are yielded empty by the reader: they count towards the
            # limit too, or a sheet with one cell at row 150,000,000 runs for minutes.
            for number, cells in enumerate(values, start=2):
                if number > last:
                    raise TableError(_rows_limit_message(limits))
                if not any(cells):
                    continue
                texts = [_cell_text(c) for c in cells]
                if not any(texts):
                    continue
                if max(map(len, texts)) > longest:
                    raise TableError(_cell_limit_message(limits, number))
                yield Row(
                    number,
                    {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(header) if h},
                )
        finally:
            workbook.close()

    return header, rows()


def _zip_entry_count(stream: IO[bytes]) -> int:
    """Entries a zip's end-of-central-directory record declares (-1 if not found).

    Read before :mod:`zipfile` builds an object per entry of the directory."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_size = min(size, 65_557)  # the record (22 bytes) plus the longest comment
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    stream.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return -1
    return int(struct.unpack("<H", tail[at + 10 : at + 12])[0])


def check_xlsx_archive(stream: IO[bytes], limits: ImportLimits | None = None) -> None:
    """Refuse an XLSX whose zip directory declares more than the limits allow.

    Decompressing never yields more than a member's declared size (:mod:`zipfile` stops
    there and checks the CRC), so these checks bound the work before any of it is done.
    """
    limits = limits or import_limits()
    _guard_openpyxl_dimension_scan()  # whoever opens the workbook next
    entries = _zip_entry_count(stream)
    if entries < 0:
        raise TableError("the file is not a readable XLSX workbook (not a zip archive)")
    if entries > MAX_ARCHIVE_ENTRIES or entries == 0xFFFF:
        raise TableError(f"the workbook has too many parts ({entries:,})")
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(f"the file is not a readable XLSX workbook ({exc})") from None
    finally:
        stream.seek(0)
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise TableError(
            f"the workbook expands to {human_bytes(total)} uncompressed, over the limit of "
            f"{human_bytes(limits.max_uncompressed_bytes)} "
            "(ASSETGRAPH_IMPORT_MAX_UNCOMPRESSED_SIZE)"
        )
    for member in members:
        name = member.filename.lower()
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            if _count_tags(stream, member, _ROW_TAG, limits.max_rows + 1):
                raise TableError(
                    f"a sheet has more than {limits.max_rows:,} data rows "
                    "(ASSETGRAPH_IMPORT_MAX_ROWS)"
                )
            continue
        if name.endswith("sharedstrings.xml") and _count_tags(
            stream, member, _STRING_TAG, MAX_SHARED_STRINGS
        ):
            raise TableError(
                f"the workbook shares more than {MAX_SHARED_STRINGS:,} distinct texts, which "
                "are read whole into memory; import this data as CSV instead"
            )
        if not name.endswith((".xml", ".rels")):
            continue  # media are never read
        cap = (
            SHARED_STRINGS_MAX_BYTES
            if name.endswith("sharedstrings.xml")
            else OTHER_XML_PART_MAX_BYTES
        )
        if member.file_size > cap:
            raise TableError(
                f"the workbook's part {member.filename} expands to "
                f"{human_bytes(member.file_size)}, over the {human_bytes(cap)} a part that is "
                "read whole may hold"
            )


def _guard_openpyxl_dimension_scan() -> None:
    """Make openpyxl's read-only sheets look for the dimension record in the sheet's head only.

    Opening a read-only sheet, openpyxl reads its ``<dimension>``; when there is none it
    parses the *whole* sheet into memory looking for it (it waits for ``</sheetData>``): a
    sheet of twenty million empty rows took 3.4 GB and a minute before a single row was read.
    The record, when present, precedes ``<sheetData>``, so stopping at its start loses
    nothing; without it the size is simply unknown and rows are counted as they stream.
    """
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse  # defusedxml when installed, as openpyxl

    if getattr(ReadOnlyWorksheet, "_assetgraph_guarded", False):
        return

    def _get_size(self: Any) -> None:
        source = self._get_source()
        try:
            for _event, element in iterparse(source, events=("start",)):
                if element.tag == DIMENSION_TAG:
                    ref = element.get("ref") or ""
                    dimension = SheetDimension(ref=ref) if ref else None
                    if dimension is not None:
                        boundaries = dimension.boundaries
                        self._min_column, self._min_row = boundaries[0], boundaries[1]
                        self._max_column, self._max_row = boundaries[2], boundaries[3]
                    return
                if element.tag == DATA_TAG:
                    return
        except Exception:  # an unreadable head: the size stays unknown, rows are counted
            return
        finally:
            source.close()

    ReadOnlyWorksheet._get_size = _get_size
    ReadOnlyWorksheet._assetgraph_guarded = True


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


def _count_tags(
    stream: IO[bytes], member: zipfile.ZipInfo, tag: re.Pattern[bytes], most: int
) -> bool:
    """Whether a part holds more than ``most`` elements of a tag, counted on its decompressed
    bytes (fast: no XML parsing) and stopping as soon as it does."""
    found = 0
    carry = b""
    with zipfile.ZipFile(stream) as archive, archive.open(member) as source:
        while chunk := source.read(1024 * 1024):
            window = carry + chunk
            cut = max(0, len(window) - 64)
            found += len(tag.findall(window, 0, cut))
            carry = window[cut:]
            if found > most:
                break
    stream.seek(0)
    return found + len(tag.findall(carry)) > most


def _check_dimension(sheet: Any, limits: ImportLimits) -> None:
    """Refuse a sheet whose recorded dimension exceeds the row or column limit.

    The dimension can be absent or wrong; rows are still counted as they stream."""
    try:
        max_row, max_column = sheet.max_row, sheet.max_column
    except (ValueError, TypeError):  # an unparsable dimension record: count while reading
        return
    if isinstance(max_row, int) and max_row > limits.max_rows + 1:
        raise TableError(
            f"the sheet declares {max_row - 1:,} data rows, more than {limits.max_rows:,} "
            "(ASSETGRAPH_IMPORT_MAX_ROWS)"
        )
    if isinstance(max_column, int) and max_column > max(limits.max_columns, 16_384):
        raise TableError(f"the sheet declares {max_column:,} columns")


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def json_cell(value: Any) -> str:
    """A JSON value as a cell: objects and arrays as JSON text, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _iter_json_array(text: str, limits: ImportLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    """The objects of a top-level JSON array, one at a time (never the whole list at once),
    with their 1-based positions; a clear :class:`TableError` for anything else."""
    decoder = json.JSONDecoder()
    whitespace = re.compile(r"[ \t\n\r]*")
    at = whitespace.match(text, 0).end()  # type: ignore[union-attr]
    if at == len(text):
        raise TableError("the file is empty: a JSON array of objects (one per row) is required")
    if text[at] != "[":
        try:
            top, _ = decoder.raw_decode(text, at)
        except (ValueError, RecursionError):
            raise TableError(
                "not valid JSON: the file must be a JSON array of objects (one per row)"
            ) from None
        raise TableError(
            f"the file is {_json_kind(top)}, not a JSON array of objects (one per row)"
        )
    at = whitespace.match(text, at + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", at):
        return
    position = 0
    while True:
        position += 1
        if position > limits.max_rows:
            raise TableError(_rows_limit_message(limits))
        try:
            item, at = decoder.raw_decode(text, at)
        except RecursionError:
            raise TableError(f"item {position}: nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise TableError(
                f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        if not isinstance(item, dict):
            raise TableError(
                f"item {position} is {_json_kind(item)}: every item of the array must be an "
                "object (one per row)"
            )
        yield position, item
        at = whitespace.match(text, at).end()  # type: ignore[union-attr]
        if text.startswith(",", at):
            at = whitespace.match(text, at + 1).end()  # type: ignore[union-attr]
            continue
        if text.startswith("]", at):
            rest = whitespace.match(text, at + 1).end()  # type: ignore[union-attr]
            if rest != len(text):
                line = text.count("\n", 0, rest) + 1
                raise TableError(f"not valid JSON at line {line}: text after the array")
            return
        line = text.count("\n", 0, at) + 1
        raise TableError(
            f"not valid JSON at line {line}: expected ',' or ']' after item {position}"
        )


def _read_json(stream: IO[bytes], limits: ImportLimits) -> tuple[list[str], Iterator[Row]]:
    """A JSON array of objects as a table: the header is every key in order of appearance;
    nested values (``attributes``) become JSON text cells. Read twice (keys, then rows) so
    that at most one object is held at a time."""
    text = _decode(_read_bytes(stream, limits))
    keys: dict[str, None] = {}
    for _, item in _iter_json_array(text, limits):
        keys.update(dict.fromkeys(item))
        if len(keys) > limits.max_columns:
            raise TableError(
                f"more than {limits.max_columns:,} distinct keys (ASSETGRAPH_IMPORT_MAX_COLUMNS)"
            )
    if not keys:
        raise TableError("the array has no objects with keys: nothing to import")
    header = [normalise_header(k) for k in keys]
    _check_header(header)
    longest = limits.max_cell_chars

    def rows() -> Iterator[Row]:
        for position, item in _iter_json_array(text, limits):
            cells = {h: json_cell(item.get(k)).strip() for h, k in zip(header, keys, strict=True)}
            if not any(cells.values()):
                continue
            if max(map(len, cells.values())) > longest:
                raise TableError(_cell_limit_message(limits, position + 1))
            yield Row(position + 1, cells)  # numbered like a CSV: the header is line 1

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
    sheet = workbook.create_sheet(title=re.sub(r"[\\/*?:\[\]]", "-", title)[:31] or "export")
    sheet.append([xml_safe(str(h)) for h in header])
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
                cells.append(escape_cell(xml_safe(str(value))))
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
