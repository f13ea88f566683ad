"""The maintenance log: repairs, upgrades, inspections and warranty claims of an asset.

"Sent for repair" uses the assets lifecycle (``send_to_repair`` → ``in_repair``, and
``return_from_repair`` → back in stock) and opens a repair record in the same transaction;
the return closes it with its cost. An asset in use is checked in first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.assets.choices import AssetStateChoices
from assetgraph.assets.models import Asset
from assetgraph.assets.services import check_in_asset, transition_asset
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, full_clean, update_instance
from assetgraph.org.models import Company

from ..choices import MaintenanceKindChoices as Kind
from ..models import MaintenanceRecord

CENT = Decimal("0.01")


def create_maintenance(actor: Actor, values: Mapping[str, Any]) -> MaintenanceRecord:
    """Log maintenance done to an asset (no state change: see :func:`send_for_repair`)."""
    return create_instance(actor, MaintenanceRecord, values)


def update_maintenance(
    actor: Actor,
    record: MaintenanceRecord,
    changes: Mapping[str, Any],
    *,
    expected_etag: str | None = None,
) -> MaintenanceRecord:
    """Correct a maintenance record (cost, dates, supplier…)."""
    return update_instance(actor, record, changes, expected_etag=expected_etag)


def delete_maintenance(actor: Actor, record: MaintenanceRecord) -> None:
    """Delete a mistaken record; an open repair is closed by returning the asset instead."""
    if record.in_repair and record.completed is None:
        raise Conflict("this repair is open: return the asset from repair to close it")
    delete_instance(actor, record)


def send_for_repair(
    actor: Actor,
    asset: Asset,
    *,
    title: str,
    supplier: Company | None = None,
    kind: str = Kind.REPAIR,
    notes: str = "",
) -> MaintenanceRecord:
    """Move the asset to the repair state (checking it in first if it is in use) and open a
    repair record; one transaction, audited on the asset and the record."""
    if kind not in (Kind.REPAIR, Kind.WARRANTY_CLAIM):
        raise ValidationFailed(
            "kind: only a repair or a warranty claim sends an asset away",
            fields={"kind": ["repair or warranty_claim"]},
        )
    if not title.strip():
        raise ValidationFailed("title: say what is wrong", fields={"title": ["required"]})
    with transaction.atomic():
        current = Asset.objects.get(pk=asset.pk)
        if current.state == AssetStateChoices.IN_USE:
            current = check_in_asset(
                actor, current, condition_notes=f"sent for repair: {title}", defective=True
            )
        transition_asset(actor, current, "send_to_repair", reason=title)
        record = MaintenanceRecord(
            asset=current,
            kind=kind,
            title=title,
            supplier=supplier,
            started=timezone.localdate(),
            notes=notes,
        )
        authorize(actor, "add", record)
        full_clean(record)
        record.in_repair = True
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError as exc:  # the one-open-repair index: a race we lost
            raise Conflict(
                f"{current.asset_tag} is already at repair", code="concurrent_change"
            ) from exc
        record_event(actor, "create", record, after=snapshot(record))
        return record


def return_from_repair(
    actor: Actor,
    asset: Asset,
    *,
    cost: Decimal | None = None,
    currency: str = "",
    warranty_covered: bool = False,
    defective: bool = False,
    notes: str = "",
) -> MaintenanceRecord:
    """Bring the asset back into stock (available, or still defective) and close its open
    repair record with the cost and whether the warranty covered it."""
    with transaction.atomic():
        record = MaintenanceRecord.objects.filter(
            asset_id=asset.pk, in_repair=True, completed__isnull=True
        ).first()
        if record is None:
            raise Conflict(f"{asset.asset_tag} has no open repair", code="transition_not_allowed")
        transition_asset(
            actor, asset, "return_from_repair", substate="defective" if defective else "available"
        )
        changes: dict[str, Any] = {
            "completed": timezone.localdate(),
            "cost": cost,
            "currency": currency,
            "warranty_covered": warranty_covered,
        }
        if notes:
            changes["notes"] = f"{record.notes}\n{notes}".strip()
        return update_instance(actor, record, changes, action="return_from_repair")


def maintenance_costs(
    asset_id: int, *, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Decimal]:
    """An asset's maintenance spend per currency (``{"EUR": Decimal("180.00")}``), from
    records started in ``[start, end]``; warranty-covered work costs the company nothing and
    is left out. The function finance's TCO calls."""
    records = MaintenanceRecord.objects.filter(
        asset_id=asset_id, cost__isnull=False, warranty_covered=False
    )
    if start is not None:
        records = records.filter(started__gte=start)
    if end is not None:
        records = records.filter(started__lte=end)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, total in records.values_list("currency").annotate(total=Sum("cost")).order_by():
        totals[currency] += Decimal(total)
    return {k: v.quantize(CENT) for k, v in totals.items()}


def monthly_maintenance_costs(start: dt.date, end: dt.date) -> dict[int, dict[str, Decimal]]:
    """Every asset's maintenance spend per currency from records started in ``[start, end]``,
    warranty-covered work left out: ``{asset_id: {"EUR": Decimal("180.00")}}``. One GROUP BY;
    it is finance's ``maintenance`` cost source (service costs and their roll-up)."""
    records = MaintenanceRecord.objects.filter(
        cost__isnull=False, warranty_covered=False, started__gte=start, started__lte=end
    ).exclude(currency="")
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows = records.values_list("asset_id", "currency").annotate(total=Sum("cost")).order_by()
    for asset_id, currency, total in rows:
        out[asset_id][currency] = Decimal(total).quantize(CENT)
    return dict(out)
