"""Typed attributes: one mechanism for ITAM custom fields and CMDB class attributes.

Definitions (``AbstractAttributeDefinition`` subclasses: an app decides what they attach to,
e.g. asset categories or CI classes) say a key's type and rules. Values live in a JSON column
of the owning model (``attributes``) in a canonical form per type, so that:

- validation and coercion are the same on every surface (:func:`clean_attributes`);
- filters compare like with like on SQLite and PostgreSQL (numbers as JSON numbers, dates and
  versions as sortable strings, IPs/MACs normalised) (:func:`attribute_q`);
- sorting uses the same canonical values (:func:`attribute_order`);
- no ALTER TABLE is ever needed for a new field; hot keys get expression indexes in the owning
  app's migrations.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from .errors import ValidationFailed
from .text import forbidden_message


class AttributeType(models.TextChoices):
    """The value types an attribute can have."""

    TEXT = "text", "Text"
    INTEGER = "integer", "Integer"
    DECIMAL = "decimal", "Decimal"
    BOOLEAN = "boolean", "Yes/no"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"
    URL = "url", "URL"
    IP = "ip", "IP address"
    CIDR = "cidr", "Network (CIDR)"
    MAC = "mac", "MAC address"
    VERSION = "version", "Version"
    REFERENCE = "reference", "Reference"


NUMERIC = frozenset({AttributeType.INTEGER, AttributeType.DECIMAL})
ORDERED = NUMERIC | {AttributeType.DATE, AttributeType.VERSION}
TEXTUAL = frozenset({AttributeType.TEXT, AttributeType.URL, AttributeType.CHOICE})
# Lookups each type allows in filters (``attr.<key>__<lookup>=value``).
LOOKUPS: dict[str, frozenset[str]] = {
    t: frozenset({"exact", "in", "isnull"})
    | ({"gt", "gte", "lt", "lte"} if t in ORDERED else set())
    | (
        {"icontains", "istartswith"}
        if t in TEXTUAL | {AttributeType.IP, AttributeType.MAC}
        else set()
    )
    for t in AttributeType.values
}
ATTRIBUTE_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"  # also published in the API schemas
_KEY = re.compile(ATTRIBUTE_KEY_PATTERN)
_MAC = re.compile(r"^[0-9a-f]{12}$")
_VERSION_PART = re.compile(r"\d+|[a-z]+")


class AbstractAttributeDefinition(models.Model):
    """What one attribute is: its key, type and rules. Concrete models add the attachment."""

    key = models.SlugField(
        max_length=63, help_text="Lower-case identifier used in the API, e.g. ram_gb."
    )
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=20, choices=AttributeType.choices)
    required = models.BooleanField(default=False)
    recommended = models.BooleanField(
        default=False, help_text="Counts towards completeness when empty."
    )
    choices = models.JSONField(
        default=list, blank=True, help_text="Allowed values of a choice attribute."
    )
    minimum = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    maximum = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    pattern = models.CharField(
        max_length=200, blank=True, help_text="A regular expression text must match."
    )
    reference_type = models.CharField(
        max_length=100,
        blank=True,
        help_text="Object type a reference points to, e.g. org.person or cmdb.ci.",
    )
    help_text = models.CharField(max_length=200, blank=True)
    weight = models.PositiveIntegerField(default=100, help_text="Display order: lower first.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label or self.key

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not _KEY.match(self.key or ""):
            errors["key"] = "use lower-case letters, digits and underscores, starting with a letter"
        if self.type == AttributeType.CHOICE:
            if (
                not isinstance(self.choices, list)
                or not self.choices
                or not all(isinstance(c, str) and c for c in self.choices)
            ):
                errors["choices"] = "a choice attribute needs a list of non-empty strings"
        elif self.choices:
            errors["choices"] = "only choice attributes have choices"
        if self.type == AttributeType.REFERENCE and not self.reference_type:
            errors["reference_type"] = "a reference attribute needs the object type it points to"
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                errors["pattern"] = f"not a regular expression: {exc}"
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            errors["maximum"] = "the maximum is below the minimum"
        if errors:
            raise ValidationError(errors)


# -- coercion to the canonical stored form --------------------------------------------------


def version_key(value: str) -> str:
    """A string that sorts versions naturally: ``1.9 < 1.10 < 2.0`` (numbers zero-padded)."""
    parts = _VERSION_PART.findall(value.lower())
    return ".".join(p.zfill(10) if p.isdigit() else p for p in parts)


def _text(definition: AbstractAttributeDefinition, text: Any) -> Any:
    value = str(text)
    problem = forbidden_message(value)
    if problem:
        raise ValueError(problem)
    if definition.pattern and not re.fullmatch(definition.pattern, value):
        raise ValueError(f"does not match the pattern {definition.pattern}")
    return value


def _integer(definition: AbstractAttributeDefinition, text: Any) -> Any:
    if isinstance(text, bool):
        raise ValueError("not a whole number")
    try:
        number = int(text) if not isinstance(text, float) or text.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise ValueError("not a whole number")
    if not -(2**63) <= number < 2**63:
        raise ValueError("out of range (a 64-bit integer)")
    _check_range(definition, Decimal(number))
    return number


def _decimal(definition: AbstractAttributeDefinition, text: Any) -> Any:
    if isinstance(text, bool):
        raise ValueError("not a number")
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a number")
    _check_range(definition, number)
    return float(number)


def _boolean(definition: AbstractAttributeDefinition, text: Any) -> Any:
    if isinstance(text, bool):
        return text
    word = str(text).lower()
    if word in {"true", "yes", "1", "y", "on"}:
        return True
    if word in {"false", "no", "0", "n", "off"}:
        return False
    raise ValueError("not yes/no")


def _date(definition: AbstractAttributeDefinition, text: Any) -> Any:
    if isinstance(text, dt.datetime):
        return text.date().isoformat()
    if isinstance(text, dt.date):
        return text.isoformat()
    try:
        return dt.date.fromisoformat(str(text)[:10]).isoformat()
    except ValueError:
        raise ValueError("not a date (use YYYY-MM-DD)") from None


def _choice(definition: AbstractAttributeDefinition, text: Any) -> Any:
    for choice in definition.choices:
        if str(text).lower() == choice.lower():
            return choice
    raise ValueError(f"not one of {', '.join(definition.choices)}")


def _url(definition: AbstractAttributeDefinition, text: Any) -> Any:
    try:
        URLValidator()(str(text))
    except ValidationError:
        raise ValueError("not a URL") from None
    return str(text)


def _ip(definition: AbstractAttributeDefinition, text: Any) -> Any:
    try:
        return str(ipaddress.ip_address(str(text)))
    except ValueError:
        raise ValueError("not an IP address") from None


def _cidr(definition: AbstractAttributeDefinition, text: Any) -> Any:
    try:
        return str(ipaddress.ip_network(str(text), strict=False))
    except ValueError:
        raise ValueError("not a network in CIDR notation (e.g. 10.0.0.0/24)") from None


def _mac(definition: AbstractAttributeDefinition, text: Any) -> Any:
    digits = re.sub(r"[^0-9a-fA-F]", "", str(text)).lower()
    if not _MAC.match(digits) or len(re.sub(r"[0-9a-fA-F:.\-\s]", "", str(text))) > 0:
        raise ValueError("not a MAC address")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def _version(definition: AbstractAttributeDefinition, text: Any) -> Any:
    value = str(text)
    if not _VERSION_PART.search(value.lower()):
        raise ValueError("not a version")
    return value


def _reference(definition: AbstractAttributeDefinition, text: Any) -> Any:
    try:
        return int(str(text).removeprefix("#"))
    except ValueError:
        raise ValueError("not an id") from None


# One parser per attribute type: user input (text or JSON value) → the canonical stored value.
_COERCE: dict[str, Callable[[AbstractAttributeDefinition, Any], Any]] = {
    AttributeType.TEXT: _text,
    AttributeType.INTEGER: _integer,
    AttributeType.DECIMAL: _decimal,
    AttributeType.BOOLEAN: _boolean,
    AttributeType.DATE: _date,
    AttributeType.CHOICE: _choice,
    AttributeType.URL: _url,
    AttributeType.IP: _ip,
    AttributeType.CIDR: _cidr,
    AttributeType.MAC: _mac,
    AttributeType.VERSION: _version,
    AttributeType.REFERENCE: _reference,
}


def coerce(definition: AbstractAttributeDefinition, raw: Any) -> Any:
    """Turn user input (API JSON, form text, CSV cell) into the canonical stored value.

    Raises ``ValueError`` with a message fit for a field error. ``None``/"" means empty.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    parse = _COERCE.get(definition.type)
    if parse is None:
        raise ValueError(f"unknown attribute type {definition.type!r}")
    return parse(definition, raw.strip() if isinstance(raw, str) else raw)


