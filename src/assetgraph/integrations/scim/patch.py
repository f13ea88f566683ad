"""SCIM PATCH (RFC 7644 §3.5.2): add, replace and remove operations applied to a resource's
JSON representation. The result is then saved like a PUT, so one validation path serves both.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .filters import FilterError, matches, parse

PATH = re.compile(r"^(?P<attr>[^\[\]]+?)(?:\[(?P<filter>.+)\](?:\.(?P<sub>[A-Za-z0-9_$]+))?)?$")


class PatchError(ValueError):
    """An operation is invalid: ``scim_type`` is the RFC's scimType."""

    def __init__(self, message: str, scim_type: str) -> None:
        super().__init__(message)
        self.scim_type = scim_type


def _key(container: dict[str, Any], name: str) -> str:
    for key in container:
        if key.lower() == name.lower():
            return key
    return name


def _split(path: str, extensions: tuple[str, ...], core: str) -> tuple[list[str], str, str]:
    """``(container keys, attribute[.sub], value filter)`` of a path."""
    lowered = path.lower()
    prefix: list[str] = []
    for urn in sorted((*extensions, core), key=len, reverse=True):
        if lowered.startswith(urn.lower() + ":"):
            path = path[len(urn) + 1 :]
            if urn != core:
                prefix = [urn]
            break
        if lowered == urn.lower():
            return [urn] if urn != core else [], "", ""
    match = PATH.match(path)
    if match is None:
        raise PatchError(f"invalid path {path!r}", "invalidPath")
    attr = match.group("attr")
    if match.group("filter"):
        return (
            prefix,
            attr + ("." + match.group("sub") if match.group("sub") else ""),
            match.group("filter"),
        )
    return prefix, attr, ""


def _merge(target: dict[str, Any], key: str, value: Any, replace: bool) -> None:
    key = _key(target, key)
    current = target.get(key)
    if isinstance(current, list) and not replace:
        additions = value if isinstance(value, list) else [value]
        current.extend(a for a in additions if a not in current)
    elif isinstance(current, dict) and isinstance(value, dict) and not replace:
        for sub, sub_value in value.items():
            _merge(current, sub, sub_value, replace=False)
    elif isinstance(current, dict) and isinstance(value, dict):
        for sub, sub_value in value.items():
            current[_key(current, sub)] = sub_value
    else:
        target[key] = value


def apply_operations(
    resource: dict[str, Any], operations: Any, core: str, extensions: tuple[str, ...]
) -> dict[str, Any]:
    """``resource`` with the PatchOp ``Operations`` applied (a new dict)."""
    if not isinstance(operations, list) or not operations:
        raise PatchError("Operations: a non-empty list is required", "invalidSyntax")
    result = copy.deepcopy(resource)
    for operation in operations:
        if not isinstance(operation, dict):
            raise PatchError("each operation must be an object", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        path = operation.get("path")
        value = operation.get("value")
        if op not in ("add", "replace", "remove"):
            raise PatchError(f"op: unknown operation {op!r}", "invalidSyntax")
        if not path:
            if op == "remove":
                raise PatchError("remove needs a path", "noTarget")
            if not isinstance(value, dict):
                raise PatchError("value: an object is required without a path", "invalidValue")
            for key, item in value.items():
                sub_path = key
                _apply(result, op, sub_path, item, core, extensions)
            continue
        if not isinstance(path, str):
            raise PatchError("path must be a string", "invalidPath")
        if op != "remove" and "value" not in operation:
            raise PatchError("value: required", "invalidValue")
        _apply(result, op, path, value, core, extensions)
    return result


def _apply(
    resource: dict[str, Any],
    op: str,
    path: str,
    value: Any,
    core: str,
    extensions: tuple[str, ...],
) -> None:
    prefix, attr, value_filter = _split(path, extensions, core)
    container = resource
    for urn in prefix:
        key = _key(container, urn)
        if key not in container or not isinstance(container[key], dict):
            if op == "remove":
                return
            container[key] = {}
        container = container[key]
    if not attr:  # the path names an extension itself
        if op == "remove":
            resource.pop(_key(resource, prefix[0]), None) if prefix else None
            return
        if isinstance(value, dict):
            for key, item in value.items():
                _merge(container, key, item, replace=op == "replace")
        return
    parts = attr.split(".")
    if value_filter:
        _apply_filtered(container, op, parts, value_filter, value)
        return
    target = container
    for part in parts[:-1]:
        key = _key(target, part)
        if not isinstance(target.get(key), dict):
            if op == "remove":
                return
            target[key] = {}
        target = target[key]
    last = parts[-1]
    if op == "remove":
        target.pop(_key(target, last), None)
    elif op == "replace":
        key = _key(target, last)
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _merge(target, last, value, replace=True)
        else:
            target[key] = value
    else:
        _merge(target, last, value, replace=False)


def _apply_filtered(
    container: dict[str, Any], op: str, parts: list[str], value_filter: str, value: Any
) -> None:
    """An operation on the values of a multi-valued attribute that match a filter."""
    try:
        node = parse(value_filter)
    except FilterError as exc:
        raise PatchError(f"path: {exc}", "invalidPath") from exc
    items = container.get(_key(container, parts[0]))
    if not isinstance(items, list):
        if op == "remove":
            return
        raise PatchError(f"{parts[0]} has no values to filter", "noTarget")
    chosen = [i for i in items if isinstance(i, dict) and matches(node, i)]
    if not chosen and op != "add":
        raise PatchError(f"no value of {parts[0]} matches the filter", "noTarget")
    if op == "remove" and len(parts) == 1:
        container[_key(container, parts[0])] = [i for i in items if i not in chosen]
        return
    for item in chosen:
        if len(parts) == 2:
            if op == "remove":
                item.pop(_key(item, parts[1]), None)
            else:
                item[_key(item, parts[1])] = value
        elif isinstance(value, dict):
            for key, sub_value in value.items():
                item[_key(item, key)] = sub_value
