"""The relationship import: add relationships between current CIs, in bulk.

An end is found among the current CIs the importer may see by name, host name, serial number
or ``#id``; ``source_class``/``target_class`` narrow an ambiguous name. Ends are resolved from
an in-memory index (one pass over the CI table for large files, ``IN`` queries for small
ones), duplicates inside the file are found by sorting the resolved triples, and a row whose
relationship is already current is unchanged (or updates its description).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from assetgraph.audit.services import json_value
from assetgraph.core.actor import Actor
from assetgraph.core.errors import PermissionDenied
from assetgraph.core.importing import Progress, RowError, RowResult, snapshot_fields
from assetgraph.core.tabular import Row

from .bulk import AuditRows, db_datetime, dumps, large_cache, reserve_ids, update_rows, write_rows
from .import_base import (
    CREATE,
    ERROR,
    IN_BATCH,
    UNCHANGED,
    UPDATE,
    BulkImporter,
    ClassCache,
    JsonInput,
    nul_error,
    row_error_text,
)
from .models import CI, Relationship, RelationshipType

SNAPSHOT_NAMES = [name for name, _ in snapshot_fields(Relationship)]
assert SNAPSHOT_NAMES == [
    "id",
    "source",
    "target",
    "type",
    "description",
    "valid_from",
    "valid_to",
], SNAPSHOT_NAMES
CREATED_FIELDS = dumps(sorted(n for n in SNAPSHOT_NAMES if n != "valid_to"))
AFTER = '{"id": %d, "source": %d, "target": %d, "type": %d, "description": %s, "valid_from": %s, "valid_to": null}'  # noqa: E501
INSERT_COLUMNS = (
    "id",
    "created",
    "updated",
    "source_id",
    "target_id",
    "type_id",
    "description",
    "valid_from",
)
FULL_INDEX_AT = 20_000  # current CIs up to this, or files past it, are indexed in one pass
FULL_INDEX_ROWS = FULL_INDEX_AT  # rows planned so far past which the whole table is indexed
HOT = ("hostname", "serial_number")


class RelationshipImporter(JsonInput, BulkImporter):
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
            or len(wanted) > 3 * IN_BATCH
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
        for start in range(0, len(wanted), IN_BATCH):
            chunk = wanted[start : start + IN_BATCH]
            query = Q(name__in=chunk)
            for key in HOT:
                query |= Q(**{f"attributes__{key}__in": chunk})
            self._load(self._cis().filter(query))
        for start in range(0, len(ids), IN_BATCH):
            self._load(self._cis().filter(pk__in=ids[start : start + IN_BATCH]))

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
            index = self.record(row.number, ERROR, [row_error_text(exc)])
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
        if not (self.actor.is_system or self._has("add")):
            creates = np.flatnonzero(np.frombuffer(bytes(self.actions), np.uint8) == CREATE)
            for pending in creates.tolist():
                self.fail(pending, "relationship: you may not create relationships")

    def _has(self, action: str) -> bool:
        from assetgraph.accounts.permissions import has_perm

        return has_perm(self.user, self.object_type, action)

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
        for start in range(0, len(sources), IN_BATCH):
            batch = Relationship.objects.filter(
                source_id__in=sources[start : start + IN_BATCH]
            ).order_by()  # no sort: the rows only feed a dict
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
        if self.actor.is_system or not changed:
            return
        from assetgraph.accounts.permissions import restrict

        pks = [self.existing_rels[i][0] for i in changed]
        allowed: set[int] = set()
        for start in range(0, len(pks), IN_BATCH):
            queryset = Relationship.objects.filter(pk__in=pks[start : start + IN_BATCH])
            allowed.update(restrict(queryset, self.user, "change").values_list("pk", flat=True))
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

    def write(self, actor: Actor, progress: Progress | None) -> None:
        now = timezone.now()
        stamp = db_datetime(now)
        actions = np.frombuffer(bytes(self.actions), np.uint8)
        creates = np.flatnonzero(actions == CREATE).tolist()
        updates = np.flatnonzero(actions == UPDATE).tolist()
        audit = AuditRows(actor, now)
        descriptions = self.descriptions
        src, tgt, kinds = self.sources, self.targets, self.kinds
        with large_cache():
            ids = reserve_ids(Relationship, len(creates))
            write_rows(
                Relationship._meta.db_table,
                INSERT_COLUMNS,
                (
                    (
                        pk,
                        stamp,
                        stamp,
                        src[i],
                        tgt[i],
                        kinds[i],
                        descriptions[i] if descriptions is not None else "",
                        stamp,
                    )
                    for pk, i in zip(ids, creates, strict=True)
                ),
            )
            update_rows(
                Relationship._meta.db_table,
                ("description", "updated"),
                (
                    (descriptions[i], stamp, self.existing_rels[i][0])
                    for i in updates
                    if descriptions is not None
                ),
            )
            self._verify(list(ids), "add")
            self._verify([self.existing_rels[i][0] for i in updates], "change")
            audit.write(self._audit_rows(audit, ids, creates, updates, dumps(json_value(now))))
        if progress:
            progress(len(self.actions), len(self.actions))

    def _audit_rows(
        self, audit: AuditRows, ids: Any, creates: list[int], updates: list[int], now_json: str
    ) -> Iterator[tuple[Any, ...]]:
        object_type = self.object_type
        names, type_names = self.name_of, self.type_names
        src, tgt, kinds, descriptions = self.sources, self.targets, self.kinds, self.descriptions
        row = audit.row
        for pk, i in zip(ids, creates, strict=True):
            source, target, kind = src[i], tgt[i], kinds[i]
            description = descriptions[i] if descriptions is not None else ""
            yield row(
                object_type,
                pk,
                f"{names[source]} {type_names[kind]} {names[target]}",
                "create",
                None,
                AFTER
                % (pk, source, target, kind, dumps(description) if description else '""', now_json),
                CREATED_FIELDS,
            )
        for i in updates:
            assert descriptions is not None
            pk, old = self.existing_rels[i]
            yield row(
                object_type,
                pk,
                f"{names[src[i]]} {type_names[kinds[i]]} {names[tgt[i]]}",
                "update",
                dumps({"description": old}),
                dumps({"description": descriptions[i]}),
                dumps(["description"]),
            )

    def _verify(self, ids: list[int], action: str) -> None:
        """Object permissions with constraints hold for every written relationship."""
        if self.actor.is_system or not ids:
            return
        from assetgraph.accounts.permissions import restrict

        for start in range(0, len(ids), IN_BATCH):
            chunk = ids[start : start + IN_BATCH]
            queryset = Relationship.objects.filter(pk__in=chunk)
            if restrict(queryset, self.user, action).count() != len(chunk):
                raise PermissionDenied("your permissions do not allow some of these relationships")
