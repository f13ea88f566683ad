"""The server enforces its own OpenAPI document: a request the document calls invalid is a 422.

ninja validates each parameter with pydantic, which is lax where the document is strict: it
reads ``0`` as ``false``, a number as a Unix timestamp (``start: 0``, ``?until=0.5``) and a
numeric string as a date. A client generated from the document, or a tool such as
schemathesis, then sees invalid input accepted. So before pydantic runs, each JSON body and
each declared query parameter is checked against the published schema of its operation
(the completed document of :mod:`assetgraph.api.openapi`, so the API-wide rules apply too):

- a body is validated as JSON against the operation's request-body schema;
- a query value (always text on the wire) is valid when the text itself, or its reading as
  an integer, number or boolean, satisfies the parameter's schema;
- ``date`` and ``date-time`` formats are checked (ISO 8601 as Python reads it; a bare number
  is neither).

Undeclared query parameters (``limit``, ``cursor``, ``ordering``, ``attr.*``) are left to
their own parsers. The check runs inside ninja's parser, so authentication and permission
answers (401/403) come first, exactly as before.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from assetgraph.core.errors import ValidationFailed

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

FORMATS = FormatChecker()
_NULL_REASON = "must be of type null"


@FORMATS.checks("date", raises=ValueError)  # type: ignore[untyped-decorator]
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.date.fromisoformat(value)
    return True


@FORMATS.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _NUMBER.fullmatch(value.strip()):
        raise ValueError("a number is not a timestamp")
    dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@FORMATS.checks("time", raises=ValueError)  # type: ignore[untyped-decorator]
def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.time.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return True


class _Operation:
    """The compiled checks of one operation."""

    def __init__(self, document: dict[str, Any], operation: dict[str, Any]) -> None:
        components = {"components": document.get("components", {})}
        self.query: dict[str, Draft202012Validator] = {}
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and "schema" in parameter:
                schema = parameter["schema"]
                if schema.get("type") == "array":  # repeated parameter: each value an item
                    schema = schema.get("items", {})
                self.query[parameter["name"]] = Draft202012Validator(
                    {**schema, **components}, format_checker=FORMATS
                )
        content = operation.get("requestBody", {}).get("content", {})
        body = content.get("application/json", {}).get("schema")
        self.body = (
            Draft202012Validator({**body, **components}, format_checker=FORMATS)
            if body is not None
            else None
        )


class DocumentGuard:
    """Checks requests against the operations of a ``NinjaAPI``'s own completed document."""

    def __init__(self, api: Any, path_prefix: str = "/api/") -> None:
        self._api = api
        self._prefix = path_prefix
        self._document: dict[str, Any] | None = None
        self._operations: dict[tuple[str, str], _Operation | None] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> DocumentGuard:
        return self  # shared state (a lock, compiled validators), never copied with the API

    def _operation(self, request: HttpRequest) -> _Operation | None:
        match = getattr(request, "resolver_match", None)
        route = getattr(match, "route", None)
        if not route:
            return None
        path = "/" + _ROUTE_PARAM.sub(r"{\1}", route)
        key = (request.method.lower() if request.method else "", path)
        if key not in self._operations:
            with self._lock:
                if self._document is None:
                    self._document = self._api.get_openapi_schema(path_prefix=self._prefix)
                operation = self._document.get("paths", {}).get(path, {}).get(key[0])
                self._operations[key] = (
                    _Operation(self._document, operation) if isinstance(operation, dict) else None
                )
        return self._operations[key]

    def check_body(self, request: HttpRequest, body: Any) -> None:
        """Refuse a JSON body its operation's schema calls invalid (422 naming the field)."""
        operation = self._operation(request)
        if operation is None or operation.body is None:
            return
        fields: dict[str, list[str]] = {}
        for error in operation.body.iter_errors(body):
            field = ".".join(str(part) for part in error.absolute_path) or _missing(error)
            fields.setdefault(field, [_describe(error)])
        if fields:
            first = next(iter(fields))
            raise ValidationFailed(f"{first}: {fields[first][0]}", fields=fields)

    def check_query(self, request: HttpRequest, data: Any) -> None:
        """Refuse a declared query parameter whose value the document calls invalid."""
        operation = self._operation(request)
        if operation is None or not operation.query:
            return
        for name in data:
            validator = operation.query.get(name)
            if validator is None:
                continue
            for value in data.getlist(name):
                errors = [_first(validator.iter_errors(c)) for c in _readings(value)]
                if errors and all(e is not None for e in errors):
                    raise _refusal(name, errors[-1])


def _readings(value: str) -> Iterator[Any]:
    """The values a query string may stand for: itself, an integer, a number, a boolean."""
    yield value
    text = value.strip()
    if _INTEGER.fullmatch(text):
        yield int(text)  # exact: a float would round 2**63 into range
    elif _NUMBER.fullmatch(text):
        yield float(text)
    if text.lower() in _TRUE:
        yield True
    elif text.lower() in _FALSE:
        yield False


def _first(errors: Iterator[SchemaError]) -> SchemaError | None:
    return next(iter(errors), None)


def _missing(error: SchemaError) -> str:
    if error.validator == "required":
        found = re.match(r"'([^']+)' is a required property", error.message)
        if found:
            return found.group(1)
    return "body"


def _refusal(field: str, error: SchemaError) -> ValidationFailed:
    message = _describe(error)
    return ValidationFailed(f"{field}: {message}", fields={field: [message]})


def _describe(error: SchemaError) -> str:
    """A short reason that never echoes a long input back."""
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.instance is None and kind in {"type", "enum", "anyOf", "oneOf"}:
        return "may not be null"
    if kind == "type":
        return f"must be of type {schema.get('type')}"
    if kind == "format":
        return f"not a valid {schema.get('format')}"
    if kind == "enum":
        options = ", ".join(str(v) for v in schema.get("enum", [])[:20])
        return f"use one of {options}"
    if kind in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return f"out of range ({kind} {schema.get(kind)})"
    if kind in {"minLength", "maxLength", "minItems", "maxItems"}:
        return f"{kind} is {schema.get(kind)}"
    if kind == "pattern":
        return "has characters or a form this field does not accept"
    if kind == "required":
        return "required"
    if kind in {"anyOf", "oneOf"}:
        reasons = sorted({_describe(sub) for sub in (error.context or [])} - {_NULL_REASON})
        return "; or ".join(reasons[:3]) if reasons else "does not match the schema"
    return str(error.message)[:200]
