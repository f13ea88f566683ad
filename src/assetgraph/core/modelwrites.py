"""The validation and save steps every audited write shares, below the permission and audit
layers: ``framework.crud`` (and the accounts services, which sit under it) compose them with
``authorize`` and ``record_event``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction

from .errors import Conflict, DuplicateValue, ValidationFailed


def full_clean(instance: models.Model, exclude: list[str] | None = None) -> None:
    """Run model validation and raise :class:`ValidationFailed` naming the fields."""
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        failed = ValidationFailed.from_django(exc)
        if _only_uniqueness(instance, exc):
            raise DuplicateValue(failed.message, fields=failed.fields) from exc
        raise failed from exc


_UNIQUE_CODES = {"unique", "unique_together", "unique_for_date"}


def _only_uniqueness(instance: models.Model, exc: DjangoValidationError) -> bool:
    """Whether every error is a unique field or unique constraint being taken already."""
    constraint_messages = {
        str(c.get_violation_error_message())
        for c in instance._meta.constraints
        if isinstance(c, models.UniqueConstraint)
    }
    errors = [e for errs in getattr(exc, "error_dict", {"": [exc]}).values() for e in errs]
    flat = [item for error in errors for item in error.error_list]
    return bool(flat) and all(
        item.code in _UNIQUE_CODES or _text(item) in constraint_messages for item in flat
    )


def _text(error: DjangoValidationError) -> str:
    message = str(error.message)
    return message % error.params if error.params else message


def assign_editable(instance: models.Model, values: Mapping[str, Any]) -> None:
    """Set editable fields only; any other name is a field error naming it."""
    fields = [f for f in instance._meta.concrete_fields if f.editable]
    editable = {f.name for f in fields} | {f.attname for f in fields}
    for name, value in values.items():
        if name not in editable:
            raise ValidationFailed(
                f"{name}: not an editable field", fields={name: ["not an editable field"]}
            )
        setattr(instance, name, value)


def save_or_conflict(instance: models.Model) -> None:
    """Save, turning a unique-constraint violation into a 409 instead of a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(f"the {instance._meta.verbose_name} conflicts with an existing one") from exc
