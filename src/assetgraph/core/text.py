"""Characters no stored text may hold.

NUL cannot be stored by PostgreSQL at all (SQLite stores it, and the next XLSX export of the
list then fails); the other C0 control characters (tab and line breaks excepted) cannot be
written to XLSX or XML and only ever arrive by mistake or malice; lone UTF-16 surrogates
cannot be encoded by any database driver. They are refused wherever text enters: the API's
input check, model validation (so forms and imports too) and attribute values.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible

FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def forbidden_character(text: str) -> str:
    """How to name the first forbidden character of ``text`` ("" when there is none)."""
    match = FORBIDDEN_CHARACTERS.search(text)
    if match is None:
        return ""
    char = match.group()
    if char == "\x00":
        return "a NUL character"
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate (U+{ord(char):04X})"
    return f"a control character (U+{ord(char):04X})"


def forbidden_message(text: str) -> str:
    """The field error for text holding a forbidden character ("" when it holds none)."""
    found = forbidden_character(text)
    return f"contains {found}, which is not allowed" if found else ""


@deconstructible
class ForbiddenTextValidator:
    """A field validator: text must hold no NUL, control character or lone surrogate."""

    code = "forbidden_character"

    def __call__(self, value: Any) -> None:
        message = forbidden_message(value) if isinstance(value, str) else ""
        if message:
            raise ValidationError(message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ForbiddenTextValidator)

    def __hash__(self) -> int:
        return hash(self.code)


_VALIDATOR = ForbiddenTextValidator()


def refuse_forbidden_text(sender: type[models.Model], **kwargs: Any) -> None:
    """``class_prepared`` receiver: every text field of the project's models validates with
    :class:`ForbiddenTextValidator`.

    So ``full_clean`` (every service), the import engines' field checks and model forms all
    refuse such text with a field error, on both databases. The validator is added to the
    field's run-time ``validators`` list, as Django adds ``MaxLengthValidator`` to a
    ``CharField``'s, so it is no part of the field's definition and changes no migration.
    """
    if not sender.__module__.startswith("assetgraph."):
        return
    for model_field in sender._meta.local_fields:
        if isinstance(model_field, models.CharField | models.TextField) and (
            _VALIDATOR not in model_field.validators
        ):
            model_field.validators.append(_VALIDATOR)
