"""The worker's side of the security feed imports (OSV/NVD advisories, CISA KEV and EPSS,
endoflife.date cycles): each runs as a job (``assetgraph.framework.uploadjobs``), as the user
who sent the files, and its report is what the endpoint used to answer synchronously."""

from __future__ import annotations

from typing import Any

from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.framework.uploadjobs import StoredFile, upload_runner

from . import eol, feeds, services
from .models import Advisory

# An endoflife.date document is a few KB; what is read of a larger upload (as before).
EOL_MAX_BYTES = 5 * 1024 * 1024


def _refused(exc: feeds.FeedError) -> ValidationFailed:
    return ValidationFailed(f"{exc.where}: {exc.message}", fields={exc.where: [exc.message]})


def _read(upload: StoredFile, limit: int) -> bytes:
    with upload.path.open("rb") as handle:
        return handle.read(limit)


@upload_runner
def advisories(
    actor: Actor, files: dict[str, StoredFile], options: dict[str, Any]
) -> dict[str, Any]:
    """``POST /api/security/advisories/import`` and the advisories page: all or nothing;
    then, with ``match``, matching for the imported advisories (``match_all``: for every
    advisory, as the page always did)."""
    upload = files["file"]
    data = _read(upload, feeds.MAX_FILE_BYTES + 1)
    try:
        outcome = feeds.parse_files(feeds.read_files(upload.filename, data))
    except feeds.FeedError as exc:
        raise _refused(exc) from None
    result = services.import_advisories(actor, outcome)
    body: dict[str, Any] = result.as_dict()
    if options.get("match_all"):
        body["matching"] = services.run_matching(actor).as_dict()
    elif options.get("match") and result.identifiers:
        ids = Advisory.objects.filter(identifier__in=result.identifiers).values_list(
            "pk", flat=True
        )
        body["matching"] = services.run_matching(actor, advisory_ids=list(ids)).as_dict()
    return body


@upload_runner
def exploit_data(
    actor: Actor, files: dict[str, StoredFile], options: dict[str, Any]
) -> dict[str, Any]:
    """``POST /api/security/advisories/exploit-data`` and the advisories page: a KEV catalogue
    and/or an EPSS CSV; with ``match`` (the page), matching then refreshes priorities."""
    kev, epss = files.get("kev"), files.get("epss")
    try:
        known = feeds.parse_kev(kev.path.read_bytes(), kev.filename) if kev else None
        scores = feeds.parse_epss(epss.path.read_bytes(), epss.filename) if epss else None
    except feeds.FeedError as exc:
        raise _refused(exc) from None
    body: dict[str, Any] = {"changed": services.import_exploit_data(actor, kev=known, epss=scores)}
    if options.get("match"):
        body["matching"] = services.run_matching(actor).as_dict()
    return body


@upload_runner
def cycles(actor: Actor, files: dict[str, StoredFile], options: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/security/eol/import`` and the end-of-life page: a product's release cycles
    (endoflife.date JSON)."""
    rows = eol.parse_cycles(_read(files["file"], EOL_MAX_BYTES))
    created, updated = eol.import_cycles(actor, options["product"], rows, options["names"])
    return {"created": created, "updated": updated}
