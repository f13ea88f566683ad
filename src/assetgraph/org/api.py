"""REST endpoints of the organisation app beyond the generic ones of its resources."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.api.schemas import ImportReportOut
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import NotFound

from .importers import LocationImporter, PersonImporter

router = Router(tags=["import"])

IMPORTERS = {"people": PersonImporter, "locations": LocationImporter}


@router.post(
    "/import/{kind}",
    response={200: ImportReportOut, 422: ImportReportOut},
    tags=["import"],
    summary="Import people or locations from CSV/XLSX (all-or-nothing; dry_run previews)",
)
def import_file(
    request: HttpRequest, kind: str, file: UploadedFile = params.File(...), dry_run: bool = True
) -> tuple[int, dict[str, Any]]:
    """Upsert from a file; with ``dry_run`` (the default) nothing is written.

    Answers 200 with the per-row plan (creates, updates with field diffs, unchanged) or 422
    with row-level errors, in which case nothing was written.
    """
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise NotFound(f"nothing to import called {kind!r} (use people or locations)")
    report = importer(Actor.from_request(request, Source.API)).run(
        file, file.name or "upload.csv", dry_run=dry_run
    )
    return (200 if report.ok else 422), report.as_dict()
