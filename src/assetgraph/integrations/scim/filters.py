"""SCIM filter expressions (RFC 7644 §3.4.2.2): a parser to a small tree, and its evaluation
on a resource's JSON representation.

Grammar: ``attrPath op value``, ``attrPath pr``, ``not (f)``, ``f and f``, ``f or f``,
parentheses, and value filters ``emails[type eq "work" and value co "@x"]``. Operators: eq ne
co sw ew gt ge lt le pr. Attribute names and string comparisons are case-insensitive (the
attributes served are all ``caseExact: false`` except ``id``, whose values are digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TOKEN = re.compile(
    r'\s*(?:(?P<lpar>\()|(?P<rpar>\))|(?P<lbr>\[)|(?P<rbr>\])|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<word>[A-Za-z0-9_:.$\-+]+))"
)
OPS = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}


class FilterError(ValueError):
    """The filter is not valid SCIM (``invalidFilter``)."""


@dataclass(frozen=True)
class Compare:
    path: str
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    path: str


@dataclass(frozen=True)
class Logical:
    op: str  # and | or
    left: Any
    right: Any


@dataclass(frozen=True)
class Not:
    inner: Any


@dataclass(frozen=True)
class ValuePath:
    path: str
    inner: Any
    sub: str = ""


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"unexpected text at {pos}: {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterError("the filter ends too early")
        self.pos += 1
        return token

    def parse(self) -> Any:
        node = self.expr()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def expr(self) -> Any:
        node = self.term()
        while (t := self.peek()) is not None and t[0] == "word" and t[1].lower() == "or":
            self.take()
            node = Logical("or", node, self.term())
        return node

    def term(self) -> Any:
        node = self.factor()
        while (t := self.peek()) is not None and t[0] == "word" and t[1].lower() == "and":
            self.take()
            node = Logical("and", node, self.factor())
        return node

    def factor(self) -> Any:
        kind, text = self.take()
        if kind == "lpar":
            node = self.expr()
            if self.take()[0] != "rpar":
                raise FilterError("missing ')'")
            return node
        if kind == "word" and text.lower() == "not":
            if self.take()[0] != "lpar":
                raise FilterError("'not' needs '('")
            node = self.expr()
            if self.take()[0] != "rpar":
                raise FilterError("missing ')'")
            return Not(node)
        if kind != "word":
            raise FilterError(f"expected an attribute, got {text!r}")
        path = text
        nxt = self.peek()
        if nxt is not None and nxt[0] == "lbr":
            self.take()
            inner = self.expr()
            if self.take()[0] != "rbr":
                raise FilterError("missing ']'")
            sub = ""
            after = self.peek()
            if after is not None and after[0] == "word" and after[1].startswith("."):
                sub = self.take()[1][1:]
            return ValuePath(path, inner, sub)
        kind, op = self.take()
        op = op.lower()
        if op == "pr":
            return Present(path)
        if op not in OPS:
            raise FilterError(f"unknown operator {op!r}")
        return Compare(path, op, self.value())

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        try:
            return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
        except ValueError:
            raise FilterError(f"invalid value {text!r}") from None


def parse(text: str) -> Any:
    """The tree of a filter expression; :class:`FilterError` when it is not valid."""
    if not text.strip():
        raise FilterError("empty filter")
    return _Parser(text).parse()


def _get(item: Any, name: str) -> Any:
    if not isinstance(item, dict):
        return None
    for key, value in item.items():
        if key.lower() == name.lower():
            return value
    return None


def resolve(resource: dict[str, Any], path: str, extensions: tuple[str, ...] = ()) -> list[Any]:
    """The values at ``path`` (``name.givenName``, ``urn:…:User:userName``, ``emails.value``),
    flattened over multi-valued attributes."""
    container: Any = resource
    lowered = path.lower()
    for urn in sorted(extensions, key=len, reverse=True):
        if lowered.startswith(urn.lower() + ":"):
            container = _get(resource, urn) or {}
            path = path[len(urn) + 1 :]
            break
    else:
        if lowered.startswith("urn:"):
            core = path.rsplit(":", 1)
            path = core[1] if len(core) == 2 else path
    values = [container]
    for part in path.split("."):
        found: list[Any] = []
        for value in values:
            got = _get(value, part)
            if isinstance(got, list):
                found.extend(got)
            elif got is not None:
                found.append(got)
        values = found
    return values


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, dict):
        actual = actual.get("value")
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = actual.lower(), expected.lower()
    else:
        a, e = actual, expected
    try:
        if op == "eq":
            return bool(a == e)
        if op == "ne":
            return bool(a != e)
        if op == "co":
            return isinstance(a, str) and e in a
        if op == "sw":
            return isinstance(a, str) and a.startswith(e)
        if op == "ew":
            return isinstance(a, str) and a.endswith(e)
        if op == "gt":
            return bool(a > e)
        if op == "ge":
            return bool(a >= e)
        if op == "lt":
            return bool(a < e)
        if op == "le":
            return bool(a <= e)
    except TypeError:
        return False
    return False


def matches(node: Any, resource: dict[str, Any], extensions: tuple[str, ...] = ()) -> bool:
    """Whether ``resource`` satisfies the filter tree ``node``."""
    if isinstance(node, Logical):
        left = matches(node.left, resource, extensions)
        if node.op == "and":
            return left and matches(node.right, resource, extensions)
        return left or matches(node.right, resource, extensions)
    if isinstance(node, Not):
        return not matches(node.inner, resource, extensions)
    if isinstance(node, Present):
        return any(v not in (None, "", [], {}) for v in resolve(resource, node.path, extensions))
    if isinstance(node, Compare):
        values = resolve(resource, node.path, extensions)
        if node.op == "ne" and not values:
            return True
        return any(_compare(v, node.op, node.value) for v in values)
    if isinstance(node, ValuePath):
        items = resolve(resource, node.path, extensions)
        return any(isinstance(i, dict) and matches(node.inner, i, ()) for i in items)
    raise FilterError("unsupported filter")
