"""What the CMDB importers share beyond the engine (:mod:`assetgraph.framework.importing`): the
class tree and attribute definitions loaded once per import, and attribute cells."""

from __future__ import annotations

from collections.abc import Iterable

from .models import CIClass, ClassAttribute


class ClassCache:
    """Every class with its parent chain and effective definitions, loaded once per import
    (classes are few; walking parents per row would cost a query per level)."""

    def __init__(self) -> None:
        self.by_id: dict[int, CIClass] = {c.pk: c for c in CIClass.objects.all()}
        for ci_class in self.by_id.values():
            ci_class.parent = self.by_id.get(ci_class.parent_id) if ci_class.parent_id else None
        self.by_name = {c.name.lower(): c for c in self.by_id.values()}
        own: dict[int, list[ClassAttribute]] = {}
        for definition in ClassAttribute.objects.order_by("weight", "key"):
            own.setdefault(definition.ci_class_id, []).append(definition)
        self.definitions: dict[int, list[ClassAttribute]] = {
            pk: [d for c in ci_class.lineage() for d in own.get(c.pk, [])]
            for pk, ci_class in self.by_id.items()
        }
        self.keys: dict[int, frozenset[str]] = {
            pk: frozenset(d.key for d in defs) for pk, defs in self.definitions.items()
        }
        self.lineage: dict[int, frozenset[int]] = {
            pk: frozenset(ci_class.lineage_ids()) for pk, ci_class in self.by_id.items()
        }
        children: dict[int, list[int]] = {}
        for ci_class in self.by_id.values():
            if ci_class.parent_id:
                children.setdefault(ci_class.parent_id, []).append(ci_class.pk)
        self.children = children

    def subclasses(self, pk: int) -> list[int]:
        """The class and its descendants."""
        found, queue = [], [pk]
        while queue:
            node = queue.pop()
            if node not in found:
                found.append(node)
                queue.extend(self.children.get(node, []))
        return found


def attribute_cells(cells: dict[str, str], keys: Iterable[str]) -> dict[str, str]:
    """Attribute values given as ``attr.<key>`` or plain ``<key>`` columns."""
    found = {}
    for key in keys:
        if f"attr.{key}" in cells:
            found[key] = cells[f"attr.{key}"]
        elif key in cells:
            found[key] = cells[key]
    return found
