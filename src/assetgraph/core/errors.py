"""Domain errors raised by services and turned into one error body by every surface.

The API maps them to ``{"error": {"code", "message", "fields"}}`` with the status below; the UI
shows the message and attaches ``fields`` to form fields. Services raise them instead of
returning error codes, so a failed write always rolls back its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError as DjangoValidationError


class ServiceError(Exception):
    """Base of every expected failure of a service call."""

    status: int = 400
    code: str = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = {k: list(v) for k, v in (fields or {}).items()}
        if code is not None:
            self.code = code


class ValidationFailed(ServiceError):
    """Input breaks a validation rule; ``fields`` names the offending fields."""

    status = 422
    code = "validation_error"

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> ValidationFailed:
        """Convert Django's ``ValidationError`` (from ``full_clean``) keeping field names."""
        if hasattr(exc, "error_dict"):
            fields = {
                ("__all__" if name == "__all__" else name): [
                    str(m) for e in errs for m in e.messages
                ]
                for name, errs in exc.error_dict.items()
            }
        else:
            fields = {"__all__": [str(m) for m in exc.messages]}
        first = next(iter(fields.items()))
        label = "" if first[0] == "__all__" else f"{first[0]}: "
        return cls(f"{label}{first[1][0]}", fields=fields)


class DuplicateValue(ValidationFailed):
    """A value that must be unique is taken already: a conflict with the current state, so a
    409 (the same answer a concurrent insert gets from the database's unique index), still
    a validation failure for code that handles those (imports' row errors, forms)."""

    status = 409
    code = "conflict"


class MissingReference(ValidationFailed):
    """A field names an object that does not exist or that the actor may not see: a 404
    naming the field (as Stripe answers ``resource_missing``), the same for hidden and absent
    so the answer tells nothing about hidden objects; still a validation failure for code
    that handles those (imports' row errors, forms)."""

    status = 404
    code = "reference_not_found"


class NotFound(ServiceError):
    """The object does not exist or the actor may not see it (never a 403 for hidden objects)."""

    status = 404
    code = "not_found"


class PermissionDenied(ServiceError):
    """The actor sees the object but may not perform the action."""

    status = 403
    code = "permission_denied"


class Conflict(ServiceError):
    """The request conflicts with the current state (a lifecycle rule, a race, a reference)."""

    status = 409
    code = "conflict"


class PreconditionFailed(ServiceError):
    """``If-Match`` named a version that is no longer current."""

    status = 412
    code = "precondition_failed"
