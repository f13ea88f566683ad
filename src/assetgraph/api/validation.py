"""Input that no field may hold, refused once for every endpoint before any view runs.

Some input is wrong whatever the field's type, so it is checked at the door instead of in
each schema: NUL and other control characters (PostgreSQL refuses NUL outright and SQLite
stores it, after which every XLSX export of the list fails), lone UTF-16 surrogates (no
database driver can encode them), integers beyond 64 bits (no column holds them), NaN and
infinities, JSON nested deeper than any real payload, a body that is not a JSON object, and
query values too long to be anything but an attack (SQLite gives up on ``LIKE`` patterns past
50 KB). Each refusal is a 422 (400 for JSON that cannot be parsed) with the one error body,
naming the field or parameter; nothing reaches a service.

What depends on a field's type (a date that does not exist, a datetime that overflows once
its offset is applied, a number out of a column's range in a filter) is a validation error of
that field (pydantic), or, as a last net in :func:`install`, a 422 for the database's own
"out of range" errors, so that no input ends in a 500.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from ninja import NinjaAPI
from ninja.parser import Parser

from assetgraph.core.text import forbidden_message

INT64 = (-(2**63), 2**63 - 1)
MAX_DEPTH = 32
MAX_QUERY_VALUE = 2048  # leaves room in the 8 KB request line the server accepts
_PARSED = "_assetgraph_json"


class InputRefused(Exception):
    """A request's input is refused before any view runs (status, field, message)."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)"
)


def check_text(field: str, text: str) -> None:
    """Refuse NUL, control characters (tab and line breaks excepted) and lone surrogates, and
    a timestamp that leaves the calendar once its UTC offset is applied.

    The timestamp rule looks only at values that are nothing but an ISO timestamp with an
    offset, so it never touches free text; without it ``0001-01-01T00:00:00+01:00`` is a
    server error on SQLite (Python cannot represent year 0) and a valid instant on
    PostgreSQL: refusing it everywhere keeps the two databases alike.
    """
    message = forbidden_message(text)
    if message:
        raise InputRefused(422, field, message)
    if len(text) <= 40 and _ISO_DATETIME.fullmatch(text):
        try:
            value = parse_datetime(text)
            if value is not None and value.tzinfo is not None:
                value.astimezone(dt.UTC)
        except ValueError:
            return  # an impossible date: the field's own validation says so
        except OverflowError:
            raise InputRefused(
                422, field, "is out of range once its UTC offset is applied"
            ) from None


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every (dotted path, scalar) of a parsed JSON value, iteratively (no recursion limit)."""
    stack: list[tuple[str, Any, int]] = [(path, value, 0)]
    while stack:
        where, item, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise InputRefused(422, where or "__all__", "nested too deeply")
            for key, child in item.items():
                stack.append((f"{where}.{key}" if where else str(key), child, depth + 1))
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise InputRefused(422, where or "__all__", "nested too deeply")
            stack.extend(
                (f"{where}.{i}" if where else str(i), c, depth + 1) for i, c in enumerate(item)
            )
        else:
            yield where, item


def check_value(value: Any, root: str = "") -> None:
    """Refuse forbidden text and out-of-range integers anywhere inside a JSON value."""
    for where, item in _walk(value, root):
        field = where or "__all__"
        if isinstance(item, str):
            check_text(field, item)
        elif (
            isinstance(item, int)
            and not isinstance(item, bool)
            and not INT64[0] <= item <= INT64[1]
        ):
            raise InputRefused(422, field, "is out of range (a 64-bit integer)")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_body(raw: bytes) -> Any:
    """The body as JSON: a clear 400 if it is not JSON, 422 if it holds what no field may."""
    try:
        value = json.loads(raw, parse_constant=_no_constants)
    except RecursionError:
        raise InputRefused(400, "__all__", "the JSON body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputRefused(400, "__all__", f"the body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else type(value).__name__
        if value is None:
            kind = "null"
        raise InputRefused(422, "__all__", f"the body must be a JSON object, not {kind}")
    check_value(value)
    return value


def check_query(request: HttpRequest) -> None:
    """Refuse forbidden characters and absurd lengths in query parameters."""
    for name, values in request.GET.lists():
        # Names are not checked: an unknown parameter is ignored, whatever its name.
        for value in values:
            check_text(name, value)
            if len(value) > MAX_QUERY_VALUE:
                raise InputRefused(422, name, f"is longer than {MAX_QUERY_VALUE:,} characters")


def error_body(status: int, field: str, message: str) -> dict[str, Any]:
    """The one error body (see :mod:`assetgraph.api.errors`)."""
    code = "bad_request" if status == 400 else "validation_error"
    label = "" if field == "__all__" else f"{field}: "
    return {"error": {"code": code, "message": f"{label}{message}", "fields": {field: [message]}}}


class HostileInputMiddleware:
    """Apply the checks above to every ``/api/`` request (query always, JSON bodies of writes)
    and to the query strings of every page, answering with the error body (API) or a plain
    4xx (pages). The parsed JSON body is kept for :class:`CheckedParser`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        try:
            check_query(request)
            if (request.content_type or "").startswith("multipart/") and not (
                (request.content_params or {}).get("boundary")
            ):
                # Django's multipart parser fails on it when the body is first read.
                raise InputRefused(400, "__all__", "a multipart body needs a boundary")
            if (
                api
                and request.method in {"POST", "PUT", "PATCH", "DELETE"}
                and (request.content_type or "").endswith("json")
                and request.body
            ):
                setattr(request, _PARSED, parse_json_body(request.body))
        except InputRefused as refused:
            if api:
                return JsonResponse(
                    error_body(refused.status, refused.field, refused.message),
                    status=refused.status,
                )
            return HttpResponse(
                f"{refused.field}: {refused.message}",
                status=refused.status,
                content_type="text/plain; charset=utf-8",
            )
        response = self.get_response(request)
        if api and response.status_code >= 400 and _not_json(response):
            return _as_error_body(response)
        return response


