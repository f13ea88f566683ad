"""CSV/XLSX/JSON imports of CIs (upserted by their class's identification key) and
relationships (by their two ends and type), on the all-or-nothing :class:`Importer` engine.

The engine keys rows by one column; a CI's identity spans a class and one or more attribute
columns, so :meth:`order` derives a synthetic ``identity`` (``Server: serial_number=ABC``,
falling back to the name when the class has no identification key or the row lacks it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import IO, Any

from django.db import models

from assetgraph.core.attributes import clean_attributes, coerce, public_values
from assetgraph.core.errors import ValidationFailed
from assetgraph.core.importing import Importer, RowError
from assetgraph.core.tabular import Row
from assetgraph.org.models import Department, Location

from .choices import (
    CriticalityChoices,
    EnvironmentChoices,
    OperationalStatusChoices,
    RedundancyModeChoices,
)
from .models import CI, CIClass, ClassAttribute, Relationship, RelationshipType

BATCH = 500
CI_FIELDS = (
    "operational_status",
    "environment",
    "criticality",
    "owning_team",
    "support_group",
    "location",
    "description",
    "source",
    "redundancy_mode",
    "redundancy_value",
    "attributes",
)


class JsonInput:
    """Accept a JSON array of objects as well as CSV/XLSX: it is turned into CSV in memory
    (nested ``attributes`` objects become the JSON ``attributes`` column)."""

    def run(self, stream: IO[bytes], filename: str, **kwargs: Any) -> Any:
        if filename.lower().endswith(".json"):
            try:
                rows = json.loads(stream.read().decode("utf-8-sig"))
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValueError
            except (ValueError, UnicodeDecodeError):
                rows = None
            if rows is None:
                stream, filename = io.BytesIO(b""), "invalid.json.csv"
            else:
                header = list(dict.fromkeys(k for row in rows for k in row))
                out = io.StringIO()
                writer = csv.writer(out)
                writer.writerow(header)
                for row in rows:
                    writer.writerow([_cell(row.get(k)) for k in header])
                stream, filename = io.BytesIO(out.getvalue().encode()), filename + ".csv"
        return super().run(stream, filename, **kwargs)  # type: ignore[misc]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ClassCache:
    """Every class with its parent chain and effective definitions, loaded once per import
    (classes are few; walking parents per row would cost a query per level)."""

    def __init__(self) -> None:
        self.by_id: dict[int, CIClass] = {c.pk: c for c in CIClass.objects.all()}
        for ci_class in self.by_id.values():
            ci_class.parent = self.by_id.get(ci_class.parent_id) if ci_class.parent_id else None
        self.by_name = {c.name.lower(): c for c in self.by_id.values()}
        own: dict[int, list[ClassAttribute]] = {}
        for definition in ClassAttribute.objects.order_by("weight", "key"):
            own.setdefault(definition.ci_class_id, []).append(definition)
        self.definitions: dict[int, list[ClassAttribute]] = {
            pk: [d for c in ci_class.lineage() for d in own.get(c.pk, [])]
            for pk, ci_class in self.by_id.items()
        }
        children: dict[int, list[int]] = {}
        for ci_class in self.by_id.values():
            if ci_class.parent_id:
                children.setdefault(ci_class.parent_id, []).append(ci_class.pk)
        self.children = children

    def subclasses(self, pk: int) -> list[int]:
        found, queue = [], [pk]
        while queue:
            node = queue.pop()
            if node not in found:
                found.append(node)
                queue.extend(self.children.get(node, []))
        return found

    def attach(self, ci: CI) -> None:
        """Share the cached class (with parents) and definitions with a CI instance."""
        ci.ci_class = self.by_id[ci.ci_class_id]
        ci.use_definitions(self.definitions[ci.ci_class_id])


def _choice(value: str, choices: Any, column: str) -> Any:
    lowered = value.strip().lower()
    for choice_value, label in choices.choices:
        if lowered in {str(choice_value).lower(), str(label).lower()}:
            return choice_value
    raise RowError(f"{value!r} is not one of {', '.join(str(v) for v in choices.values)}", column)


def _attribute_cells(cells: dict[str, str], keys: Iterable[str]) -> dict[str, str]:
    found = {}
    for key in keys:
        if f"attr.{key}" in cells:
            found[key] = cells[f"attr.{key}"]
        elif key in cells:
            found[key] = cells[key]
    return found


class CIImporter(JsonInput, Importer):
    """Upsert CIs by their class's identification key (or name)."""

    model = CI
    key_column = "class"
    required_columns = ("name",)
    base_columns = (*CI_FIELDS,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.classes = ClassCache()
        keys = sorted({d.key for defs in self.classes.definitions.values() for d in defs})
        self.optional_columns = (  # type: ignore[misc]  # per-instance: keys are data
            *self.base_columns,
            *keys,
            *(f"attr.{k}" for k in keys),
            "identity",
        )
        self._identity_lookup: dict[str, tuple[CIClass, dict[str, Any] | None, str]] = {}

    # -- identity -------------------------------------------------------------------------

    def _identity(self, ci_class: CIClass, values: dict[str, Any] | None, name: str) -> str:
        if values:
            pairs = ", ".join(f"{k}={v}" for k, v in values.items())
            return f"{ci_class.name}: {pairs}"
        return f"{ci_class.name}: name={name}"

    def order(self, rows: list[Row]) -> list[Row]:
        self.key_column = "identity"  # type: ignore[misc]  # synthetic key, see module doc
        for row in rows:
            cells = row.values
            ci_class = self.classes.by_name.get(cells.get("class", "").strip().lower())
            if ci_class is None:
                cells["identity"] = f"row {row.number}"
                continue
            ident = self._ident_values(ci_class, cells)
            identity = self._identity(ci_class, ident, cells.get("name", ""))
            cells["identity"] = identity
            self._identity_lookup[identity] = (ci_class, ident, cells.get("name", ""))
        return rows

    def _ident_values(self, ci_class: CIClass, cells: dict[str, str]) -> dict[str, Any] | None:
        keys = list(ci_class.identification_key or [])
        if not keys:
            return None
        by_key = {d.key: d for d in self.classes.definitions[ci_class.pk]}
        given = _attribute_cells(cells, keys)
        if extra := cells.get("attributes"):
            try:
                given = {**{k: v for k, v in json.loads(extra).items() if k in keys}, **given}
            except (ValueError, AttributeError):
                return None
        try:
            values = {k: coerce(by_key[k], given.get(k)) for k in keys if k in by_key}
        except ValueError:
            return None
        if len(values) != len(keys) or any(v is None for v in values.values()):
            return None
        return values

    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        found: dict[str, models.Model] = {}
        by_name: dict[int, list[str]] = {}
        by_attr: dict[tuple[int, tuple[str, ...]], list[dict[str, Any]]] = {}
        for identity in keys:
            entry = self._identity_lookup.get(identity)
            if entry is None:
                continue
            ci_class, ident, name = entry
            if ident is None:
                by_name.setdefault(ci_class.pk, []).append(name)
            else:
                by_attr.setdefault((ci_class.pk, tuple(ident)), []).append(ident)
        for class_id, names in by_name.items():
            for start in range(0, len(names), BATCH):
                for ci in CI.objects.current().filter(
                    ci_class_id=class_id, name__in=names[start : start + BATCH]
                ):
                    found.setdefault(
                        self._identity(self.classes.by_id[class_id], None, ci.name), ci
                    )
        for (class_id, ident_keys), idents in by_attr.items():
            first = ident_keys[0]
            ci_class = self.classes.by_id[class_id]
            classes = self.classes.subclasses(class_id)
            wanted = [i[first] for i in idents]
            for start in range(0, len(wanted), BATCH):
                rows = CI.objects.current().filter(
                    ci_class_id__in=classes,
                    **{f"attributes__{first}__in": wanted[start : start + BATCH]},
                )
                for ci in rows:
                    stored = {k: ci.attributes.get(k) for k in ident_keys}
                    found.setdefault(self._identity(ci_class, stored, ci.name), ci)
        for obj in found.values():
            assert isinstance(obj, CI)
            self.classes.attach(obj)
        return found

    # -- values ---------------------------------------------------------------------------

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        cells = row.values
        entry = self._identity_lookup.get(cells["identity"])
        if entry is None:
            raise RowError(f"unknown class {cells.get('class', '')!r}", "class")
        ci_class = entry[0]
        current = self.existing_objects.get(cells["identity"])
        assert current is None or isinstance(current, CI)
        if current is not None and current.ci_class_id != ci_class.pk:
            ci_class = current.ci_class  # identified within a subclass: keep its class
        values: dict[str, Any] = {"name": cells.get("name", ""), "ci_class": ci_class}
        if not values["name"]:
            raise RowError("required", "name")
        for name in ("description", "source"):
            if name in cells:
                values[name] = cells[name]
        choices = {
            "operational_status": OperationalStatusChoices,
            "environment": EnvironmentChoices,
            "redundancy_mode": RedundancyModeChoices,
        }
        for name, enum in choices.items():
            if cells.get(name):
                values[name] = _choice(cells[name], enum, name)
        if values.get("operational_status") == OperationalStatusChoices.RETIRED:
            raise RowError("retire CIs with `assetgraph ci retire`", "operational_status")
        if cells.get("criticality"):
            values["criticality"] = _choice(cells["criticality"], CriticalityChoices, "criticality")
        if "redundancy_value" in cells:
            raw = cells["redundancy_value"].strip()
            if raw and not raw.isdigit():
                raise RowError("not a whole number", "redundancy_value")
            values["redundancy_value"] = int(raw) if raw else None
        for name in ("owning_team", "support_group"):
            if name in cells:
                values[name] = self.ref(Department, cells[name], name, "code", "name")
        if "location" in cells:
            values["location"] = self.ref(Location, cells["location"], "location", "path")
        values["attributes"] = self._attributes(ci_class, cells, current)
        return values, {}

    def _attributes(self, ci_class: CIClass, cells: dict[str, str], current: CI | None) -> Any:
        definitions = self.classes.definitions[ci_class.pk]
        given: dict[str, Any] = {}
        if cells.get("attributes"):
            try:
                parsed = json.loads(cells["attributes"])
            except ValueError:
                raise RowError("not a JSON object", "attributes") from None
            if not isinstance(parsed, dict):
                raise RowError("not a JSON object", "attributes")
            given.update(parsed)
        given.update(_attribute_cells(cells, [d.key for d in definitions]))
        unknown = sorted(
            c.removeprefix("attr.")
            for c, v in cells.items()
            if c.startswith("attr.") and v and c[5:] not in {d.key for d in definitions}
        )
        if unknown:
            raise RowError(f"not an attribute of {ci_class.name}", f"attr.{unknown[0]}")
        try:
            return clean_attributes(
                definitions,
                given,
                current=public_values(current.attributes) if current else None,
                partial=True,
            )
        except ValidationFailed as exc:
            name, messages = next(iter(exc.fields.items()))
            raise RowError(messages[0], name.replace("attributes.", "attr.")) from None

    def prepare(self, instance: models.Model) -> None:
        assert isinstance(instance, CI)
        self.classes.attach(instance)


class RelationshipImporter(JsonInput, Importer):
    """Add relationships between existing current CIs; a row already current is unchanged."""

    model = Relationship
    key_column = "source"
    required_columns = ("type", "target")
    optional_columns = ("source_class", "target_class", "description", "relationship")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.classes = ClassCache()
        self.types = {t.name.lower(): t for t in RelationshipType.objects.all()}
        self._ends: dict[str, tuple[Any, Any, Any] | RowError] = {}

    def order(self, rows: list[Row]) -> list[Row]:
        self.key_column = "relationship"  # type: ignore[misc]  # synthetic key
        wanted: set[str] = set()
        for row in rows:
            wanted.update(v.strip() for v in (row.values["source"], row.values["target"]) if v)
        candidates = self._candidates(wanted)
        for row in rows:
            cells = row.values
            key = " → ".join(
                [
                    f"{cells.get('source_class', '')}:{cells['source']}".lower(),
                    cells["type"].lower(),
                    f"{cells.get('target_class', '')}:{cells['target']}".lower(),
                ]
            )
            cells["relationship"] = key
            try:
                source = self._resolve(
                    candidates, cells["source"], cells.get("source_class"), "source"
                )
                target = self._resolve(
                    candidates, cells["target"], cells.get("target_class"), "target"
                )
                rel_type = self.types.get(cells["type"].strip().lower())
                if rel_type is None:
                    raise RowError(f"unknown relationship type {cells['type']!r}", "type")
                self._ends[key] = (source, target, rel_type)
            except RowError as exc:
                self._ends[key] = exc
        return rows

    def _candidates(self, wanted: set[str]) -> dict[str, list[CI]]:
        """Current, visible CIs matching the wanted names, ids or hot identifiers (bulk)."""
        found: dict[str, list[CI]] = {}
        values = sorted(wanted | {v.lower() for v in wanted})
        wanted = {v.lower() for v in wanted}
        ids = [int(v.removeprefix("#")) for v in values if v.removeprefix("#").isdigit()]
        queryset = self.visible(CI).filter(valid_to__isnull=True)
        for start in range(0, max(len(values), 1), BATCH):
            chunk = values[start : start + BATCH]
            lookups = [{"name__in": chunk}]
            lookups += [{f"attributes__{key}__in": chunk} for key in ("hostname", "serial_number")]
            for lookup in lookups:
                for ci in queryset.filter(**lookup):
                    for label in {
                        ci.name.lower(),
                        *(
                            str(ci.attributes.get(k, "")).lower()
                            for k in ("hostname", "serial_number")
                        ),
                    }:
                        if label in wanted and ci not in found.setdefault(label, []):
                            found[label].append(ci)
        for start in range(0, len(ids), BATCH):
            for ci in queryset.filter(pk__in=ids[start : start + BATCH]):
                found.setdefault(f"#{ci.pk}", []).append(ci)
                found.setdefault(str(ci.pk), []).append(ci)
        for cis in found.values():
            for ci in cis:
                self.classes.attach(ci)
        return found

    def _resolve(
        self, candidates: dict[str, list[CI]], value: str, class_name: str | None, column: str
    ) -> CI:
        value = value.strip()
        if not value:
            raise RowError("required", column)
        matches = candidates.get(value.lower(), [])
        if class_name:
            ci_class = self.classes.by_name.get(class_name.strip().lower())
            if ci_class is None:
                raise RowError(f"unknown class {class_name!r}", f"{column}_class")
            allowed = set(self.classes.subclasses(ci_class.pk))
            matches = [m for m in matches if m.ci_class_id in allowed]
        if not matches:
            raise RowError(f"no current CI {value!r}", column)
        if len(matches) > 1:
            raise RowError(
                f"{value!r} matches {len(matches)} CIs; add {column}_class or use #id", column
            )
        return matches[0]

    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        wanted: dict[tuple[int, int, int], str] = {}
        for key in keys:
            ends = self._ends.get(key)
            if isinstance(ends, tuple):
                wanted[(ends[0].pk, ends[1].pk, ends[2].pk)] = key
        found: dict[str, models.Model] = {}
        sources = sorted({s for s, _, _ in wanted})
        for start in range(0, len(sources), BATCH):
            rows = Relationship.objects.current().filter(
                source_id__in=sources[start : start + BATCH]
            )
            for rel in rows:
                match = wanted.get((rel.source_id, rel.target_id, rel.type_id))
                if match is not None:
                    found[match] = rel
        return found

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        ends = self._ends[row.values["relationship"]]
        if isinstance(ends, RowError):
            raise ends
        source, target, rel_type = ends
        values = {"source": source, "target": target, "type": rel_type}
        if "description" in row.values:
            values["description"] = row.values["description"]
        return values, {}
