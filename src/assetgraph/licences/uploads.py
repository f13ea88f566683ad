"""The worker's side of the licences imports (a SaaS console's seat list, as a file or a
JSON body; a licence server's concurrency log): each runs as a job
(``assetgraph.framework.uploadjobs``), as the user who sent it, and its report is what the
endpoint used to answer."""

from __future__ import annotations

import json
from typing import Any

from assetgraph.accounts.permissions import get_object_or_404
from assetgraph.core.actor import Actor
from assetgraph.framework.uploadjobs import StoredFile, upload_runner

from . import usage
from .models import Product


def _product(actor: Actor, product_id: int) -> Product:
    """The product, if the sender may still see it (404 in the report otherwise)."""
    return get_object_or_404(Product.objects.all(), actor.user, "view", pk=product_id)


@upload_runner
def usage_file(
    actor: Actor, files: dict[str, StoredFile], options: dict[str, Any]
) -> dict[str, Any]:
    """``POST /api/licences/usage/import-file``: all or nothing, a bad row names row and field."""
    product = _product(actor, int(options["product_id"]))
    upload = files["file"]
    rows = usage.parse_file(upload.path.read_bytes(), upload.filename)
    counts = usage.import_usage(actor, product, rows, replace=bool(options["replace"]))
    return {"product_id": product.pk, **counts}


@upload_runner
def usage_rows(
    actor: Actor, files: dict[str, StoredFile], options: dict[str, Any]
) -> dict[str, Any]:
    """``POST /api/licences/usage/import`` (a JSON body, stored as ``{"rows": [...]}``): all
    or nothing, a bad row names row and field."""
    product = _product(actor, int(options["product_id"]))
    with files["body"].path.open(encoding="utf-8") as handle:
        records = json.load(handle)["rows"]
    rows = usage.parse_rows(records)
    counts = usage.import_usage(actor, product, rows, replace=bool(options["replace"]))
    return {"product_id": product.pk, **counts}


@upload_runner
def concurrency_file(
    actor: Actor, files: dict[str, StoredFile], options: dict[str, Any]
) -> dict[str, Any]:
    """``POST /api/licences/usage/concurrency-file``: the samples behind the concurrent-users
    metric; all or nothing."""
    product = _product(actor, int(options["product_id"]))
    upload = files["file"]
    samples = usage.parse_concurrency_file(upload.path.read_bytes(), upload.filename)
    created = usage.record_concurrency(actor, product, samples)
    return {"product_id": product.pk, "created": created}
