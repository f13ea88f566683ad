"""CSV/XLSX asset import: upsert by asset tag, else by serial number + manufacturer.

Rows without a tag that match no existing serial get a generated tag when applied (the dry
run shows ``(generated)``). References (model, location, supplier) resolve by name or id;
custom fields are ``attr.<key>`` columns. All rows are checked first; any error writes nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import models
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.attributes import clean_attributes
from assetgraph.core.batching import in_batches
from assetgraph.core.errors import ValidationFailed
from assetgraph.core.tabular import Row
from assetgraph.framework.importing import Importer, RowError, RowResult, insert_rows

from .choices import AssetStateChoices
from .lifecycle import INITIAL_STATES, SUBSTATES
from .models import Asset, AssetModel, CustomField
from .services.register import definitions_for, next_asset_tags

GENERATED = "(generated)"
# Columns read by their field's rule (text as written, dates, the cost) or lookups.
CELLS = (
    "serial_number",
    "name",
    "order_number",
    "invoice_number",
    "notes",
    "location",
    "supplier",
    "purchase_date",
    "warranty_end",
    "eol_date",
    "cost",
    "currency",
)


# Accepted spellings of the initial states: the value or the label, any case, spaces or "_".
_INITIAL_STATE_NAMES = {
    name: str(choice)
    for choice in INITIAL_STATES
    for name in (str(choice), str(AssetStateChoices(choice).label).lower().replace(" ", "_"))
}


def _state(value: str) -> str:
    found = _INITIAL_STATE_NAMES.get(value.strip().lower().replace(" ", "_"))
    if found is None:
        raise RowError(
            f"{value!r}: new assets start on_order or in_stock (use a transition afterwards)",
            "state",
        )
    return found


class AssetImporter(Importer):
    """Upsert assets; the CLI (``assetgraph import assets``), API and UI all use this."""

    model = Asset
    key_column = "asset_tag"
    lookups = {"location": ("path", "name"), "supplier": ("name",)}
    required_columns = ("model",)
    optional_columns = (
        "serial_number",
        "name",
        "state",
        "location",
        "supplier",
        "order_number",
        "invoice_number",
        "purchase_date",
        "cost",
        "currency",
        "warranty_end",
        "eol_date",
        "notes",
    )

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.fields = list(CustomField.objects.all())
        # The accepted columns depend on the custom fields defined in the database; the base
        # class reads them through ``self``, so an instance attribute is the extension point.
        self.optional_columns = (  # type: ignore[misc,assignment]
            *type(self).optional_columns,
            *(f"attr.{f.key}" for f in self.fields),
        )
        self._definitions: dict[int, list[CustomField]] = {}
        self._generated: set[str] = set()
        self._serials: dict[tuple[int, str], str] = {}
        self._seen_serials: dict[tuple[int, str], int] = {}
        self._today = timezone.localdate()
        self._clean_attributes: dict[tuple[Any, ...], dict[str, Any]] = {}

    def _model(self, row: Row) -> AssetModel | None:
        try:
            found = self.ref(
                AssetModel, row.values.get("model", ""), "model", "name", "model_number"
            )
            return cast(AssetModel | None, found)
        except RowError:
            return None

    def order(self, rows: list[Row]) -> list[Row]:
        """Give every row its key: its tag, the tag of the asset with its serial, or a new one."""
        serials = sorted({r.values["serial_number"] for r in rows if r.values.get("serial_number")})
        for chunk in in_batches(serials):
            for manufacturer, serial, tag in Asset.objects.filter(
                serial_number__in=chunk
            ).values_list("manufacturer_id", "serial_number", "asset_tag"):
                self._serials[(manufacturer, serial)] = tag
        for row in rows:
            if row.values.get("asset_tag", "").strip():
                row.values["asset_tag"] = row.values["asset_tag"].strip()
                continue
            model = self._model(row)
            serial = row.values.get("serial_number", "")
            found = self._serials.get((model.manufacturer_id, serial)) if model and serial else None
            if found:
                row.values["asset_tag"] = found
            else:
                key = f"(new row {row.number})"
                row.values["asset_tag"] = key
                self._generated.add(key)
        return rows

    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        found: dict[str, models.Model] = {}
        real = [k for k in keys if k not in self._generated]
        for chunk in in_batches(real):
            for asset in Asset.objects.filter(asset_tag__in=chunk):
                found[asset.asset_tag] = asset
        return found

    def definitions(self, category_id: int) -> list[CustomField]:
        if category_id not in self._definitions:
            self._definitions[category_id] = definitions_for(category_id)
        return self._definitions[category_id]

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        cells = row.values
        key = cells["asset_tag"]
        current = self.existing_objects.get(key)
        assert current is None or isinstance(current, Asset)
        model = self.ref(AssetModel, cells.get("model", ""), "model", "name", "model_number")
        if model is None:
            raise RowError("required", "model")
        values: dict[str, Any] = {
            "model": model,
            "asset_tag": GENERATED if key in self._generated else key,
        }
        values.update(self.cell_values(cells, CELLS))
        if "currency" in values:
            values["currency"] = values["currency"].upper()
        self._state(values, cells, current)
        self._attributes(values, cells, current, model)
        serial = values.get("serial_number", current.serial_number if current else "")
        if serial:
            pair = (model.manufacturer_id, serial)
            owner = self._serials.get(pair)
            if owner is not None and owner != key:
                raise RowError(
                    f"{serial!r} is already the serial number of {owner}", "serial_number"
                )
            if pair in self._seen_serials:
                raise RowError(
                    f"{serial!r} already appears on row {self._seen_serials[pair]}", "serial_number"
                )
            self._seen_serials[pair] = row.number
        return values, {}

    def _state(self, values: dict[str, Any], cells: dict[str, str], current: Asset | None) -> None:
        raw = cells.get("state", "")
        if current is not None:
            if raw and _state_or_none(raw) != current.state:
                raise RowError("use a transition to change the state of an existing asset", "state")
            return
        state = _state(raw) if raw else AssetStateChoices.IN_STOCK
        values["state"] = state
        allowed = SUBSTATES[state]
        values["substate"] = allowed[0] if allowed else ""
        if state == AssetStateChoices.IN_STOCK:
            values["received_date"] = self._today

    def _attributes(
        self,
        values: dict[str, Any],
        cells: dict[str, str],
        current: Asset | None,
        model: AssetModel,
    ) -> None:
        given = {k[5:]: v for k, v in cells.items() if k.startswith("attr.")}
        definitions = self.definitions(model.category_id)
        keys = {d.key for d in definitions}
        # A blank cell for a field this category does not have is not an error: one file may
        # mix categories.
        given = {k: v for k, v in given.items() if k in keys or v}
        # New assets: a file repeats the same few cell combinations, so each is validated
        # once per category (the result is copied: every asset owns its dict).
        memo_key = (model.category_id, tuple(sorted(given.items()))) if current is None else None
        if memo_key is not None and memo_key in self._clean_attributes:
            values["attributes"] = dict(self._clean_attributes[memo_key])
            return
        try:
            cleaned = clean_attributes(
                definitions,
                given,
                current=current.attributes if current else None,
                partial=current is not None,
            )
        except ValidationFailed as exc:
            name, messages = next(iter(exc.fields.items()))
            raise RowError(messages[0], name.replace("attributes.", "attr.")) from None
        if memo_key is not None and len(self._clean_attributes) < 10_000:
            self._clean_attributes[memo_key] = dict(cleaned)
        values["attributes"] = cleaned

    def prepare(self, instance: models.Model) -> None:
        assert isinstance(instance, Asset)
        instance.apply_model_defaults()

    def bulk_create(self, instances: list[Any]) -> None:
        generated = [a for a in instances if a.asset_tag == GENERATED]
        for asset, tag in zip(generated, next_asset_tags(len(generated)), strict=True):
            asset.asset_tag = tag
        insert_rows(Asset, instances)

    def apply(self, results: list[RowResult], job_id: str, progress: Any = None) -> None:
        super().apply(results, job_id, progress)
        for result in results:
            if result.key in self._generated and result.instance is not None:
                result.key = result.instance.asset_tag


def _state_or_none(raw: str) -> str | None:
    try:
        return _state(raw)
    except RowError:
        lowered = raw.strip().lower().replace(" ", "_")
        return lowered if lowered in AssetStateChoices.values else None
