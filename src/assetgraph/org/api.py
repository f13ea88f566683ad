"""REST endpoints of the organisation app beyond the generic ones of its resources."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.api.importjobs import queue_import
from assetgraph.api.schemas import JobAcceptedOut
from assetgraph.core.errors import NotFound

from .importers import LocationImporter, PersonImporter

router = Router(tags=["import"])

IMPORTERS = {"people": PersonImporter, "locations": LocationImporter}


@router.post(
    "/import/{kind}",
    response={202: JobAcceptedOut},
    tags=["import"],
    summary="Import people or locations from CSV/XLSX in a worker job (all-or-nothing)",
)
def import_file(
    request: HttpRequest, kind: str, file: UploadedFile = params.File(...), dry_run: bool = True
) -> Any:
    """Upsert from a file; with ``dry_run`` (the default) nothing is written.

    Answers 202 with the job; its report (``GET /api/jobs/{id}``) has the per-row plan
    (creates, updates with field diffs, unchanged) or the row-level errors, in which case
    nothing was written.
    """
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise NotFound(f"nothing to import called {kind!r} (use people or locations)")
    return queue_import(request, importer, kind, file, dry_run=dry_run)
