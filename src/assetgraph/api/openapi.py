"""The OpenAPI document, completed with what holds for every operation.

ninja documents what each view declares: its parameters, its body and its success response.
The rules the whole API shares are added here, once, so the document tells the truth for
every operation without each view repeating them (and so a client generated from it, or a
tool such as schemathesis, expects what the API really does):

- every operation's error statuses (400/401/403/404/409/412/422, and 413 for uploads), all
  with the one error body;
- what :mod:`assetgraph.api.validation` refuses for every field: control characters in text
  (a ``pattern``), integers beyond 64 bits (``minimum``/``maximum``), query values over
  4,096 characters (``maxLength``);
- export operations' ``format`` (``csv`` or ``xlsx``), and numeric path ids (digits only);
- every operation's id, derived from its route (:mod:`assetgraph.api.operation_ids`), and
  the key schemas' examples (:mod:`assetgraph.api.examples`).

It also refuses to describe two different schemas under one name (ninja would silently keep
one of them and document the other operations wrongly).
"""

from __future__ import annotations

import copy
from typing import Any

from ninja import NinjaAPI

from . import formats
from .examples import add_examples
from .operation_ids import assign_operation_ids
from .validation import INT64, MAX_QUERY_VALUE

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
    "examples": [
        {
            "error": {
                "code": "validation_error",
                "message": "end_date: a person who has left needs an end date",
                "fields": {"end_date": ["a person who has left needs an end date"]},
            }
        }
    ],
}
ERROR_STATUSES = {
    "400": "Malformed request (JSON that does not parse)",
    "401": "Not authenticated: no valid token or session",
    "403": "Authenticated but not allowed",
    "404": "Not found, or not visible to you",
    "409": "Conflicts with the current state",
    "412": "If-Match names a version that is no longer current",
    "422": "Invalid input; `fields` names each offending field",
}
UPLOAD_STATUSES = {"413": "The upload is larger than the import limit"}
# The server itself (gunicorn) refuses a request line over 8 KB, with an HTML page.
URI_TOO_LONG = {
    "description": "The URL is too long (refused by the server before the API sees it)",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
# A time of day as the API writes and reads it (``05:30``, ``03:30:00``, ``03:30:00.5``).
TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?$"
# Text no field accepts (see api.validation): C0 controls other than tab and line breaks.
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"
# Any JSON value whose strings obey TEXT_PATTERN: what a free-form value (an attributes
# object, an ignored extra key) may hold, since the input check looks inside them too.
# Recursion goes through the JSONObject *object* component only: client generators
# (openapi-python-client) build recursive models but not a union or an array that names
# itself, so arrays nested directly in arrays are spelled out to ARRAY_NESTING levels (and
# the document guard refuses deeper ones, so the server and the document agree). One level:
# each more made schemathesis's coverage phase ~30% slower (measured on /api/org and /api/cmdb:
# 49 s with one, 77 s with three), and no free-form value the product takes nests lists.
ARRAY_NESTING = 1
_SCALARS: list[dict[str, Any]] = [
    {"type": "string", "pattern": TEXT_PATTERN},
    {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
]


def _json_value(arrays: int) -> dict[str, Any]:
    options = [*copy.deepcopy(_SCALARS), {"$ref": "#/components/schemas/JSONObject"}]
    if arrays > 0:
        options.append({"type": "array", "items": _json_value(arrays - 1)})
    return {"anyOf": options}


JSON_VALUE: dict[str, Any] = {"title": "JSONValue", **_json_value(ARRAY_NESTING)}
JSON_OBJECT: dict[str, Any] = {
    "title": "JSONObject",
    "type": "object",
    "additionalProperties": {"$ref": "#/components/schemas/JSONValue"},
}
_ANY_VALUE = {"$ref": "#/components/schemas/JSONValue"}


class DuplicateSchemaName(Exception):
    """Two different schemas would be documented under one component name."""


class DocumentedAPI(NinjaAPI):
    """A ``NinjaAPI`` whose OpenAPI document carries the API-wide rules (module docstring)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        check_unique_schema_names(self)
        document = super().get_openapi_schema(*args, **kwargs)
        complete(document)
        document_non_null_fields(document)
        document_decimal_inputs(self, document)
        assign_operation_ids(document)
        add_examples(document)
        return document


def document_decimal_inputs(api: NinjaAPI, document: dict[str, Any]) -> None:
    """Each Decimal input field as an integer or a string of its precision (``formats``).

    The precision comes from the pydantic field (``max_digits``, ``decimal_places``), else
    from the model column of a declared resource's field, else the money default.
    """
    from decimal import Decimal

    from pydantic import BaseModel

    components = document.get("components", {}).get("schemas", {})
    columns = _resource_columns()
    for model in _input_models(api, BaseModel):
        component = components.get(model.__name__)
        if not isinstance(component, dict):
            continue
        for name, field in model.model_fields.items():
            key = field.alias or name
            prop = component.get("properties", {}).get(key)
            if isinstance(prop, dict) and key in formats.CURRENCY_FIELDS:
                _text_form(prop, formats.optional(formats.CURRENCY_PATTERN))
            if not isinstance(prop, dict) or not _annotation_has(field.annotation, Decimal):
                continue
            rules = _decimal_rules([*field.metadata, *_annotated_metadata(field.annotation)])
            column = columns.get((model, name))
            if rules["max_digits"] is None and column is not None:
                rules["max_digits"] = column.max_digits
                rules["decimal_places"] = column.decimal_places
            integer, text = formats.decimal_schema(**rules)
            options = [o for o in prop.get("anyOf", [prop]) if o.get("type") == "null"]
            for extra in ("anyOf", "type", "pattern", "minimum", "maximum"):
                prop.pop(extra, None)
            prop["anyOf"] = [integer, text, *options]


def _annotation_has(annotation: Any, wanted: type[Any]) -> bool:
    import typing

    queue = [annotation]
    while queue:
        item = queue.pop()
        if item is wanted:
            return True
        queue.extend(typing.get_args(item))
    return False


def _annotated_metadata(annotation: Any) -> list[Any]:
    """Constraints inside the annotation (``Money | None`` where ``Money`` is ``Annotated``)."""
    import typing

    found: list[Any] = []
    queue = [annotation]
    while queue:
        item = queue.pop()
        if typing.get_origin(item) is typing.Annotated:
            for extra in item.__metadata__:
                found.extend(getattr(extra, "metadata", [extra]))
            queue.append(typing.get_args(item)[0])
        else:
            queue.extend(typing.get_args(item))
    return found


def _decimal_rules(metadata: list[Any]) -> dict[str, Any]:
    rules: dict[str, Any] = {
        "max_digits": None,
        "decimal_places": None,
        "lower": None,
        "lower_strict": False,
        "upper": None,
        "upper_strict": False,
    }
    for item in metadata:
        for attribute, key, strict in (
            ("ge", "lower", False),
            ("gt", "lower", True),
            ("le", "upper", False),
            ("lt", "upper", True),
        ):
            value = getattr(item, attribute, None)
            if value is not None:
                rules[key], rules[f"{key}_strict"] = float(value), strict
        for attribute in ("max_digits", "decimal_places"):
            value = getattr(item, attribute, None)
            if value is not None:
                rules[attribute] = int(value)
    return rules


def _resource_columns() -> dict[tuple[type[Any], str], Any]:
    """(input schema, field name) → the declared resource's model column, for Decimals."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models

    from assetgraph.framework.spec import all_resources

    found: dict[tuple[type[Any], str], Any] = {}
    for resource in all_resources():
        for schema_class in (resource.in_schema, resource.patch_schema):
            if schema_class is None:
                continue
            for name in getattr(schema_class, "model_fields", {}):
                try:
                    column = resource.model._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                if isinstance(column, models.DecimalField):
                    found[(schema_class, name)] = column
    return found


def _input_models(api: NinjaAPI, base: type[Any]) -> list[type[Any]]:
    """Every pydantic model an operation reads (its parameters and body), nested included."""
    found: dict[type[Any], None] = {}
    for router in _routers(api):
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in getattr(operation, "models", []):
                    if isinstance(model, type):
                        found.update(dict.fromkeys(_nested_models(model, base)))
    return list(found)


def _routers(api: NinjaAPI) -> list[Any]:
    routers = [entry[1] for entry in api._routers]
    for router in routers:
        routers.extend(entry[1] for entry in router._routers)
    return list(dict.fromkeys(routers))


def document_non_null_fields(document: dict[str, Any]) -> None:
    """A declared resource's input field whose model column cannot be empty is documented
    as not nullable, even where its schema types it ``X | None`` (optional in a PATCH): the
    server refuses ``null`` there (``may not be null``), so the document must not offer it."""
    from django.core.exceptions import FieldDoesNotExist

    from assetgraph.framework.spec import all_resources

    components = document.get("components", {}).get("schemas", {})
    for resource in all_resources():
        for schema_class in (resource.in_schema, resource.patch_schema):
            component = components.get(getattr(schema_class, "__name__", ""))
            if not isinstance(component, dict):
                continue
            for name, prop in component.get("properties", {}).items():
                try:
                    model_field = resource.model._meta.get_field(name.removesuffix("_id"))
                except FieldDoesNotExist:
                    continue
                if getattr(model_field, "null", True) or not isinstance(prop, dict):
                    continue
                _drop_null(prop)


def _drop_null(prop: dict[str, Any]) -> None:
    options = prop.get("anyOf")
    if not isinstance(options, list):
        return
    kept = [option for option in options if option.get("type") != "null"]
    if len(kept) == len(options):
        return
    if prop.get("default", "missing") is None:
        del prop["default"]
    if len(kept) == 1:
        del prop["anyOf"]
        prop.update(kept[0])
    else:
        prop["anyOf"] = kept


def check_unique_schema_names(api: NinjaAPI) -> None:
    """Fail loudly when two different schema classes share a name in the document."""
    from pydantic import BaseModel

    seen: dict[str, type[Any]] = {}
    for router in _routers(api):
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in _models_of(operation):
                    for found in _nested_models(model, BaseModel):
                        name = found.__name__
                        if not found.__module__.startswith("assetgraph."):
                            continue  # ninja's own per-operation parameter models
                        other = seen.setdefault(name, found)
                        if other is not found and _fields(other) != _fields(found):
                            raise DuplicateSchemaName(
                                f"two schemas are named {name!r}: {other.__module__} and "
                                f"{found.__module__}; rename one"
                            )


def _models_of(operation: Any) -> list[type[Any]]:
    models = [m for m in getattr(operation, "models", []) if isinstance(m, type)]
    response_models = getattr(operation, "response_models", {}) or {}
    models.extend(m for m in response_models.values() if isinstance(m, type))
    return models


def _nested_models(model: type[Any], base: type[Any]) -> list[type[Any]]:
    """Every pydantic model reachable from ``model``'s fields (itself included)."""
    import typing

    found: list[type[Any]] = []
    stack = [model]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        for field in getattr(current, "model_fields", {}).values():
            annotation = field.annotation
            queue = [annotation]
            while queue:
                item = queue.pop()
                if isinstance(item, type) and issubclass(item, base):
                    stack.append(item)
                queue.extend(typing.get_args(item))
    return found


def _fields(model: type[Any]) -> tuple[str, ...]:
    return tuple(sorted(getattr(model, "model_fields", {})))


def complete(document: dict[str, Any]) -> None:
    """Add the API-wide rules to a generated document (in place)."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for schema in components.values():
        _constrain(schema)
    components["Error"] = copy.deepcopy(ERROR_SCHEMA)  # echoes input: no constraints
    components["JSONValue"] = copy.deepcopy(JSON_VALUE)
    components["JSONObject"] = copy.deepcopy(JSON_OBJECT)
    for path, methods in document.get("paths", {}).items():
        for _method, operation in methods.items():
            if not isinstance(operation, dict):
                continue
            _add_errors(operation)
            for parameter in operation.get("parameters", []):
                schema = parameter.setdefault("schema", {})
                if (
                    parameter.get("in") == "query"
                    and parameter.get("name") == "format"
                    and (path.endswith(("/export", "/export/")))
                ):
                    schema.clear()
                    schema.update({"type": "string", "enum": ["csv", "xlsx"], "default": "csv"})
                    continue
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.setdefault("minimum", 0)
                if parameter.get("in") == "query" and parameter.get("name") in (
                    formats.INSTANT_PARAMETERS
                ):
                    _text_form(schema, formats.INSTANT_PATTERN)
                if parameter.get("in") == "query" and parameter.get("name") == "month":
                    _text_form(schema, formats.MONTH_PATTERN)
                _constrain(schema, query=parameter.get("in") == "query")
            body = operation.get("requestBody", {}).get("content", {})
            for content in body.values():
                _constrain(content.get("schema", {}))
            if "multipart/form-data" in body:
                form = body["multipart/form-data"].get("schema", {})
                if isinstance(form.get("additionalProperties"), dict):
                    # A form's extra parts are text, never nested JSON (and client generators
                    # cannot write a union into a multipart body).
                    form["additionalProperties"] = {"type": "string", "pattern": TEXT_PATTERN}
                for status, text in UPLOAD_STATUSES.items():
                    operation["responses"].setdefault(status, _error_response(text))


_ERROR_REF = "#/components/schemas/Error"


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}},
    }


def _add_errors(operation: dict[str, Any]) -> None:
    # ninja keys responses by int; one key per status, as JSON has them.
    responses = {str(k): v for k, v in operation.get("responses", {}).items()}
    for status, description in ERROR_STATUSES.items():
        current = responses.get(status)
        if current is None or "content" not in current:
            responses[status] = _error_response(description)
            continue
        # An operation's own body for an error status (an import's report of row errors)
        # does not stop a refused request from answering with the error body.
        for content in current["content"].values():
            schema = content.get("schema", {})
            if schema.get("$ref") != _ERROR_REF and "anyOf" not in schema:
                content["schema"] = {"anyOf": [schema, {"$ref": _ERROR_REF}]}
    responses.setdefault("414", URI_TOO_LONG)
    operation["responses"] = responses


def _text_form(schema: dict[str, Any], pattern: str) -> None:
    """A text parameter states its exact form (an instant, a month: see ``formats``)."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "string" and "format" not in option:
            option["pattern"] = pattern


def _time_of_day(schema: dict[str, Any]) -> None:
    """pydantic writes times as "03:30:00", without the offset RFC 3339's "time" format wants:
    document them by a pattern instead."""
    if schema.get("type") == "string" and schema.get("format") == "time":
        del schema["format"]
        schema["pattern"] = TIME_PATTERN


def _constrain(schema: Any, *, query: bool = False) -> None:
    """Add the validation rules every field obeys to a JSON schema (recursively)."""
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    _time_of_day(schema)
    if kind == "string" and not {"enum", "format", "pattern", "const"} & set(schema):
        schema["pattern"] = TEXT_PATTERN
        if query:
            schema.setdefault("maxLength", MAX_QUERY_VALUE)
    if kind == "integer":
        schema.setdefault("minimum", INT64[0])
        schema.setdefault("maximum", INT64[1])
    for key in ("properties",):
        for child in schema.get(key, {}).values():
            _constrain(child, query=query)
    for key in ("items", "additionalProperties"):
        child = schema.get(key)
        if child is True or child == {}:
            schema[key] = dict(_ANY_VALUE)  # free-form, but strings still obey the rules
        else:
            _constrain(child, query=query)
    _object_keys(schema, query=query)
    if isinstance(schema.get("properties"), dict):
        for name, child in list(schema["properties"].items()):
            if child == {}:
                schema["properties"][name] = dict(_ANY_VALUE)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            _constrain(child, query=query)


def _object_keys(schema: dict[str, Any], *, query: bool) -> None:
    """What an object says of keys it does not name."""
    if schema.get("type") != "object":
        return
    if "patternProperties" in schema:
        # A mapping whose keys must match (pydantic's dict[Key, V]): other keys are refused.
        schema.setdefault("additionalProperties", False)
        for child in schema["patternProperties"].values():
            _constrain(child, query=query)
    if "additionalProperties" not in schema:
        # Extra keys are ignored, but their values are checked like any other.
        schema["additionalProperties"] = dict(_ANY_VALUE)


def documented(document: dict[str, Any]) -> dict[str, Any]:
    """A completed copy of a document (for tests that build one by hand)."""
    result = copy.deepcopy(document)
    complete(result)
    return result