def _not_json(response: HttpResponse) -> bool:
    return not str(response.get("Content-Type", "")).startswith("application/json")


def _as_error_body(response: HttpResponse) -> HttpResponse:
    """Django's own 404/405 pages for API URLs (an id that is not a number, a method the path
    does not have) in the API's one error body, as the OpenAPI document promises."""
    from .errors import _HTTP_CODES

    status = response.status_code
    message = {404: "not found", 405: "method not allowed"}.get(status, response.reason_phrase)
    body = {"error": {"code": _HTTP_CODES.get(status, "error"), "message": message, "fields": {}}}
    converted = JsonResponse(body, status=status)
    for header in ("Allow", "WWW-Authenticate", "Retry-After"):
        if header in response:
            converted[header] = response[header]
    return converted


class CheckedParser(Parser):
    """ninja's parser, reusing the body :class:`HostileInputMiddleware` already parsed, and
    checking bodies and query values against the published document (``guard``, set once
    the API exists: :mod:`assetgraph.api.guard`)."""

    guard: Any = None

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        parsed: dict[str, Any] | None = getattr(request, _PARSED, None)
        body: dict[str, Any] = parsed if parsed is not None else parse_json_body(request.body)
        if self.guard is not None:
            self.guard.check_body(request, body)
        return body

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        if self.guard is not None and data is request.GET:
            self.guard.check_query(request, data)
        return super().parse_querydict(data, list_fields, request)


def install(api: NinjaAPI, respond: Callable[..., HttpResponse]) -> None:
    """The last net: the database's own "out of range" refusals are the client's doing.

    A number or a date that passed its field's validation can still be out of a column's or
    the calendar's range once the database sees it (a 20-digit id in a filter, a datetime at
    year 1 whose offset takes it to year 0): SQLite raises ``OverflowError``, PostgreSQL a
    ``DataError``. Both are 422s, not server errors.
    """

    @api.exception_handler(OverflowError)
    def _overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        return respond(
            api, request, 422, "validation_error", "a number or date in the request is out of range"
        )

    @api.exception_handler(DataError)
    def _data(request: HttpRequest, exc: DataError) -> HttpResponse:
        return respond(
            api, request, 422, "validation_error", "a value in the request is out of range"
        )


def refuse_nulls(model: type[Any], values: dict[str, Any]) -> None:
    """A ``null`` for a field the model cannot store empty is a field error, not a crash in
    the service (``PATCH {"name": null}``). Fields the model lets be null pass."""
    from django.core.exceptions import FieldDoesNotExist

    from assetgraph.core.errors import ValidationFailed

    refused: dict[str, list[str]] = {}
    for name, value in values.items():
        if value is not None:
            continue
        try:
            model_field = model._meta.get_field(name.removesuffix("_id"))
        except FieldDoesNotExist:
            continue
        if not getattr(model_field, "null", True):
            refused[name] = ["may not be null"]
    if refused:
        first = next(iter(refused))
        raise ValidationFailed(f"{first}: may not be null", fields=refused)
