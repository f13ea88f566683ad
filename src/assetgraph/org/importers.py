"""CSV/XLSX importers for people (key: employee number) and locations (key: path)."""

from __future__ import annotations

from typing import Any

from django.db import models

from assetgraph.core.batching import UPDATE_BATCH
from assetgraph.core.tabular import Row
from assetgraph.framework.importing import Importer, RowError, RowResult

from .models import PATH_SEPARATOR, Location, Person

# Every person column but the manager, who may be another row of the same file.
PERSON_CELLS = (
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "job_title",
    "phone",
    "department",
    "cost_centre",
    "location",
    "status",
    "start_date",
    "end_date",
)


class PersonImporter(Importer):
    """Upsert people by employee number; managers may be other rows of the same file."""

    model = Person
    key_column = "employee_number"
    lookups = {
        "department": ("name", "code"),
        "cost_centre": ("code", "name"),
        "location": ("path",),
        "manager": ("employee_number", "email"),
    }
    required_columns = ("first_name", "last_name")
    optional_columns = (
        "email",
        "job_title",
        "phone",
        "department",
        "cost_centre",
        "manager",
        "location",
        "status",
        "start_date",
        "end_date",
    )

    def order(self, rows: list[Row]) -> list[Row]:
        self._file_numbers = {r.values.get("employee_number", "") for r in rows}
        return rows

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        cells = row.values
        values = self.cell_values(cells, PERSON_CELLS)
        values.setdefault("first_name", "")
        values.setdefault("last_name", "")
        deferred: dict[str, Any] = {}
        if "manager" in cells:
            manager = cells["manager"]
            if manager == cells["employee_number"]:
                raise RowError("a person cannot manage themselves", "manager")
            if manager and manager in self._file_numbers and manager not in self.existing_objects:
                deferred["manager"] = (
                    manager  # a new person of this file: linked once every row exists
                )
            else:
                values.update(self.cell_values(cells, ("manager",)))
        return values, deferred

    def deferred_fields(self) -> set[str]:
        return {"manager"}

    def apply_deferred(self, results: list[RowResult]) -> list[models.Model]:
        by_number = {
            r.instance.employee_number: r.instance for r in results if r.instance is not None
        }
        changed = []
        for result in results:
            number = result.deferred.get("manager")
            if number:
                result.instance.manager = by_number[number]
                changed.append(result.instance)
        direct = [
            r.instance
            for r in results
            if r.action == "update" and "manager" in r.changes and "manager" not in r.deferred
        ]
        Person.objects.bulk_update(changed + direct, ["manager"], batch_size=UPDATE_BATCH)
        return changed


class LocationImporter(Importer):
    """Upsert locations by path (``Region / Site / Building``); parents may be earlier rows."""

    model = Location
    key_column = "path"
    required_columns = ("kind",)
    optional_columns = ("address", "city", "postcode", "country", "notes")

    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        normalised = [self._normalise(k) for k in keys]
        return {loc.path: loc for loc in Location.objects.filter(path__in=normalised)}

    @staticmethod
    def _normalise(path: str) -> str:
        return PATH_SEPARATOR.join(part.strip() for part in path.split("/") if part.strip())

    def order(self, rows: list[Row]) -> list[Row]:
        for row in rows:
            row.values["path"] = self._normalise(row.values.get("path", ""))
        self._planned: dict[str, Location] = {}
        return sorted(rows, key=lambda r: r.values["path"].count(PATH_SEPARATOR))

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        cells = row.values
        parts = cells["path"].split(PATH_SEPARATOR)
        parent = None
        if len(parts) > 1:
            parent_path = PATH_SEPARATOR.join(parts[:-1])
            parent = (
                self._planned.get(parent_path) or Location.objects.filter(path=parent_path).first()
            )
            if parent is None:
                raise RowError(
                    f"parent {parent_path!r} does not exist and is not in the file", "path"
                )
        values: dict[str, Any] = {"name": parts[-1], "parent": parent}
        values.update(self.cell_values(cells, ("kind", *self.optional_columns)))
        if "country" in values:
            values["country"] = values["country"].upper()
        return values, {}

    def prepare(self, instance: models.Model) -> None:
        assert isinstance(instance, Location)
        if instance.parent is not None and instance.parent.pk is None:
            # Parent is planned in this file: validate against it, link after it is saved.
            instance.path = f"{instance.parent.path}{PATH_SEPARATOR}{instance.name}"
        else:
            instance.path = instance.compute_path()
        self._planned[instance.path] = instance

    def bulk_create(self, instances: list[Any]) -> None:
        by_depth: dict[int, list[Location]] = {}
        for location in instances:
            by_depth.setdefault(location.path.count(PATH_SEPARATOR), []).append(location)
        for depth in sorted(by_depth):
            level = by_depth[depth]
            for location in level:
                if location.parent is not None:
                    location.parent_id = location.parent.pk
            Location.objects.bulk_create(level)
