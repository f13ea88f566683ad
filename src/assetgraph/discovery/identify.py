"""Identification: which CI is a discovered item? Ordered per-class rules, first match wins.

A class's rules are its own active :class:`~.models.IdentificationRule` s or, when it has
none, those of its nearest ancestor that has some. They are tried in ascending priority; a
rule applies when the item has a value for each of its attributes. It searches the current
CIs of the rule's class family (the topmost ancestor and all its subclasses):

* exactly one CI → that CI (later rules are not tried);
* two or more → *ambiguous*: the item goes to the reconciliation queue, nothing is merged;
* none → the next rule. When no rule matches, the item is new.

Values compare case-insensitively after trimming; ``mac_address`` and ``ip_address`` on the
item may hold several values, any of which may match. ``name`` means the CI's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assetgraph.cmdb.import_base import ClassCache
from assetgraph.cmdb.models import CI

from .connectors.base import DiscoveredItem
from .models import IdentificationRule

Key = tuple[str, ...]


def normal(value: Any) -> str:
    """The compared form of an identifier value."""
    return str(value).strip().lower() if value is not None else ""


@dataclass(frozen=True)
class Rule:
    """One identifier entry, resolved."""

    class_id: int
    class_name: str
    priority: int
    keys: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.class_name} #{self.priority} ({' + '.join(self.keys)})"


@dataclass
class Match:
    """The outcome of identifying one item."""

    ci_id: int | None = None
    rule: Rule | None = None
    candidates: list[int] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


class Identifier:
    """Identifies items against the current CIs, with one index per rule built on first use.

    Items created earlier in the same run are added with :meth:`remember` (negative ids),
    so a file cannot create the same thing twice.
    """

    def __init__(self, classes: ClassCache) -> None:
        self.classes = classes
        self.rules: dict[int, list[Rule]] = {}
        for rule in IdentificationRule.objects.filter(active=True).order_by("priority", "pk"):
            keys = tuple(rule.attributes) if isinstance(rule.attributes, list) else ()
            if not keys or rule.ci_class_id not in classes.by_id:
                continue
            self.rules.setdefault(rule.ci_class_id, []).append(
                Rule(rule.ci_class_id, classes.by_id[rule.ci_class_id].name, rule.priority, keys)
            )
        self._indexes: dict[Rule, dict[Key, set[int]]] = {}
        self._rows: dict[int, list[tuple[int, int, str, dict[str, Any]]]] = {}

    def rules_for(self, class_id: int) -> list[Rule]:
        """The rules that identify CIs of ``class_id`` (own, else nearest ancestor's)."""
        for ancestor in self.classes.by_id[class_id].lineage():
            if ancestor.pk in self.rules:
                return self.rules[ancestor.pk]
        return []

    def family_root(self, class_id: int) -> int:
        """The topmost ancestor of a class: rules search its whole family."""
        return self.classes.by_id[class_id].lineage()[-1].pk

    def _current(self, class_id: int) -> list[tuple[int, int, str, dict[str, Any]]]:
        class_id = self.family_root(class_id)
        if class_id not in self._rows:
            ids = self.classes.subclasses(class_id)
            self._rows[class_id] = list(
                CI.objects.current()
                .filter(ci_class_id__in=ids)
                .values_list("pk", "ci_class_id", "name", "attributes")
                .iterator(chunk_size=20_000)
            )
        return self._rows[class_id]

    def _index(self, rule: Rule) -> dict[Key, set[int]]:
        index = self._indexes.get(rule)
        if index is None:
            index = {}
            for pk, _class_id, name, attributes in self._current(rule.class_id):
                values = tuple(
                    normal(name) if k == "name" else normal(attributes.get(k)) for k in rule.keys
                )
                if all(values):
                    index.setdefault(values, set()).add(pk)
            self._indexes[rule] = index
        return index

    @staticmethod
    def _item_keys(rule: Rule, identifiers: dict[str, Any]) -> list[Key]:
        """Every combination of the item's values for the rule's attributes."""
        combos: list[Key] = [()]
        for key in rule.keys:
            raw = identifiers.get(key)
            values = raw if isinstance(raw, list | tuple) else [raw]
            found = [v for v in (normal(x) for x in values) if v]
            if not found:
                return []
            combos = [(*c, v) for c in combos for v in found]
        return combos

    def identify(
        self, class_id: int, identifiers: dict[str, Any], fallback: tuple[str, ...] = ()
    ) -> Match:
        """The CI an item with these identifiers is, by the first rule that matches (then,
        if the connector gives one, its fallback keys over the class family)."""
        rules = list(self.rules_for(class_id))
        if fallback:
            root = self.classes.by_id[self.family_root(class_id)]
            rules.append(Rule(root.pk, root.name, 10**6, fallback))
        for rule in rules:
            keys = self._item_keys(rule, identifiers)
            if not keys:
                continue
            index = self._index(rule)
            found: set[int] = set()
            for key in keys:
                found |= index.get(key, set())
            if len(found) == 1:
                return Match(next(iter(found)), rule, sorted(found))
            if found:
                return Match(None, rule, sorted(found))
        return Match()

    def remember(self, class_id: int, identifiers: dict[str, Any], placeholder: int) -> None:
        """Index an item this run creates under every rule of its class (and ancestors')."""
        for ancestor in self.classes.by_id[class_id].lineage():
            for rule in self.rules.get(ancestor.pk, []):
                index = self._index(rule)
                for key in self._item_keys(rule, identifiers):
                    index.setdefault(key, set()).add(placeholder)


def identifiers_with_attributes(
    identifiers: dict[str, Any], attributes: dict[str, Any], name: str, keys: Iterable[str]
) -> dict[str, Any]:
    """The item's identifiers, completed from its attribute values and name."""
    merged = dict(identifiers)
    for key in keys:
        if not merged.get(key) and attributes.get(key) not in (None, ""):
            merged[key] = attributes[key]
    merged.setdefault("name", name)
    return merged


def fingerprint(item: DiscoveredItem) -> str:
    """A stable text naming a discovered item by its class and identifiers (the queue's key)."""
    parts = [item.ci_class]
    for key in sorted(item.identifiers):
        value = item.identifiers[key]
        values = value if isinstance(value, list) else [value]
        text = ",".join(sorted(normal(v) for v in values if normal(v)))
        if text:
            parts.append(f"{key}={text}")
    return "|".join(parts)[:200]
