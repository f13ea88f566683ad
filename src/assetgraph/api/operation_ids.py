"""Every operation's ``operationId``, derived from its route: stable, unique and readable.

A generated client names its functions by operation id (``assets_list``,
``org_people_get``), so an id is part of the API's contract. ninja's default id comes from
the view function's module and name, which drift with refactoring; hand-written ids drift in
style. The id is therefore derived here, once, from what a route publishes: its path, its
method and whether it answers a list.

``<words>_<verb>``, where the words are the path's literal segments after ``/api/``
(``-`` read as ``_``; a word repeating the one before it is said once, so
``/api/assets/assets/`` gives ``assets``), and the verb comes from the method:

- ``GET`` of a path ending in a parameter: ``get``; of a list (a page or an array): ``list``;
  an export (``…/export``): none, the word says it; any other ``GET`` (a report, a
  singleton such as ``/me``): ``read``;
- ``POST`` that creates (answers 201 on a path that also lists): ``create``; any other
  ``POST`` is an action, and the path's last word already names it (``assets_checkout``,
  ``impact_analyse``): no verb is added;
- ``PATCH``: ``update``; ``PUT``: ``set``; ``DELETE``: ``delete``.

Renaming a path renames its id: ``tests/api/operation_ids.txt`` lists every id, so a change
is seen in review rather than discovered by a client.
"""

from __future__ import annotations

import re
from typing import Any

_PLAIN_VERBS = {"patch": "update", "put": "set", "delete": "delete"}


class OperationIdClash(Exception):
    """Two operations would get one id: the rule above needs a path to change."""


def _words(path: str) -> list[str]:
    words: list[str] = []
    for segment in path.removeprefix("/api/").strip("/").split("/"):
        if not segment or segment.startswith("{"):
            continue
        word = re.sub(r"[^a-z0-9]+", "_", segment.lower()).strip("_")
        if not words or words[-1] != word:
            words.append(word)
    return words


def _answers_list(operation: dict[str, Any]) -> bool:
    ok = operation.get("responses", {}).get("200", {})
    schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("type") == "array" or str(schema.get("$ref", "")).startswith(
        "#/components/schemas/Page"
    )


def _verb(path: str, method: str, operation: dict[str, Any], siblings: dict[str, Any]) -> str:
    if method in _PLAIN_VERBS:
        return _PLAIN_VERBS[method]
    ends_in_parameter = path.rstrip("/").endswith("}")
    if method == "get":
        if path.rstrip("/").endswith("/export"):
            return ""  # the word is the verb: ``org_people_export``
        if ends_in_parameter:
            return "get"
        return "list" if _answers_list(operation) else "read"
    if "201" in operation.get("responses", {}) and "get" in siblings:
        return "create"
    return ""


def operation_id(
    path: str, method: str, operation: dict[str, Any], siblings: dict[str, Any]
) -> str:
    """The id the rule in the module docstring gives one operation."""
    words = _words(path) or ["root"]
    verb = _verb(path, method, operation, siblings)
    return "_".join([*words, verb] if verb else words)


def assign_operation_ids(document: dict[str, Any]) -> None:
    """Replace every operation's id in ``document`` by the derived one (in place)."""
    seen: dict[str, str] = {}
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict):
                continue
            new_id = operation_id(path, method, operation, methods)
            where = f"{method.upper()} {path}"
            if new_id in seen:
                raise OperationIdClash(f"{where} and {seen[new_id]} would both be {new_id!r}")
            seen[new_id] = where
            operation["operationId"] = new_id
