"""The :class:`Importer`: plan every row as a model instance, then write all of it or nothing."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import IO, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.batching import UPDATE_BATCH, in_batches
from assetgraph.core.errors import ValidationFailed
from assetgraph.core.natural import sort_key_updates
from assetgraph.core.tabular import Row, read_table

from .base import ImportBase, Progress
from .fastpath import FieldChecker, InstanceFactory, Snapshotter
from .inserts import insert_rows
from .objects import create_event_rows
from .report import ImportReport, RowError, RowResult
from .writes import AuditRows


class Importer(ImportBase):
    """Base of importers whose rows become model instances (people, locations, assets…).

    Besides the declaration (see :class:`~.base.ImportBase`), a subclass says how to find
    existing objects (:meth:`existing`; by default the key column is a unique field) and may
    refine :meth:`values` (by default every column present, parsed by its field). The engine
    validates each planned instance with the model's own rules (:class:`FieldChecker`: the
    fields' checks and ``Model.clean()``), diffs it against the stored object, and applies the
    plan with batched INSERTs and UPDATEs and one audit event per written object.
    """

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.snapshot = Snapshotter(self.model)
        self.new_instance = InstanceFactory(self.model)
        self.existing_objects: dict[str, models.Model] = {}
        # References were resolved to visible, existing objects by ``ref``: re-checking each
        # with a query per row would only repeat that. Keys and constraints are checked in
        # bulk (and by the database).
        self.checker = FieldChecker(
            self.model, (f.name for f in self.model._meta.concrete_fields if f.is_relation)
        )

    # -- what subclasses implement --------------------------------------------------------

    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        """Existing objects by key, for the keys in the file.

        The default reads them by the field named like the key column, in chunks; override
        when the key is computed (a location's path) or not a field.
        """
        found: dict[str, models.Model] = {}
        manager = self.model._default_manager
        for chunk in in_batches(keys):
            for obj in manager.filter(**{f"{self.key_column}__in": chunk}):
                found[getattr(obj, self.key_column)] = obj
        return found

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        """Field values from a row: (immediate, deferred). Raise :class:`RowError`.

        The default takes every known column present in the row (:meth:`cell_values`);
        deferred values are those set after every row exists (see :meth:`apply_deferred`).
        """
        return self.cell_values(row.values, tuple(sorted(self.columns()))), {}

    def order(self, rows: list[Row]) -> list[Row]:
        """The order rows are applied in (e.g. parents before children)."""
        return rows

    def prepare(self, instance: models.Model) -> None:
        """Adjust derived fields before validation (e.g. a location's path)."""

    def apply_deferred(self, results: list[RowResult]) -> list[models.Model]:
        """Apply values that reference rows of the same file; return changed instances."""
        return []

    def deferred_fields(self) -> set[str]:
        """Field names set by :meth:`apply_deferred` instead of the bulk update."""
        return set()

    def bulk_create(self, instances: list[Any]) -> None:
        """Insert new objects (subclasses may need ordering, e.g. tree levels)."""
        insert_rows(self.model, instances)

    # -- planning -----------------------------------------------------------------------------

    def new_report(self, dry_run: bool, job_id: str) -> ImportReport:
        return ImportReport(self.object_type, dry_run, applied=False, job_id=job_id, rows=[])

    def read(self, stream: IO[bytes], filename: str) -> tuple[list[str], Iterator[Row]]:
        return read_table(stream, filename)

    def plan_file(
        self, rows: Iterator[Row], report: ImportReport, progress: Progress | None
    ) -> None:
        report.rows = self.plan(self.order(list(rows)), progress)

    def plan(self, rows: list[Row], progress: Progress | None = None) -> list[RowResult]:
        """Validate each row against the database and the rest of the file."""
        keys = [r.values.get(self.key_column, "") for r in rows]
        existing = self.existing([k for k in keys if k])
        self.existing_objects = existing
        changeable = self.changeable([obj.pk for obj in existing.values()])
        can_add = self.may("add")
        seen: dict[str, int] = {}
        results: list[RowResult] = []
        for index, row in enumerate(rows):
            key = row.values.get(self.key_column, "")
            result = RowResult(number=row.number, key=key, action="error")
            results.append(result)
            if progress and index % 500 == 0:
                progress(index, len(rows))
            if not key:
                result.errors.append(f"{self.key_column}: required")
                continue
            if key in seen:
                result.errors.append(
                    f"{self.key_column}: {key!r} already appears on row {seen[key]}"
                )
                continue
            seen[key] = row.number
            try:
                immediate, deferred = self.values(row)
            except RowError as exc:
                result.errors.append(exc.text())
                continue
            current = existing.get(key)
            if current is not None and changeable is not None and current.pk not in changeable:
                result.errors.append(f"{self.key_column}: you may not change {key!r}")
                continue
            if current is None and not can_add:
                result.errors.append(
                    f"{self.key_column}: you may not create {self.model._meta.verbose_name_plural}"
                )
                continue
            self._plan_row(result, current, immediate, deferred)
        if progress:
            progress(len(rows), len(rows))
        return results

    def _plan_row(
        self,
        result: RowResult,
        current: models.Model | None,
        immediate: dict[str, Any],
        deferred: dict[str, Any],
    ) -> None:
        if current is None:
            instance = self.new_instance(immediate)
            before: dict[str, Any] = {}
        else:
            instance = current
            before = self.snapshot(current)
            for name, value in immediate.items():
                setattr(instance, name, value)
        self.prepare(instance)
        try:
            self.checker.check(instance)
        except DjangoValidationError as exc:
            failed = ValidationFailed.from_django(exc)
            result.errors.extend(
                f"{name}: {msg}" if name != "__all__" else msg
                for name, msgs in failed.fields.items()
                for msg in msgs
            )
            return
        result.instance = instance
        result.deferred = deferred
        if current is None:
            result.action = "create"
            result.planned = functools.partial(self._planned_snapshot, instance, deferred)
        else:
            after = self._planned_snapshot(instance, deferred)
            changed = {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
            result.changes = changed
            result.action = "update" if changed else "unchanged"

    def _planned_snapshot(self, instance: models.Model, deferred: dict[str, Any]) -> dict[str, Any]:
        after = self.snapshot(instance)
        for name, value in deferred.items():
            after[name] = value.pk if isinstance(value, models.Model) else value
        return after

    # -- writing ------------------------------------------------------------------------------

    def apply_plan(self, report: ImportReport, job_id: str, progress: Progress | None) -> None:
        self.apply(list(report.rows), job_id, progress)

    def apply(
        self, results: list[RowResult], job_id: str, progress: Progress | None = None
    ) -> None:
        """Write the plan in one transaction: bulk creates/updates, then bulk audit events."""
        actor = self.job_actor(job_id)
        creates = [r for r in results if r.action == "create"]
        updates = [r for r in results if r.action == "update"]
        with transaction.atomic():
            self.bulk_create([r.instance for r in creates])
            update_fields = sorted(
                {k for r in updates for k in r.changes if k not in self.deferred_fields()}
            )
            if update_fields:
                changed = [r.instance for r in updates]
                update_fields += sort_key_updates(self.model, changed, update_fields)
                self.model._default_manager.bulk_update(
                    changed, update_fields, batch_size=UPDATE_BATCH
                )
            self.apply_deferred(results)
            self.verify([r.instance.pk for r in creates], "add")
            self.verify([r.instance.pk for r in updates], "change")
            audit = AuditRows(actor, timezone.now())
            audit.write(self._events(audit, creates, updates))

    def _events(
        self, audit: AuditRows, creates: list[RowResult], updates: list[RowResult]
    ) -> Iterator[tuple[Any, ...]]:
        yield from create_event_rows(
            audit, self.object_type, [r.instance for r in creates], self.snapshot
        )
        for result in updates:
            yield audit.update_row(
                self.object_type, result.instance.pk, str(result.instance), result.changes
            )
