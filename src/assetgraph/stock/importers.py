"""CSV/XLSX import of stock receipts and opening balances through the bulk engine.

Each row is one ``received`` ledger line into a storeroom: ``line_key`` (unique: re-running a
file never doubles stock, a key already posted is a row error), ``item`` (name or ``#id``),
``storeroom`` (name or ``#id``), ``quantity`` and optionally ``unit_cost``, ``currency``,
``reference`` and ``note``. All rows are checked first; any error writes nothing. Applying
inserts the lines in bulk and adds them to the balance table in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django.utils import timezone

from assetgraph.core.tabular import Row
from assetgraph.framework.importing import Importer, RowError, insert_rows

from .choices import MovementReasonChoices
from .models import StockItem, StockMovement, Storeroom
from .services.ledger import Holder, _give


class OpeningBalanceImporter(Importer):
    """Receipts / opening balances: ``assetgraph import stock-movements file.csv``."""

    model = StockMovement
    key_column = "line_key"
    required_columns = ("item", "storeroom", "quantity")
    optional_columns = ("unit_cost", "currency", "reference", "note")

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        cells = row.values
        if cells["line_key"] in self.existing_objects:
            raise RowError("already posted (the ledger is append-only)", "line_key")
        item = cast(StockItem | None, self.ref(StockItem, cells.get("item", ""), "item", "name"))
        if item is None:
            raise RowError("required", "item")
        room = cast(
            Storeroom | None,
            self.ref(Storeroom, cells.get("storeroom", ""), "storeroom", "name"),
        )
        if room is None:
            raise RowError("required", "storeroom")
        if not room.active:
            raise RowError(f"{room.name} is not active", "storeroom")
        raw = cells.get("quantity", "").strip()
        if not raw.isdigit() or int(raw) < 1:
            raise RowError("a whole number of at least 1", "quantity")
        values = self.cell_values(cells, ("unit_cost", "currency", "reference", "note"))
        if "currency" in values:
            values["currency"] = values["currency"].upper()
        if values.get("unit_cost") is None and item.unit_cost is not None:
            values["unit_cost"], values["currency"] = item.unit_cost, item.currency
        values.update(
            item=item,
            to_location_id=room.location_id,
            quantity=int(raw),
            reason=MovementReasonChoices.RECEIVED,
            line_key=cells["line_key"],
            occurred_at=timezone.now(),
            recorded_by=self.actor.display[:150],
        )
        return values, {}

    def bulk_create(self, instances: list[Any]) -> None:
        insert_rows(StockMovement, instances)
        totals: dict[tuple[int, int], int] = defaultdict(int)
        for line in instances:
            totals[(line.item_id, line.to_location_id)] += line.quantity
        items = StockItem.objects.in_bulk([item_id for item_id, _ in totals])
        for (item_id, location_id), quantity in totals.items():
            _give(items[item_id], Holder("location", location_id), quantity)
