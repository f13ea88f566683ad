"""Procure to receive: placing and cancelling orders, receiving them in part or in full, and
budgets with committed and actual spend.

Receiving hardware creates the assets through the assets app's bulk importer (the one
bulk-write engine): in stock at the receiving location, with supplier, order number, cost
(the line's unit price), currency and purchase date (the receipt date) filled in, their
warranty and end of life from the model. A line for a model the stock app tracks by quantity
(an accessory, a consumable, a component) is instead a ``received`` line in the stock ledger
of the receiving storeroom, at the line's price, referenced by the order number. "Receive 50
laptops" is one call, one transaction, one audit event for the receipt plus one per asset.

Races: a line's received quantity grows by a conditional update that cannot pass the ordered
quantity (and a check constraint backs it), so two clerks receiving the last units at once
cannot both succeed; the status changes by conditional updates from the state it was read in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet

from assetgraph.accounts.permissions import authorize
from assetgraph.assets.importers import AssetImporter
from assetgraph.assets.models import Asset
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.org.models import Location
from assetgraph.stock.models import StockItem, StockMovement
from assetgraph.stock.services import receive_stock

from . import conf
from .choices import LineKindChoices, OrderStatusChoices
from .depreciation.calendar import fiscal_year_label, month_ordinal
from .models import AssetFinance, Budget, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from .money import rate_on

OPEN = (OrderStatusChoices.ORDERED, OrderStatusChoices.PARTIALLY_RECEIVED)


def _move(
    actor: Actor, order: PurchaseOrder, allowed: Iterable[str], to: str, action: str
) -> PurchaseOrder:
    with transaction.atomic():
        authorize(actor, "change", order)
        before = order.status
        moved = PurchaseOrder.objects.filter(pk=order.pk, status__in=list(allowed)).update(
            status=to
        )
        if not moved:
            current = PurchaseOrder.objects.get(pk=order.pk).status
            raise Conflict(
                f"status: a {current} order cannot be {action}", fields={"status": [current]}
            )
        order.refresh_from_db()
        record_event(actor, action, order, before={"status": before}, after={"status": to})
        return order


def place_order(actor: Actor, order: PurchaseOrder) -> PurchaseOrder:
    """Send a draft order to the supplier (draft → ordered); it needs at least one line."""
    if not order.lines.exists():
        raise ValidationFailed(
            "lines: an order needs at least one line", fields={"lines": ["empty"]}
        )
    return _move(actor, order, [OrderStatusChoices.DRAFT], OrderStatusChoices.ORDERED, "placed")


def cancel_order(actor: Actor, order: PurchaseOrder) -> PurchaseOrder:
    """Cancel a draft or an ordered order of which nothing was received."""
    if order.lines.filter(received_quantity__gt=0).exists():
        raise Conflict("status: part of this order was received; it cannot be cancelled")
    return _move(
        actor,
        order,
        [OrderStatusChoices.DRAFT, OrderStatusChoices.ORDERED],
        OrderStatusChoices.CANCELLED,
        "cancelled",
    )


@dataclass(frozen=True)
class ReceiptItem:
    """How many of one line arrived, with optional serial numbers (one per unit)."""

    line_id: int
    quantity: int
    serial_numbers: tuple[str, ...] = ()


def _status_after(order: PurchaseOrder) -> str:
    lines = list(order.lines.values_list("quantity", "received_quantity"))
    if all(received >= quantity for quantity, received in lines):
        return OrderStatusChoices.RECEIVED
    return OrderStatusChoices.PARTIALLY_RECEIVED


def _asset_rows(
    order: PurchaseOrder,
    line: PurchaseOrderLine,
    item: ReceiptItem,
    location: Location | None,
    received_on: dt.date,
) -> list[dict[str, str]]:
    rows = []
    for unit in range(item.quantity):
        rows.append(
            {
                "asset_tag": "",
                "model": f"#{line.asset_model_id}",
                "state": "in_stock",
                "location": f"#{location.pk}" if location else "",
                "supplier": f"#{order.supplier_id}",
                "order_number": order.number,
                "purchase_date": received_on.isoformat(),
                "cost": str(line.unit_price),
                "currency": order.currency,
                "serial_number": item.serial_numbers[unit]
                if unit < len(item.serial_numbers)
                else "",
            }
        )
    return rows


def _receive_into_stock(
    actor: Actor,
    order: PurchaseOrder,
    line: PurchaseOrderLine,
    item: ReceiptItem,
    stock_item: StockItem,
    location: Location | None,
) -> StockMovement:
    """A line for a model tracked by quantity (a headset, toner) is a ``received`` ledger line
    into the receiving storeroom, at the line's price, referenced by the order number; no
    assets are created. The storeroom is required and must be active (the stock service says
    so, naming the field)."""
    if item.serial_numbers:
        raise ValidationFailed(
            f"items: line {line.pk}: {stock_item} is tracked by quantity, without serial numbers",
            fields={"items": [f"line {line.pk}: no serial numbers"]},
        )
    if location is None:
        raise ValidationFailed(
            f"location: {stock_item} is stock: receive it into a storeroom",
            fields={"location": ["a storeroom is required"]},
        )
    return receive_stock(
        actor,
        stock_item,
        location,
        item.quantity,
        unit_cost=line.unit_price,
        currency=order.currency,
        reference=order.number,
        note=f"purchase order {order.number}, line {line.pk}",
    )


def _create_assets(actor: Actor, rows: list[dict[str, str]]) -> list[Asset]:
    """Write the received hardware through the assets importer (all or nothing)."""
    if not rows:
        return []
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    report = AssetImporter(actor).run(
        io.BytesIO(buffer.getvalue().encode()), "receipt.csv", dry_run=False
    )
    if not report.ok:
        problems = report.file_errors + [
            f"unit {r.number - 1}: {e}" for r in report.rows for e in r.errors
        ]
        raise ValidationFailed(f"assets: {problems[0]}", fields={"assets": problems[:20]})
    tags = [r.key for r in report.rows]
    return list(Asset.objects.filter(asset_tag__in=tags).order_by("pk"))


def _book_to_cost_centre(actor: Actor, assets: list[Asset], centre: int | None) -> None:
    """Received assets are booked to their line's cost centre (the order's when the line
    has none): their finance settings name it, one audit event per asset, so the
    register and the monthly run charge the right centre from day one. Part of receiving
    (authorised on the order), not a separate edit of finance settings."""
    if centre is None:
        return
    for asset in assets:
        settings = AssetFinance.objects.create(asset=asset, cost_centre_id=centre)
        record_event(actor, "create", settings, after=snapshot(settings))


def receive_order(
    actor: Actor,
    order: PurchaseOrder,
    items: Iterable[ReceiptItem],
    *,
    location: Location | None = None,
    received_on: dt.date | None = None,
) -> Receipt:
    """Receive part or all of an ordered order; hardware becomes assets in stock at
    ``location``. The order becomes partially received or received."""
    items = [item for item in items if item.quantity]
    received_on = received_on or dt.date.today()
    if not items:
        raise ValidationFailed("items: receive at least one unit", fields={"items": ["empty"]})
    with transaction.atomic():
        order = PurchaseOrder.objects.select_related("supplier").get(pk=order.pk)
        authorize(actor, "change", order)
        if order.status not in OPEN:
            raise Conflict(
                f"status: a {order.status} order cannot be received (place it first)",
                fields={"status": [order.status]},
            )
        lines = {line.pk: line for line in order.lines.select_related("asset_model")}
        receipt = Receipt.objects.create(
            order=order,
            received_on=received_on,
            received_by=str(actor.display)[:150],
            location=location,
        )
        summary: list[dict[str, Any]] = []
        for item in items:
            line = lines.get(item.line_id)
            if line is None:
                raise ValidationFailed(
                    f"items: line {item.line_id} is not on order {order.number}",
                    fields={"items": [f"unknown line {item.line_id}"]},
                )
            if item.quantity < 0 or len(item.serial_numbers) > item.quantity:
                raise ValidationFailed(
                    f"items: line {line.pk}: {len(item.serial_numbers)} serial numbers "
                    f"for {item.quantity} units",
                    fields={"items": ["bad quantity"]},
                )
            grown = PurchaseOrderLine.objects.filter(
                pk=line.pk, received_quantity__lte=F("quantity") - item.quantity
            ).update(received_quantity=F("received_quantity") + item.quantity)
            if not grown:
                left = line.quantity - PurchaseOrderLine.objects.get(pk=line.pk).received_quantity
                raise Conflict(
                    f"items: line {line.pk} has {left} left to receive, not {item.quantity}",
                    fields={"items": [f"line {line.pk}: {left} left"]},
                )
            receipt_line = ReceiptLine.objects.create(
                receipt=receipt, line=line, quantity=item.quantity
            )
            entry: dict[str, Any] = {"line": line.pk, "quantity": item.quantity}
            stock_item = (
                StockItem.objects.filter(model_id=line.asset_model_id).first()
                if line.kind == LineKindChoices.HARDWARE and line.asset_model_id
                else None
            )
            if stock_item is not None:
                entry["stock_movement"] = _receive_into_stock(
                    actor, order, line, item, stock_item, location
                ).pk
            elif line.kind == LineKindChoices.HARDWARE:
                assets = _create_assets(
                    actor, _asset_rows(order, line, item, location, received_on)
                )
                receipt_line.assets.set(assets)
                _book_to_cost_centre(actor, assets, line.cost_centre_id or order.cost_centre_id)
            summary.append(entry)
        before = order.status
        status = _status_after(order)
        PurchaseOrder.objects.filter(pk=order.pk, status=before).update(status=status)
        order.status = status
        record_event(
            actor,
            "receive",
            order,
            before={"status": before},
            after={"status": status, "received_on": received_on.isoformat(), "items": summary},
        )
        return receipt


# --- budgets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetStatus:
    """A budget with what open orders commit and what receipts spent, in its currency."""

    budget: Budget
    committed: Decimal
    actual: Decimal
    missing_rates: tuple[str, ...]

    @property
    def remaining(self) -> Decimal:
        return self.budget.amount - self.committed - self.actual

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.budget.pk,
            "cost_centre": str(self.budget.cost_centre),
            "fiscal_year": self.budget.fiscal_year,
            "currency": self.budget.currency,
            "amount": self.budget.amount,
            "committed": self.committed,
            "actual": self.actual,
            "remaining": self.remaining,
            "missing_rates": list(self.missing_rates),
        }


def budget_lines(budget: Budget) -> QuerySet[PurchaseOrderLine]:
    """The lines that may spend ``budget``, counted per line: those naming it, and those
    naming no budget whose cost centre (their own, else their order's) is the budget's.
    The fiscal year of the order date is checked by :func:`budget_status`."""
    centre = budget.cost_centre_id
    return PurchaseOrderLine.objects.filter(
        Q(budget=budget)
        | Q(budget__isnull=True, cost_centre=centre)
        | Q(budget__isnull=True, cost_centre__isnull=True, order__cost_centre=centre)
    )


def budget_status(budget: Budget) -> BudgetStatus:
    """Committed = the not-yet-received part of open orders; actual = what was received (at
    the line's unit price); both counted per line (:func:`budget_lines`: a line's own cost
    centre and budget win over its order's cost centre) for orders dated in the budget's
    fiscal year, converted to its currency at the order date's rate (a missing rate is
    flagged and the amount left out)."""
    start_month = conf.fiscal_year_start_month()
    committed = actual = Decimal(0)
    missing: set[str] = set()
    lines = (
        budget_lines(budget)
        .exclude(order__status__in=[OrderStatusChoices.DRAFT, OrderStatusChoices.CANCELLED])
        .select_related("order")
    )
    for line in lines:
        order = line.order
        year = fiscal_year_label(month_ordinal(order.order_date), start_month)
        if line.budget_id is None and year != budget.fiscal_year:
            continue
        rate = rate_on(order.currency, budget.currency, order.order_date)
        if rate is None:
            missing.add(order.currency)
            continue
        actual += line.received_quantity * line.unit_price * rate
        if order.status in OPEN:
            committed += (line.quantity - line.received_quantity) * line.unit_price * rate
    q = Decimal("0.01")
    return BudgetStatus(budget, committed.quantize(q), actual.quantize(q), tuple(sorted(missing)))


def parse_items(raw: Iterable[Mapping[str, Any]]) -> list[ReceiptItem]:
    """Receipt items from API/form data: ``[{"line_id", "quantity", "serial_numbers"}]``."""
    return [
        ReceiptItem(
            int(i["line_id"]), int(i.get("quantity") or 0), tuple(i.get("serial_numbers") or ())
        )
        for i in raw
    ]