def _check_range(definition: AbstractAttributeDefinition, number: Decimal) -> None:
    if definition.minimum is not None and number < definition.minimum:
        raise ValueError(f"below the minimum {_plain(definition.minimum)}")
    if definition.maximum is not None and number > definition.maximum:
        raise ValueError(f"above the maximum {_plain(definition.maximum)}")


def stored_pair(definition: AbstractAttributeDefinition, value: Any) -> dict[str, Any]:
    """Extra keys stored beside a value so it sorts right (a version's natural sort key)."""
    if definition.type == AttributeType.VERSION and value is not None:
        return {f"_{definition.key}_sort": version_key(value)}
    return {}


def clean_attributes(
    definitions: Iterable[AbstractAttributeDefinition],
    values: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None = None,
    partial: bool = False,
    field: str = "attributes",
) -> dict[str, Any]:
    """Validate ``values`` against ``definitions``; return the complete canonical dict.

    With ``partial`` (a PATCH), keys not given keep their ``current`` value. Unknown keys,
    bad values and missing required values raise :class:`ValidationFailed` naming
    ``attributes.<key>``.
    """
    by_key = {d.key: d for d in definitions}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(by_key))
    for key in unknown:
        errors[f"{field}.{key}"] = ["not an attribute of this kind of object"]
    result: dict[str, Any] = {}
    base = dict(current or {}) if partial else {}
    for key, definition in by_key.items():
        if key in values:
            try:
                value = coerce(definition, values[key])
            except ValueError as exc:
                errors[f"{field}.{key}"] = [str(exc)]
                continue
        else:
            value = base.get(key)
        if value is None:
            if definition.required:
                errors[f"{field}.{key}"] = ["required"]
            continue
        result[key] = value
        result.update(stored_pair(definition, value))
    if errors:
        first_key, first = next(iter(errors.items()))
        raise ValidationFailed(f"{first_key}: {first[0]}", fields=errors)
    return result


