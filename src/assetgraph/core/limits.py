"""Limits on what an import file may make a worker do: bytes, rows, columns, cell length.

A file is checked while it is read, before it can cost much: an upload larger than the file
limit is refused before its body is read (413, by :class:`UploadLimitMiddleware`); an XLSX
archive is refused on the sizes its zip directory declares before any part is decompressed
(zip readers stop at the declared size, so a lying header cannot yield more), and on the row
count its sheet declares before a row is read; rows, columns and cells are counted as they
stream by. Every refusal says which limit was hit and which ``ASSETGRAPH_IMPORT_*`` variable
raises it. The same limits apply to CSV, XLSX and JSON, through the API, the UI and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

MB = 1024 * 1024
# Parts of an XLSX archive that readers load whole (not streamed like the sheets), and the
# most each may hold uncompressed: the shared-strings table becomes one Python string per
# entry, the other parts (styles, workbook, relationships) are small in every real workbook.
SHARED_STRINGS_MAX_BYTES = 32 * MB
MAX_SHARED_STRINGS = 500_000  # openpyxl reads ~80,000 a second, ~100 bytes of memory each
OTHER_XML_PART_MAX_BYTES = 16 * MB
# A real workbook has a few dozen parts; a zip of a million empty entries is a memory bomb of
# its own (the directory is read whole).
MAX_ARCHIVE_ENTRIES = 10_000
# Room for the multipart framing around an uploaded file.
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class ImportLimits:
    """The configured limits (``ASSETGRAPH_IMPORT_*``, see docs/imports.md)."""

    max_file_bytes: int
    max_uncompressed_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int


def import_limits() -> ImportLimits:
    """The limits in force (read each time, so tests and operators can change them)."""
    return ImportLimits(
        max_file_bytes=settings.ASSETGRAPH_IMPORT_MAX_FILE_SIZE,
        max_uncompressed_bytes=settings.ASSETGRAPH_IMPORT_MAX_UNCOMPRESSED_SIZE,
        max_rows=settings.ASSETGRAPH_IMPORT_MAX_ROWS,
        max_columns=settings.ASSETGRAPH_IMPORT_MAX_COLUMNS,
        max_cell_chars=settings.ASSETGRAPH_IMPORT_MAX_CELL_CHARS,
    )


def human_bytes(count: int) -> str:
    """``52428800`` → ``"50 MB"`` (binary megabytes, as the settings take them)."""
    if count >= MB:
        return f"{count / MB:.0f} MB" if count % MB == 0 else f"{count / MB:.1f} MB"
    return f"{count / 1024:.0f} KB" if count >= 1024 else f"{count} bytes"


def too_large_message(limits: ImportLimits, size: int) -> str:
    """The one wording of an over-size file, naming the variable that raises the limit."""
    return (
        f"the file is {human_bytes(size)}, over the import limit of "
        f"{human_bytes(limits.max_file_bytes)} (ASSETGRAPH_IMPORT_MAX_FILE_SIZE)"
    )


class UploadLimitMiddleware:
    """Refuse an upload larger than the import file limit before its body is read (413).

    Django spools any upload to a temporary file without a size limit of its own, and
    CSRF checking reads the body, so this runs before both: a 10 GB POST costs nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH"} and (request.content_type or "").startswith(
            "multipart/"
        ):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limits = import_limits()
            if length > limits.max_file_bytes + MULTIPART_OVERHEAD:
                return _too_large(request, too_large_message(limits, length))
        return self.get_response(request)


def _too_large(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {"error": {"code": "too_large", "message": message, "fields": {"file": [message]}}}
        response: HttpResponse = JsonResponse(body, status=413)
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"  # the unread body must not be taken for the next request
    return response
