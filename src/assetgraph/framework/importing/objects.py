"""Creating many objects that are not read from a file: the demo, generators, bulk services.

:func:`create_objects` is the same write path an import's apply takes — the model's own
validation (:class:`~.fastpath.FieldChecker`), batched INSERTs (:func:`~.inserts.insert_rows`)
and one audit event per object, written in bulk — for code that already holds the instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.batching import UPDATE_BATCH
from assetgraph.core.errors import ValidationFailed
from assetgraph.core.registry import object_type_key

from .fastpath import FieldChecker, Snapshotter
from .inserts import insert_rows
from .statistics import refresh_planner_statistics
from .writes import AuditRows, dumps

M = TypeVar("M", bound=models.Model)


def create_event_rows(
    audit: AuditRows, object_type: str, instances: Iterable[Any], snapshot: Snapshotter
) -> Iterator[tuple[Any, ...]]:
    """One ``create`` event per saved instance: its audit snapshot, and its non-empty fields
    as the changed ones (what ``record_event(actor, "create", …)`` records)."""
    for instance in instances:
        after = snapshot(instance)
        yield audit.row(
            object_type,
            instance.pk,
            str(instance),
            "create",
            None,
            dumps(after),
            dumps(snapshot.changed_on_create(after)),
        )


def create_objects(
    actor: Actor,
    instances: Sequence[M],
    *,
    trusted: Iterable[str] | None = None,
    audit: bool = True,
) -> Sequence[M]:
    """Validate, insert and audit new, unsaved instances of one model, all or nothing.

    Each instance is checked like ``full_clean`` (fields and ``Model.clean()``; uniqueness
    and constraints are left to the database). ``trusted`` names fields not to re-check,
    by default every relation (the caller built them from objects it holds; checking each
    would cost a query per row). A relation to another instance of the same call that has
    no primary key yet is filled in once it has one (such a relation must be nullable).
    ``audit=False`` is for rows that services do not audit on their own either (e.g. custody
    records, described by their asset's events). Raises :class:`ValidationFailed` naming
    the first invalid instance; nothing is written then.
    """
    if not instances:
        return instances
    model = type(instances[0])
    relations = [f for f in model._meta.concrete_fields if f.is_relation]
    skip = {f.name for f in relations} if trusted is None else set(trusted)
    checker = FieldChecker(model, skip)
    for instance in instances:
        try:
            checker.check(instance)
        except DjangoValidationError as exc:
            failed = ValidationFailed.from_django(exc)
            raise ValidationFailed(f"{instance}: {failed.message}", fields=failed.fields) from exc
    pending = _pending_relations(instances, relations)
    with transaction.atomic():
        insert_rows(model, list(instances))
        for model_field, objects in pending.items():
            for instance in objects:
                target = model_field.get_cached_value(instance)
                assert target is not None
                setattr(instance, model_field.attname, target.pk)
            model._default_manager.bulk_update(objects, [model_field.name], batch_size=UPDATE_BATCH)
        if audit:
            rows = AuditRows(actor, timezone.now())
            rows.write(
                create_event_rows(rows, object_type_key(model), instances, Snapshotter(model))
            )
    refresh_planner_statistics([model], len(instances))
    return instances


def _pending_relations(
    instances: Sequence[Any], relations: list[models.Field[Any, Any]]
) -> dict[models.ForeignKey[Any, Any], list[Any]]:
    """Instances whose relation points at an object without a primary key yet (another row
    of the same call), by field."""
    pending: dict[models.ForeignKey[Any, Any], list[Any]] = {}
    for model_field in relations:
        if not isinstance(model_field, models.ForeignKey):
            continue
        for instance in instances:
            if getattr(instance, model_field.attname) is not None:
                continue
            if not model_field.is_cached(instance):
                continue
            target = model_field.get_cached_value(instance)
            if target is not None and target.pk is None:
                if not model_field.null:
                    raise ValueError(
                        f"{model_field.name}: write the referenced rows first (NOT NULL)"
                    )
                pending.setdefault(model_field, []).append(instance)
    return pending
