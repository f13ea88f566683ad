"""Hostile inputs, and every place the API takes input, enumerated from the OpenAPI document.

The suite in ``test_hostile_input.py`` sends each class of hostile value to every query
parameter, every path parameter and every body field of every operation, and asserts a 4xx
with the one error body (never a 500). The classes are the ones a hostile probe found; each
has fixed representatives and a hypothesis strategy for generated variants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# value classes -> representatives (query strings are sent as text, bodies as JSON values)
HUGE_INTEGERS = ["99999999999999999999999", "-9223372036854775809", "9223372036854775808"]
IMPOSSIBLE_DATES = ["2020-13-45", "0000-00-00", "2021-02-30", "99999-01-01"]
OVERFLOWING_DATETIMES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:30:00+14:00",
]
BLANKS = [" ", "\t", ""]
CONTROL = ["a\x00b", "\x00", "x\x01y", "\x1b[31m", "a\x7fb", "\x0b"]
SURROGATES = ["\ud800", "a\udfffb"]
LONG = ["x" * 100_000]

QUERY_CLASSES: dict[str, list[str]] = {
    "huge integer": HUGE_INTEGERS,
    "impossible date": IMPOSSIBLE_DATES,
    "overflowing datetime": OVERFLOWING_DATETIMES,
    "blank": BLANKS,
    "control character": CONTROL,
    "long": LONG,
}
BODY_CLASSES: dict[str, list[Any]] = {
    "huge integer": [int(v) for v in HUGE_INTEGERS] + HUGE_INTEGERS[:1],
    "impossible date": IMPOSSIBLE_DATES,
    "overflowing datetime": OVERFLOWING_DATETIMES,
    "blank": BLANKS,
    "control character": CONTROL,
    "lone surrogate": SURROGATES,
    "null": [None],
    "wrong type": [5701, [], {}, True, 1.5e308],
    "long": LONG,
}


def generated(kind: str) -> st.SearchStrategy[Any]:
    """Generated variants of a class (for the property tests)."""
    if kind == "huge integer":
        return st.integers(min_value=2**63).flatmap(
            lambda n: st.sampled_from([n, -n - 1, str(n), str(-n - 1)])
        )
    if kind == "impossible date":
        return (
            st.tuples(st.integers(0, 99999), st.integers(0, 99), st.integers(0, 99))
            .filter(lambda t: not _real_date(*t))
            .map(lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}")
        )
    if kind == "overflowing datetime":
        return st.tuples(
            st.sampled_from(["0001-01-01T00", "9999-12-31T23"]),
            st.integers(1, 23),
        ).map(lambda t: f"{t[0]}:00:00{'+' if t[0].startswith('0001') else '-'}{t[1]:02d}:00")
    if kind == "control character":
        controls = [chr(c) for c in [*range(9), 11, 12, *range(14, 32)]]
        return st.tuples(st.text(max_size=5), st.sampled_from(controls), st.text(max_size=5)).map(
            "".join
        )
    if kind == "lone surrogate":
        return st.tuples(
            st.text(max_size=5), st.integers(0xD800, 0xDFFF).map(chr), st.text(max_size=5)
        ).map("".join)
    raise KeyError(kind)


def _real_date(year: int, month: int, day: int) -> bool:
    import datetime as dt

    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Operation:
    """One operation of the OpenAPI document, as far as input goes."""

    method: str
    path: str
    query: tuple[tuple[str, dict[str, Any]], ...]
    path_params: tuple[str, ...]
    body: dict[str, Any] | None  # the resolved JSON schema of a JSON body
    multipart: bool = False
    fields: tuple[str, ...] = field(default=())

    def url(self, values: dict[str, str] | None = None) -> str:
        values = values or {}
        return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "1"), self.path)

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    """Every operation, with its query and path parameters and its body schema."""
    components = document.get("components", {}).get("schemas", {})
    for path, methods in sorted(document["paths"].items()):
        for method, op in sorted(methods.items()):
            params = op.get("parameters", [])
            query = tuple(
                (p["name"], _resolve(p.get("schema", {}), components))
                for p in params
                if p["in"] == "query"
            )
            path_params = tuple(p["name"] for p in params if p["in"] == "path")
            body = None
            multipart = False
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _resolve(content["application/json"]["schema"], components)
            elif "multipart/form-data" in content:
                multipart = True
            fields = tuple(sorted((body or {}).get("properties", {})))
            yield Operation(method, path, query, path_params, body, multipart, fields)


def sample_body(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A plausible body: every required property with a value of its type."""
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = _resolve(schema.get("properties", {}).get(name, {}), components)
        body[name] = _sample(prop, components)
    return body


def _sample(prop: dict[str, Any], components: dict[str, Any]) -> Any:
    if "anyOf" in prop:
        prop = _resolve(next(p for p in prop["anyOf"] if p.get("type") != "null"), components)
    kind = prop.get("type")
    if "enum" in prop:
        return prop["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if prop.get("format") == "date":
        return "2024-01-01"
    if prop.get("format") == "date-time":
        return "2024-01-01T00:00:00Z"
    return "x"


def json_body(value: Any) -> str:
    """JSON text keeping lone surrogates as escapes (``json.dumps`` does by default)."""
    return json.dumps(value)
