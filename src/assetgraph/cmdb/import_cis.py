"""The CI import: upsert CIs by their class's identification key (or name), in bulk.

A CI's identity spans a class and one or more attribute values, so each row gets a synthetic
key (``Server: serial_number=ABC``; ``Server: name=web-01`` when the class has no
identification key or the row lacks it). A row updates the current CI of that class (or a
subclass) with the same identification values, else the CI of that class with that name, else
creates one. Cells are validated with the model's own per-field rules and messages.
"""

from __future__ import annotations

import enum
import itertools
import json
import operator
from typing import Any

from django.db.models import Q
from django.utils import timezone

from assetgraph.audit.services import json_value
from assetgraph.core.actor import Actor
from assetgraph.core.attributes import AttributeType, coerce, public_values, stored_pair
from assetgraph.core.batching import in_batches
from assetgraph.core.tabular import Row
from assetgraph.framework.importing import (
    CREATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    AuditRows,
    BulkImporter,
    PlannedTable,
    Progress,
    RowError,
    RowResult,
    ValueChecker,
    large_cache,
    nul_error,
    parse_date,
    parse_integer,
    snapshot_fields,
)

from .choices import OperationalStatusChoices
from .import_base import ClassCache, attribute_cells
from .models import CI, CIClass, ClassAttribute, redundancy_errors

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
    "planned_retirement",
    "attributes",
)
# The planned CI: the fields an import sets, in this order (asset, first/last seen stay empty).
PLANNED = (
    "name",
    "ci_class_id",
    "operational_status",
    "environment",
    "criticality",
    "owning_team_id",
    "support_group_id",
    "location_id",
    "description",
    "attributes",
    "source",
    "redundancy_mode",
    "redundancy_value",
    "planned_retirement",
)
# An import never moves a CI to another class (a row may find it within a subclass).
UPDATED = tuple(c for c in PLANNED if c != "ci_class_id")
TABLE = PlannedTable(CI, PLANNED)
SNAPSHOT = snapshot_fields(CI)
_FIELDS = {f.attname: f for f in CI._meta.concrete_fields}
CHOICE_COLUMNS = tuple(c for c in PLANNED if _FIELDS[c].choices)
# Cells taken as written (text, numbers) are checked by their field; choices are valid by
# construction (parsed from the field's own choices), references and attributes by their rules.
CHECKED = tuple(
    c for c in PLANNED if not (_FIELDS[c].choices or _FIELDS[c].is_relation or c == "attributes")
)
FULL_INDEX_AT = 50_000  # current CIs below this (or files above it) are indexed in one pass
FULL_INDEX_ROWS = FULL_INDEX_AT  # rows planned so far past which the whole table is indexed
# Identities per chunk past which one pass over the table beats JSON look-ups, which scan it.
QUERY_IDENTITIES_MAX = 2_700


def _plain(value: Any) -> Any:
    """A field default as stored (a choices enum member as its value)."""
    return value.value if isinstance(value, enum.Enum) else value


# A new CI starts from its fields' defaults.
DEFAULTS = {name: _plain(_FIELDS[name].get_default()) for name in PLANNED}


