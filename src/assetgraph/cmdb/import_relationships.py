"""The relationship import: add relationships between current CIs, in bulk.

An end is found among the current CIs the importer may see by name, host name, serial number
or ``#id``; ``source_class``/``target_class`` narrow an ambiguous name. Ends are resolved from
an in-memory index (one pass over the CI table for large files, ``IN`` queries for small
ones), duplicates inside the file are found by sorting the resolved triples, and a row whose
relationship is already current is unchanged (or updates its description).
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from assetgraph.core.actor import Actor
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
    large_cache,
    nul_error,
)

from .import_base import ClassCache
from .models import CI, Relationship, RelationshipType

# The planned relationship: its ends, type and description (ids as the arrays hold them).
PLANNED = ("source_id", "target_id", "type_id", "description")
TABLE = PlannedTable(Relationship, PLANNED)
FULL_INDEX_AT = 20_000  # current CIs up to this, or files past it, are indexed in one pass
FULL_INDEX_ROWS = FULL_INDEX_AT  # rows planned so far past which the whole table is indexed
# Labels per chunk past which one pass over the CIs beats JSON look-ups, which scan the table.
QUERY_LABELS_MAX = 2_700
HOT = ("hostname", "serial_number")


class RelationshipImporter(BulkImporter):
    """Add relationships between existing current CIs; a row already current is unchanged."""

    model = Relationship
    key_column = "source"
    required_columns = ("type", "target")
    optional_columns = ("source_class", "target_class", "description")

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.classes = ClassCache()
        self.types = {t.name.lower(): t for t in RelationshipType.objects.all()}
        self.type_names = {t.pk: t.name for t in self.types.values()}
        self.sources = array("q")
        self.targets = array("q")
        self.kinds = array("q")
        self.descriptions: list[str] | None = None
        self.error_keys: dict[int, str] = {}
        self.existing_rels: dict[int, tuple[int, str]] = {}  # row index -> (id, description)
        # The index of current, visible CIs: label (name, host name, serial) -> id(s).
        self.labels: dict[str, int | list[int]] = {}
        self.class_of: dict[int, int] = {}
        self.name_of: dict[int, str] = {}
        self._queried: set[str] = set()
        self._full = False
        self._planned = 0
        self._allowed: dict[tuple[int, int, int], bool] = {}

    # -- the CI index ---------------------------------------------------------------------------

    def _cis(self) -> Any:
        return self.visible(CI).filter(valid_to__isnull=True)

    def _add(self, pk: int, class_id: int, name: str, *others: Any) -> None:
        self.class_of[pk] = class_id
        self.name_of[pk] = name
        labels = self.labels
        for label in (name, *(str(o) for o in others if o not in (None, "", name))):
            found = labels.get(label)
            if found is None:
                labels[label] = pk
            elif isinstance(found, int):
                if found != pk:
                    labels[label] = [found, pk]
            elif pk not in found:
                found.append(pk)

    def _load(self, queryset: Any) -> None:
        rows = queryset.annotate(
            **{f"_{k}": KeyTextTransform(k, "attributes") for k in HOT}
        ).values_list("pk", "ci_class_id", "name", *(f"_{k}" for k in HOT))
        for row in rows.iterator(chunk_size=20_000):
            self._add(*row)

    def _index(self, cells: list[str]) -> None:
        """Make sure every label of a chunk is in the index."""
        if self._full:
            return
        wanted = sorted({v for c in cells for v in (c, c.lower())} - self._queried)
        # JSON look-ups (host name, serial) scan the table: past a few batches of names, one
        # pass over the current CIs is cheaper.
        if (
            self._planned >= FULL_INDEX_ROWS
            or len(wanted) > QUERY_LABELS_MAX
            or self._cis().count() <= FULL_INDEX_AT
        ):
            self._full = True
            self.labels, self.class_of, self.name_of = {}, {}, {}
            self._load(self._cis())
            return
        self._queried.update(wanted)
        ids = sorted(
            {int(v[1:] if v.startswith("#") else v) for v in wanted if v.lstrip("#").isdigit()}
        )
        for chunk in in_batches(wanted, per_value=1 + len(HOT)):
            query = Q(name__in=chunk)
            for key in HOT:
                query |= Q(**{f"attributes__{key}__in": chunk})
            self._load(self._cis().filter(query))
        for id_chunk in in_batches(ids):
            self._load(self._cis().filter(pk__in=id_chunk))

    def _resolve(self, value: str, class_name: str, column: str) -> int:
        if not value:
            raise RowError("required", column)
        hit = self.labels.get(value)
        lower = value.lower()
        if lower != value or value[0] in "#0123456789":
            found: list[int] = []
            for one in (hit, self.labels.get(lower) if lower != value else None):
                if isinstance(one, int):
                    found.append(one)
                elif one:
                    found.extend(one)
            digits = value[1:] if value[0] == "#" else value
            if digits.isdigit() and int(digits) in self.class_of:
                found.append(int(digits))
            matches = list(dict.fromkeys(found))
        elif isinstance(hit, int):
            if not class_name:
                return hit  # the common case: one CI answers to this exact label
            matches = [hit]
        else:
            matches = list(hit or ())
        if class_name:
            ci_class = self.classes.by_name.get(class_name.lower())
            if ci_class is None:
                raise RowError(f"unknown class {class_name!r}", f"{column}_class")
            allowed = set(self.classes.subclasses(ci_class.pk))
            matches = [m for m in matches if self.class_of[m] in allowed]
        if not matches:
            raise RowError(f"no current CI {value!r}", column)
        if len(matches) > 1:
            raise RowError(
                f"{value!r} matches {len(matches)} CIs; add {column}_class or use #id", column
            )
        return matches[0]

    def _allows(self, kind: RelationshipType, source: int, target: int) -> bool:
        pair = (kind.pk, self.class_of[source], self.class_of[target])
        allowed = self._allowed.get(pair)
        if allowed is None:
            sources, targets = self.classes.lineage[pair[1]], self.classes.lineage[pair[2]]
            allowed = not kind.allowed_pairs or any(
                s in sources and t in targets for s, t in kind.allowed_pairs
            )
            self._allowed[pair] = allowed
        return allowed

    # -- planning -------------------------------------------------------------------------------

    def plan_chunk(self, rows: list[Row]) -> None:
        if self.descriptions is None and "description" in self.header:
            self.descriptions = []
        self._index([r.values[c] for r in rows for c in ("source", "target") if r.values[c]])
        for row in rows:
            self._plan_relationship(row)
        self._planned += len(rows)

    def _plan_relationship(self, row: Row) -> None:
        cells = row.values
        try:
            if self.check_nul and (nul := nul_error(cells)) is not None:
                raise nul
            source: int = self._resolve(cells["source"], cells.get("source_class", ""), "source")
            target = self._resolve(cells["target"], cells.get("target_class", ""), "target")
            kind = self.types.get(cells["type"].lower())
            if kind is None:
                raise RowError(f"unknown relationship type {cells['type']!r}", "type")
            if source == target:
                raise RowError("a CI cannot be related to itself", "target")
            if not self._allows(kind, source, target):
                source_class = self.classes.by_id[self.class_of[source]].name
                target_class = self.classes.by_id[self.class_of[target]].name
                raise RowError(
                    f"{kind.name!r} does not connect a {source_class} to a {target_class}", "type"
                )
        except RowError as exc:
            index = self.record(row.number, ERROR, [exc.text()])
            self.error_keys[index] = " → ".join((cells["source"], cells["type"], cells["target"]))
            source = target = kind_id = 0
        else:
            self.record(row.number, CREATE)
            kind_id = kind.pk
        self.sources.append(source)
        self.targets.append(target)
        self.kinds.append(kind_id)
        if self.descriptions is not None:
            self.descriptions.append(cells.get("description", ""))

    def finish_plan(self) -> None:
        actions = np.frombuffer(bytes(self.actions), dtype=np.uint8)
        valid = np.flatnonzero(actions == CREATE)
        if not len(valid):
            return
        sources = np.frombuffer(self.sources, dtype=np.int64)[valid]
        targets = np.frombuffer(self.targets, dtype=np.int64)[valid]
        kinds = np.frombuffer(self.kinds, dtype=np.int64)[valid]
        order = np.lexsort((valid, kinds, targets, sources))  # stable: first row first
        same = (
            (sources[order][1:] == sources[order][:-1])
            & (targets[order][1:] == targets[order][:-1])
            & (kinds[order][1:] == kinds[order][:-1])
        )
        starts = np.concatenate(([True], ~same))
        group_first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
        first = valid[order[group_first]]
        for position in np.flatnonzero(~starts):
            index = int(valid[order[position]])
            original = int(first[position])
            self.fail(
                index,
                f"relationship: {self._key(index)!r} already appears on row "
                f"{self.numbers[original]}",
            )
        self._match_existing()
        if not self.may("add"):
            creates = np.flatnonzero(np.frombuffer(bytes(self.actions), np.uint8) == CREATE)
            for pending in creates.tolist():
                self.fail(pending, "relationship: you may not create relationships")

    def _match_existing(self) -> None:
        """Rows whose relationship is already current: unchanged, or a description update."""
        if not Relationship.objects.current().exists():
            return
        planned = np.flatnonzero(np.frombuffer(bytes(self.actions), np.uint8) == CREATE)
        wanted = {(self.sources[i], self.targets[i], self.kinds[i]): int(i) for i in planned}
        sources = sorted({key[0] for key in wanted})
        fields = ("pk", "source_id", "target_id", "type_id", "description", "valid_to")
        # By source id alone (its index), ended links skipped here: with ``valid_to IS NULL``
        # in the query SQLite may pick the valid_to index and scan every current link.
        for chunk in in_batches(sources):
            batch = Relationship.objects.filter(source_id__in=chunk).order_by()  # feeds a dict
            for pk, source, target, kind, description, ended in batch.values_list(*fields):
                index = wanted.get((source, target, kind))
                if index is not None and ended is None:
                    self.existing_rels[index] = (pk, description)
        changed = []
        for index, (_pk, description) in self.existing_rels.items():
            if self.descriptions is None or self.descriptions[index] == description:
                self.actions[index] = UNCHANGED
            else:
                self.actions[index] = UPDATE
                changed.append(index)
        allowed = self.changeable([self.existing_rels[i][0] for i in changed])
        if allowed is None:
            return
        for index in changed:
            if self.existing_rels[index][0] not in allowed:
                self.fail(index, f"relationship: you may not change {self._key(index)!r}")

    # -- the report -----------------------------------------------------------------------------

    def _key(self, index: int) -> str:
        if index in self.error_keys:
            return self.error_keys[index]
        kind = self.type_names[self.kinds[index]]
        source, target = self.name_of[self.sources[index]], self.name_of[self.targets[index]]
        return f"{source} → {kind} → {target}"

    def describe(self, index: int) -> RowResult:
        action = self.actions[index]
        changes: dict[str, list[Any]] = {}
        if action == CREATE:
            changes = {
                "source": [None, self.sources[index]],
                "target": [None, self.targets[index]],
                "type": [None, self.kinds[index]],
            }
            if self.descriptions is not None and self.descriptions[index]:
                changes["description"] = [None, self.descriptions[index]]
        elif action == UPDATE:
            assert self.descriptions is not None
            changes = {"description": [self.existing_rels[index][1], self.descriptions[index]]}
        return self.result(index, self._key(index), changes)

    # -- writing --------------------------------------------------------------------------------

    def _planned_rows(self, indexes: list[int]) -> Iterator[tuple[Any, ...]]:
        """The planned tuples (``PLANNED``) of some rows, from the plan's arrays."""
        descriptions = self.descriptions
        src, tgt, kinds = self.sources, self.targets, self.kinds
        if descriptions is None:
            return ((src[i], tgt[i], kinds[i], "") for i in indexes)
        return ((src[i], tgt[i], kinds[i], descriptions[i]) for i in indexes)

    def write(self, actor: Actor, progress: Progress | None) -> None:
        now = timezone.now()
        actions = np.frombuffer(bytes(self.actions), np.uint8)
        creates = np.flatnonzero(actions == CREATE).tolist()
        updates = np.flatnonzero(actions == UPDATE).tolist()
        audit = AuditRows(actor, now)
        existing = [self.existing_rels[i][0] for i in updates]
        with large_cache():
            ids = TABLE.insert(self._planned_rows(creates), now, len(creates))
            TABLE.update(
                zip(existing, self._planned_rows(updates), strict=True), now, ("description",)
            )
            self.verify(ids, "add")
            self.verify(existing, "change")
            audit.write(
                itertools.chain(
                    TABLE.create_events(audit, ids, self._planned_rows(creates), now, self._repr),
                    self._update_events(audit, updates),
                )
            )

    def _repr(self, planned: tuple[Any, ...]) -> str:
        """How a relationship reads in the audit log: ``fin-db runs on fin-vm-01``."""
        names = self.name_of
        return f"{names[planned[0]]} {self.type_names[planned[2]]} {names[planned[1]]}"

    def _update_events(self, audit: AuditRows, updates: list[int]) -> Iterator[tuple[Any, ...]]:
        descriptions = self.descriptions
        assert descriptions is not None or not updates
        for i in updates:
            pk, old = self.existing_rels[i]
            planned = (self.sources[i], self.targets[i], self.kinds[i])
            yield audit.update_row(
                self.object_type,
                pk,
                self._repr(planned),
                {"description": [old, descriptions[i]]},  # type: ignore[index]
            )