def public_values(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Attributes without the internal sort keys, for output."""
    return {k: v for k, v in (attributes or {}).items() if not k.startswith("_")}


# -- querying -------------------------------------------------------------------------------


def attribute_q(
    definition: AbstractAttributeDefinition, lookup: str, raw: str, field: str = "attributes"
) -> Q:
    """A filter on one attribute, with the value coerced exactly as stored.

    Raises :class:`ValidationFailed` naming ``attr.<key>`` for a bad lookup or value.
    """
    name = f"attr.{definition.key}"
    if lookup not in LOOKUPS[definition.type]:
        allowed = ", ".join(sorted(LOOKUPS[definition.type]))
        raise ValidationFailed(
            f"{name}: lookup {lookup!r} not allowed (use {allowed})",
            fields={name: [f"use {allowed}"]},
        )
    path = f"{field}__{definition.key}"
    if lookup == "isnull":
        wanted = raw.lower() in {"true", "1", "yes"}
        present = Q(**{f"{field}__has_key": definition.key})
        return ~present if wanted else present
    try:
        if lookup == "in":
            values = [coerce(definition, part) for part in raw.split(",") if part.strip()]
            return Q(**{f"{path}__in": values})
        value = coerce(definition, raw) if lookup not in {"icontains", "istartswith"} else raw
    except ValueError as exc:
        raise ValidationFailed(f"{name}: {exc}", fields={name: [str(exc)]}) from None
    if value is None or (isinstance(value, str) and not value.strip()):
        # A blank value filters nothing: say so instead of comparing with NULL.
        message = "a value is required (use __isnull=true for a missing attribute)"
        raise ValidationFailed(f"{name}: {message}", fields={name: [message]})
    if definition.type == AttributeType.VERSION and lookup in {"gt", "gte", "lt", "lte"}:
        return Q(**{f"{field}___{definition.key}_sort__{lookup}": version_key(str(value))})
    if lookup in {"icontains", "istartswith"}:
        return Q(**{f"{path}__{lookup}": value})
    return Q(**{f"{path}__{lookup}" if lookup != "exact" else path: value})


def attribute_order(
    definition: AbstractAttributeDefinition, descending: bool = False, field: str = "attributes"
) -> Any:
    """An ``order_by`` expression sorting by one attribute's canonical value, empties last."""
    key = f"_{definition.key}_sort" if definition.type == AttributeType.VERSION else definition.key
    expression: Any = (
        KeyTransform(key, field) if definition.type in NUMERIC else KeyTextTransform(key, field)
    )
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


def parse_attribute_params(params: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``attr.ram_gb__gte=16`` query parameters as (key, lookup, raw value) triples."""
    found = []
    for name, raw in params.items():
        if not name.startswith("attr.") or raw == "":
            continue
        key, _, lookup = name[5:].partition("__")
        found.append((key, lookup or "exact", raw))
    return found


def sort_expression(definition: AbstractAttributeDefinition, field: str = "attributes") -> Any:
    """A NULL-free sort value for keyset pagination: numbers as floats, others as text.

    Missing values sort first (as -inf or ""), so the keyset cursor never compares NULLs.
    """
    from django.db.models import FloatField, Value
    from django.db.models.functions import Cast, Coalesce

    if definition.type in NUMERIC:
        return Coalesce(Cast(KeyTextTransform(definition.key, field), FloatField()), Value(-1e308))
    key = f"_{definition.key}_sort" if definition.type == AttributeType.VERSION else definition.key
    return Coalesce(KeyTextTransform(key, field), Value(""))


def apply_attribute_params(
    queryset: models.QuerySet[Any],
    params: Mapping[str, str],
    definitions: Iterable[AbstractAttributeDefinition],
    field: str = "attributes",
) -> tuple[models.QuerySet[Any], dict[str, str]]:
    """Apply ``attr.<key>[__lookup]=`` filters and prepare ``ordering=attr.<key>``.

    Returns the narrowed queryset and the extra orderings (``{"attr.key": annotation}``) to
    allow in :func:`assetgraph.api.pagination.page_request`. Unknown keys are field errors.
    """
    by_key = {d.key: d for d in definitions}
    for key, lookup, raw in parse_attribute_params(params):
        definition = by_key.get(key)
        if definition is None:
            raise ValidationFailed(
                f"attr.{key}: unknown attribute", fields={f"attr.{key}": ["unknown attribute"]}
            )
        queryset = queryset.filter(attribute_q(definition, lookup, raw, field))
    extra: dict[str, str] = {}
    ordering = (params.get("ordering") or "").lstrip("-")
    if ordering.startswith("attr."):
        definition = by_key.get(ordering[5:])
        if definition is None:
            raise ValidationFailed(
                f"ordering: unknown attribute {ordering[5:]!r}",
                fields={"ordering": ["unknown attribute"]},
            )
        queryset = queryset.annotate(attr_sort=sort_expression(definition, field))
        extra[ordering] = "attr_sort"
    return queryset, extra


def _plain(limit: Decimal) -> str:
    """A limit as people write it: ``10`` and ``2.5``, never ``1E+1`` or ``10.000000``."""
    return format(limit.normalize(), "f")
