"""The worker's side of the receive page's CSV of serial numbers: a receipt of one row per
unit runs as a job (``assetgraph.framework.uploadjobs``, issue 15), as the user who sent the
file. It is an import (a file of any length, each row an asset to create), so it leaves the
request like every other import; a receipt typed into the form (a quantity per line) is one
small service call and stays in the request.

All or nothing: every bad row is named in the job's report and nothing is received; a good
file is one :func:`~assetgraph.finance.procurement.receive_order` call, whose audit events
carry the starting user and the job's id.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from assetgraph.accounts.permissions import get_object_or_404
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.framework.uploadjobs import StoredFile, upload_runner
from assetgraph.org.models import Location

from .models import PurchaseOrder, PurchaseOrderLine
from .procurement import ReceiptItem, receive_order

# A receipt's CSV: far more than any delivery's serial numbers (about 60,000 rows).
MAX_RECEIPT_CSV_BYTES = 2 * 1024 * 1024
# The rows an error report lists; the message still counts them all.
MAX_LISTED_ERRORS = 200


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(f"serials: {message}", fields={"serials": [message]})


def items_from_csv(content: bytes, lines: list[PurchaseOrderLine]) -> list[ReceiptItem]:
    """A receipt from a CSV: one row per unit with its ``serial_number``, and a ``line``
    column (the order line's id) unless the order has a single hardware line. Every bad row
    is named (``row N``, 1 = the header); any one refuses the whole file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse("the CSV is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
    except csv.Error as exc:
        raise _refuse(f"not a CSV file ({exc})") from None
    if "serial_number" not in columns:
        raise _refuse("the CSV needs a serial_number column")
    hardware = [line for line in lines if line.asset_model_id is not None]
    by_id = {str(line.pk): line for line in lines}
    serials: dict[int, list[str]] = {}
    errors: dict[str, list[str]] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            problem, line, serial = _row(raw, hardware, by_id)
            if problem:
                errors[f"row {number}"] = [problem]
            elif line is not None:
                serials.setdefault(line.pk, []).append(serial)
    except csv.Error as exc:
        raise _refuse(f"row {reader.line_num}: {exc}") from None
    if errors:
        first, problems = next(iter(errors.items()))
        listed = dict(list(errors.items())[:MAX_LISTED_ERRORS])
        raise ValidationFailed(
            f"serials: {first}: {problems[0]} ({len(errors)} bad row(s); nothing received)",
            fields=listed,
        )
    if not serials:
        raise _refuse("the CSV has no rows")
    return [ReceiptItem(pk, len(values), tuple(values)) for pk, values in serials.items()]


def _row(
    raw: dict[Any, Any], hardware: list[PurchaseOrderLine], by_id: dict[str, PurchaseOrderLine]
) -> tuple[str, PurchaseOrderLine | None, str]:
    """(problem, line, serial number) of one CSV row."""
    if None in raw:  # DictReader files surplus cells under the key None
        return "more cells than columns", None, ""
    row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
    serial = row.get("serial_number", "")
    if not serial:
        return "no serial number", None, ""
    key = row.get("line", "")
    if key:
        line = by_id.get(key)
        if line is None:
            return f"line {key} is not on this order", None, ""
        return "", line, serial
    if len(hardware) == 1:
        return "", hardware[0], serial
    return "give the line (the order has several hardware lines)", None, ""


@upload_runner
def receipt_csv(
    actor: Actor, files: dict[str, StoredFile], options: dict[str, Any]
) -> dict[str, Any]:
    """The receive page with a CSV of serial numbers: exactly its rows are received into
    ``location_id`` on ``received_on``; the order and location are looked up again as the
    sender (one they may no longer see is a 404 in the report)."""
    order = get_object_or_404(
        PurchaseOrder.objects.select_related("supplier"),
        actor.user,
        "change",
        pk=int(options["order_id"]),
    )
    location = None
    if options.get("location_id") is not None:
        location = get_object_or_404(
            Location.objects.all(), actor.user, "view", pk=int(options["location_id"])
        )
    with files["serials"].path.open("rb") as handle:
        content = handle.read(MAX_RECEIPT_CSV_BYTES + 1)
    if len(content) > MAX_RECEIPT_CSV_BYTES:
        raise _refuse("the CSV is larger than 2 MB")
    items = items_from_csv(content, list(order.lines.select_related("asset_model")))
    receipt = receive_order(
        actor,
        order,
        items,
        location=location,
        received_on=dt.date.fromisoformat(options["received_on"]),
    )
    order.refresh_from_db()
    return {
        "receipt_id": receipt.pk,
        "order_id": order.pk,
        "order": order.number,
        "status": order.status,
        "received_on": receipt.received_on.isoformat(),
        "received": sum(item.quantity for item in items),
    }


__all__ = ["MAX_RECEIPT_CSV_BYTES", "items_from_csv", "receipt_csv"]
