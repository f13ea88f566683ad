"""Hostile import files, built in memory: zip bombs, sparse sheets, huge cells, deep JSON."""

# ruff: noqa: E501 - the OOXML boilerplate reads best one element per line

from __future__ import annotations

import io
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx(
    sheet_body: bytes | str,
    *,
    dimension: str | None = None,
    shared_strings: bytes | str = "",
) -> bytes:
    """A workbook whose first sheet holds ``sheet_body`` (the ``<sheetData>`` content)."""
    if isinstance(sheet_body, str):
        sheet_body = sheet_body.encode()
    head = SHEET_HEAD + (f'<dimension ref="{dimension}"/>' if dimension else "")
    sheet = head.encode() + b"<sheetData>" + sheet_body + b"</sheetData></worksheet>"
    if isinstance(shared_strings, str):
        shared_strings = shared_strings.encode()
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + shared_strings
        + b"</sst>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


def header_row() -> str:
    """The header of a people import (its required columns)."""
    cells = [("A1", "employee_number"), ("B1", "first_name"), ("C1", "last_name")]
    return '<row r="1">' + "".join(_inline(ref, text) for ref, text in cells) + "</row>"


def sparse_rows_bomb(last_row: int = 150_000_000, dimension: str | None = None) -> bytes:
    """Tiny file: a header, one row, and one cell at ``last_row``; a reader that fills the gap
    yields ``last_row`` empty rows (the 150-million-row sheet of the issue)."""
    body = header_row() + f'<row r="{last_row}">{_inline(f"A{last_row}", "x")}</row>'
    return xlsx(body, dimension=dimension)


def explicit_empty_rows_bomb(rows: int = 3_000_000) -> bytes:
    """Millions of explicit ``<row/>`` elements: ~16 bytes each uncompressed, far less
    compressed."""
    body = header_row().encode() + b"".join(b'<row r="%d"/>' % n for n in range(2, rows + 2))
    return xlsx(body)


def shared_strings_bomb(count: int = 5_000_000) -> bytes:
    """A shared-strings table of millions of one-letter strings (loaded whole by readers)."""
    return xlsx(header_row(), shared_strings=b"<si><t>a</t></si>" * count)


def huge_cell_xlsx(chars: int = 2_000_000) -> bytes:
    body = header_row() + f'<row r="2">{_inline("A2", "E1")}{_inline("B2", "x" * chars)}</row>'
    return xlsx(body)


def many_rows_csv(rows: int = 1_500_000) -> bytes:
    return b"employee_number,first_name\n" + b"E,x\n" * rows


def huge_cell_csv(chars: int = 200_000) -> bytes:
    return b"employee_number,first_name\nE1," + b"x" * chars + b"\n"


def deep_json(depth: int = 100_000) -> bytes:
    return b"[" + b'{"a":' * depth + b"1" + b"}" * depth + b"]"


def many_rows_json(rows: int = 3_000_000) -> bytes:
    return b"[" + b",".join([b"{}"] * rows) + b"]"