class AttributeRules:
    """One class's attribute rules, compiled once per import: the checks and messages of
    :func:`~assetgraph.core.attributes.clean_attributes` without rebuilding its look-ups for
    every row."""

    def __init__(self, definitions: list[ClassAttribute]) -> None:
        self.definitions = [
            (d.key, d, d.required, d.type == AttributeType.VERSION) for d in definitions
        ]
        self.keys = frozenset(d.key for d in definitions)
        self.by_key = {d.key: d for d in definitions}

    def clean(self, given: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """The complete canonical attributes after a partial update, or a :class:`RowError`
        naming ``attr.<key>`` (unknown keys first, then definitions in display order)."""
        if not self.keys.issuperset(given):
            unknown = sorted(set(given) - self.keys)
            raise RowError("not an attribute of this kind of object", f"attr.{unknown[0]}")
        base = current or {}
        result: dict[str, Any] = {}
        for key, definition, required, has_pair in self.definitions:
            if key in given:
                try:
                    value = coerce(definition, given[key])
                except ValueError as exc:
                    raise RowError(str(exc), f"attr.{key}") from None
            else:
                value = base.get(key)
            if value is None:
                if required:
                    raise RowError("required", f"attr.{key}")
                continue
            result[key] = value
            if has_pair:
                result.update(stored_pair(definition, value))
        return result


class CIImporter(BulkImporter):
    """Upsert CIs by their class's identification key (or name)."""

    model = CI
    key_column = "class"
    required_columns = ("name",)
    base_columns = CI_FIELDS
    lookups = {
        "owning_team": ("code", "name"),
        "support_group": ("code", "name"),
        "location": ("path",),
    }

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.classes = ClassCache()
        keys = sorted({d.key for defs in self.classes.definitions.values() for d in defs})
        self.optional_columns = (  # type: ignore[misc]  # per-instance: keys are data
            *self.base_columns,
            *keys,
            *(f"attr.{k}" for k in keys),
        )
        self.keys: list[str] = []
        self.slots: list[int] = []  # index into creates / updates
        self.creates: list[tuple[Any, ...]] = []
        self.updates: list[tuple[int, tuple[Any, ...], dict[str, list[Any]]]] = []
        self.seen: dict[str, int] = {}
        self.rules = {pk: AttributeRules(defs) for pk, defs in self.classes.definitions.items()}
        self.choice = {name: self.cells.parser(name) for name in CHOICE_COLUMNS}
        self.checker = ValueChecker(CI, CHECKED)
        self._current_count: int | None = None
        self._index: dict[str, int] | None = None
        self._planned = 0

    # -- identity ---------------------------------------------------------------------------

    @staticmethod
    def _identity(ci_class: CIClass, values: dict[str, Any] | None, name: str) -> str:
        if values:
            pairs = ", ".join(f"{k}={v}" for k, v in values.items())
            return f"{ci_class.name}: {pairs}"
        return f"{ci_class.name}: name={name}"

    def _ident_values(self, ci_class: CIClass, cells: dict[str, str]) -> dict[str, Any] | None:
        keys = list(ci_class.identification_key or [])
        if not keys:
            return None
        by_key = self.rules[ci_class.pk].by_key
        given = attribute_cells(cells, keys)
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

    # -- existing CIs -------------------------------------------------------------------------

    def _existing(
        self, wanted: dict[str, tuple[CIClass, dict[str, Any] | None, str]]
    ) -> dict[str, dict[str, Any]]:
        """Current CIs (as value dicts) for the identities of one chunk."""
        if self._current_count is None:
            self._current_count = CI.objects.current().count()
        if not self._current_count or not wanted:
            return {}
        # Attribute identities are JSON look-ups that scan the table: past a few batches, one
        # pass over the current CIs is cheaper.
        if self._index is None and (
            self._current_count <= FULL_INDEX_AT
            or self._planned >= FULL_INDEX_ROWS
            or len(wanted) > QUERY_IDENTITIES_MAX
        ):
            self._index = self._build_index()
        if self._index is not None:
            ids = {i: self._index[i] for i in wanted if i in self._index}
            rows = self._rows_by_id(sorted(set(ids.values())))
            return {identity: rows[pk] for identity, pk in ids.items() if pk in rows}
        return self._query_identities(wanted)

    def _build_index(self) -> dict[str, int]:
        """Every identity a current CI answers to, in one pass over the table."""
        index: dict[str, int] = {}
        keyed = {pk: c for pk, c in self.classes.by_id.items() if c.identification_key}
        rows = CI.objects.current().values_list("pk", "ci_class_id", "name", "attributes")
        for pk, class_id, name, attributes in rows.iterator(chunk_size=20_000):
            index.setdefault(self._identity(self.classes.by_id[class_id], None, name), pk)
            for ancestor in self.classes.lineage[class_id]:
                klass = keyed.get(ancestor)
                if klass is None:
                    continue
                stored = {k: attributes.get(k) for k in klass.identification_key}
                if all(v is not None for v in stored.values()):
                    index.setdefault(self._identity(klass, stored, name), pk)
        return index

    def _rows_by_id(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for chunk in in_batches(ids):
            for row in CI.objects.filter(pk__in=chunk).values():
                found[row["id"]] = dict(row)
        return found

    def _query_identities(
        self, wanted: dict[str, tuple[CIClass, dict[str, Any] | None, str]]
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        by_name: dict[int, list[str]] = {}
        by_attr: dict[tuple[int, tuple[str, ...]], list[dict[str, Any]]] = {}
        for ci_class, ident, name in wanted.values():
            if ident is None:
                by_name.setdefault(ci_class.pk, []).append(name)
            else:
                by_attr.setdefault((ci_class.pk, tuple(ident)), []).append(ident)
        for class_id, names in by_name.items():
            ci_class = self.classes.by_id[class_id]
            for chunk in in_batches(names):
                # By name (its index); retired CIs skipped here, not in SQL (see relationships).
                for row in CI.objects.filter(ci_class_id=class_id, name__in=chunk).values():
                    if row["valid_to"] is None:
                        found.setdefault(self._identity(ci_class, None, row["name"]), dict(row))
        for (class_id, ident_keys), idents in by_attr.items():
            ci_class = self.classes.by_id[class_id]
            classes = self.classes.subclasses(class_id)
            first = ident_keys[0]
            values = [i[first] for i in idents]
            for chunk in in_batches(values):
                query = Q(**{f"attributes__{first}__in": chunk})
                for row in CI.objects.current().filter(query, ci_class_id__in=classes).values():
                    stored = {k: row["attributes"].get(k) for k in ident_keys}
                    found.setdefault(self._identity(ci_class, stored, row["name"]), dict(row))
        return found

    # -- planning -----------------------------------------------------------------------------

    def plan_chunk(self, rows: list[Row]) -> None:
        identities: list[tuple[CIClass, dict[str, Any] | None, str] | None] = []
        wanted: dict[str, tuple[CIClass, dict[str, Any] | None, str]] = {}
        for row in rows:
            cells = row.values
            ci_class = self.classes.by_name.get(cells.get("class", "").strip().lower())
            if ci_class is None:
                identities.append(None)
                continue
            ident = self._ident_values(ci_class, cells)
            entry = (ci_class, ident, cells.get("name", ""))
            identities.append(entry)
            identity = self._identity(*entry)
            if identity not in self.seen:
                wanted[identity] = entry
        existing = self._existing(wanted)
        changeable = self.changeable([r["id"] for r in existing.values()])
        can_add = self.may("add")
        for row, item in zip(rows, identities, strict=True):
            self._plan_ci(row, item, existing, changeable, can_add)
        self._planned += len(rows)

    def _plan_ci(
        self,
        row: Row,
        entry: tuple[CIClass, dict[str, Any] | None, str] | None,
        existing: dict[str, dict[str, Any]],
        changeable: set[int] | None,
        can_add: bool,
    ) -> None:
        cells = row.values
        if entry is None:
            self.keys.append(f"row {row.number}")
            self.slots.append(-1)
            self.record(row.number, ERROR, [f"class: unknown class {cells.get('class', '')!r}"])
            return
        identity = self._identity(*entry)
        self.keys.append(identity)
        self.slots.append(-1)
        if identity in self.seen:
            message = f"identity: {identity!r} already appears on row {self.seen[identity]}"
            self.record(row.number, ERROR, [message])
            return
        self.seen[identity] = row.number
        current = existing.get(identity)
        if current is not None and changeable is not None and current["id"] not in changeable:
            self.record(row.number, ERROR, [f"identity: you may not change {identity!r}"])
            return
        if current is None and not can_add:
            self.record(row.number, ERROR, ["identity: you may not create CIs"])
            return
        ci_class = entry[0]
        if current is not None and current["ci_class_id"] != ci_class.pk:
            ci_class = self.classes.by_id[current["ci_class_id"]]  # found within a subclass
        try:
            values = self._values(cells, ci_class, current)
        except RowError as exc:
            self.record(row.number, ERROR, [exc.text()])
            return
        errors = self._model_errors(values, ci_class)
        if errors:
            self.record(row.number, ERROR, errors)
            return
        planned = tuple(values[name] for name in PLANNED)
        if current is None:
            self.slots[-1] = len(self.creates)
            self.creates.append(planned)
            self.record(row.number, CREATE)
            return
        before = {name: json_value(current[attname]) for name, attname in SNAPSHOT}
        after = {
            name: json_value(values.get(attname, current[attname])) for name, attname in SNAPSHOT
        }
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if not changes:
            self.record(row.number, UNCHANGED)
            return
        self.slots[-1] = len(self.updates)
        self.updates.append((current["id"], planned, changes))
        self.record(row.number, UPDATE)

    def _values(
        self, cells: dict[str, str], ci_class: CIClass, current: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The CI's field values after this row (by attname), or a :class:`RowError`.

        A new CI starts from the fields' defaults, an existing one from its stored values;
        an empty choice cell keeps that value, any other present column sets it.
        """
        if self.check_nul and (nul := nul_error(cells)) is not None:
            raise nul
        values: dict[str, Any] = dict(current) if current is not None else dict(DEFAULTS)
        values["ci_class_id"] = ci_class.pk
        values["name"] = cells.get("name", "")
        if not values["name"]:
            raise RowError("required", "name")
        for name in ("description", "source"):
            if name in cells:
                values[name] = cells[name]
        for name, parse in self.choice.items():
            if cells.get(name):
                values[name] = parse(cells[name], name)
        if values["operational_status"] == OperationalStatusChoices.RETIRED and cells.get(
            "operational_status"
        ):
            raise RowError("retire CIs with `assetgraph ci retire`", "operational_status")
        if "redundancy_value" in cells:
            values["redundancy_value"] = parse_integer(
                cells["redundancy_value"], "redundancy_value"
            )
        if "planned_retirement" in cells:
            values["planned_retirement"] = parse_date(
                cells["planned_retirement"], "planned_retirement"
            )
        for name, found in self.cell_values(
            cells, ("owning_team", "support_group", "location")
        ).items():
            values[f"{name}_id"] = found.pk if found is not None else None
        values["attributes"] = self._attributes(ci_class, cells, current)
        return values

    def _attributes(
        self, ci_class: CIClass, cells: dict[str, str], current: dict[str, Any] | None
    ) -> dict[str, Any]:
        rules = self.rules[ci_class.pk]
        known = rules.keys
        given: dict[str, Any] = {}
        if cells.get("attributes"):
            try:
                parsed = json.loads(cells["attributes"])
            except ValueError:
                raise RowError("not a JSON object", "attributes") from None
            if not isinstance(parsed, dict):
                raise RowError("not a JSON object", "attributes")
            given.update(parsed)
        given.update(attribute_cells(cells, known))
        unknown = sorted(
            c.removeprefix("attr.")
            for c, v in cells.items()
            if c.startswith("attr.") and v and c[5:] not in known
        )
        if unknown:
            raise RowError(f"not an attribute of {ci_class.name}", f"attr.{unknown[0]}")
        return rules.clean(given, public_values(current["attributes"]) if current else None)

    def _model_errors(self, values: dict[str, Any], ci_class: CIClass) -> list[str]:
        """What ``CI.full_clean`` would say about these values (same wording): the fields'
        own checks, then the redundancy rule of ``CI.clean``."""
        errors = self.checker.errors(values)
        errors.extend(
            f"{k}: {v}"
            for k, v in redundancy_errors(
                values["redundancy_mode"], values["redundancy_value"], ci_class.is_group
            ).items()
        )
        return errors

    # -- the report ---------------------------------------------------------------------------

    def describe(self, index: int) -> RowResult:
        action, slot = self.actions[index], self.slots[index]
        changes: dict[str, list[Any]] = {}
        if action == CREATE:
            after = dict(zip(PLANNED, self.creates[slot], strict=True))
            changes = {
                name: [None, after[attname]]
                for name, attname in SNAPSHOT
                if attname in after and after[attname] not in (None, "")
            }
        elif action == UPDATE:
            changes = self.updates[slot][2]
        return self.result(index, self.keys[index], changes)

    # -- writing ------------------------------------------------------------------------------

    def write(self, actor: Actor, progress: Progress | None) -> None:
        now = timezone.now()
        audit = AuditRows(actor, now)
        object_type = self.object_type
        with large_cache():
            ids = TABLE.insert(self.creates, now)
            TABLE.update(((pk, row) for pk, row, _ in self.updates), now, only=UPDATED)
            self.verify(ids, "add")
            self.verify([pk for pk, _, _ in self.updates], "change")
            audit.write(
                itertools.chain(
                    TABLE.create_events(audit, ids, self.creates, now, operator.itemgetter(0)),
                    (
                        audit.update_row(object_type, pk, row[0], changes)
                        for pk, row, changes in self.updates
                    ),
                )
            )
