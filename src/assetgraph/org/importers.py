"""CSV/XLSX importers for people (key: employee number) and locations (key: path)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from assetgraph.core.importing import Importer, RowError, RowResult
from assetgraph.core.tabular import Row

from .choices import LocationKindChoices, PersonStatusChoices
from .models import PATH_SEPARATOR, CostCentre, Department, Location, Person


def _date(value: str, column: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise RowError(f"{value!r} is not a date (use YYYY-MM-DD)", column) from None


def _choice(
    value: str, choices: type[models.TextChoices], column: str, default: str | None = None
) -> str:
    if not value:
        if default is None:
            raise RowError("required", column)
        return default
    lowered = value.strip().lower()
    for choice_value, label in choices.choices:
        if lowered in {str(choice_value).lower(), str(label).lower()}:
            return str(choice_value)
    raise RowError(f"{value!r} is not one of {', '.join(choices.values)}", column)


class PersonImporter(Importer):
    """Upsert people by employee number; managers may be other rows of the same file."""

    model = Person
    key_column = "employee_number"
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

    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        found: dict[str, models.Model] = {}
        for start in range(0, len(keys), 900):
            for person in Person.objects.filter(employee_number__in=keys[start : start + 900]):
                found[person.employee_number] = person
        return found

    def order(self, rows: list[Row]) -> list[Row]:
        self._file_numbers = {r.values.get("employee_number", "") for r in rows}
        return rows

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        cells = row.values
        values: dict[str, Any] = {
            "employee_number": cells["employee_number"],
            "first_name": cells.get("first_name", ""),
            "last_name": cells.get("last_name", ""),
        }
        for name in ("email", "job_title", "phone"):
            if name in cells:
                values[name] = cells[name]
        if "department" in cells:
            values["department"] = self.ref(
                Department, cells["department"], "department", "name", "code"
            )
        if "cost_centre" in cells:
            values["cost_centre"] = self.ref(
                CostCentre, cells["cost_centre"], "cost_centre", "code", "name"
            )
        if "location" in cells:
            values["location"] = self.ref(Location, cells["location"], "location", "path")
        if "status" in cells:
            values["status"] = _choice(
                cells["status"], PersonStatusChoices, "status", PersonStatusChoices.ACTIVE
            )
        if "start_date" in cells:
            values["start_date"] = _date(cells["start_date"], "start_date")
        if "end_date" in cells:
            values["end_date"] = _date(cells["end_date"], "end_date")
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
                values["manager"] = self.ref(Person, manager, "manager", "employee_number", "email")
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
        Person.objects.bulk_update(changed + direct, ["manager"], batch_size=1000)
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
        values: dict[str, Any] = {
            "name": parts[-1],
            "parent": parent,
            "kind": _choice(cells.get("kind", ""), LocationKindChoices, "kind"),
        }
        for name in ("address", "city", "postcode", "country", "notes"):
            if name in cells:
                values[name] = cells[name].upper() if name == "country" else cells[name]
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
            Location.objects.bulk_create(level, batch_size=1000)
