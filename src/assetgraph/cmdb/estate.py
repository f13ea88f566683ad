"""The full-estate JSON export: the model (classes, attributes, types) and the current graph."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.core.attributes import public_values

from .models import CIClass, ClassAttribute, RelationshipType
from .querysets import visible_cis, visible_relationships


def estate_json(user: Any) -> dict[str, Any]:
    """Everything the user may see, current, as one JSON document."""
    cis = visible_cis(user).order_by("pk")
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "classes": [
            {
                "name": c.name,
                "parent": c.parent.name if c.parent else None,
                "is_group": c.is_group,
                "identification_key": c.identification_key,
                "attributes": [
                    {"key": a.key, "label": a.label, "type": a.type, "required": a.required}
                    for a in c.attrs
                ],
            }
            for c in _classes(user)
        ],
        "relationship_types": [
            {
                "name": t.name,
                "reverse_name": t.reverse_name,
                "impact_direction": t.impact_direction,
                "is_membership": t.is_membership,
            }
            for t in restrict(RelationshipType.objects.all(), user, "view")
        ],
        "cis": [
            {
                "id": ci.pk,
                "class": ci.ci_class.name,
                "name": ci.name,
                "operational_status": ci.operational_status,
                "environment": ci.environment,
                "criticality": ci.criticality,
                "owning_team": ci.owning_team.code if ci.owning_team else None,
                "support_group": ci.support_group.code if ci.support_group else None,
                "location": ci.location.path if ci.location else None,
                "redundancy_mode": ci.redundancy_mode,
                "redundancy_value": ci.redundancy_value,
                "planned_retirement": ci.planned_retirement,
                "attributes": public_values(ci.attributes),
            }
            for ci in cis.iterator(chunk_size=2000)
        ],
        "relationships": [],
    }
    if has_perm(user, "cmdb.relationship", "view"):
        data["relationships"] = [
            {"source": s, "type": t, "target": g}
            for s, t, g in visible_relationships(user)
            .order_by("pk")
            .values_list("source_id", "type__name", "target_id")
            .iterator(chunk_size=5000)
        ]
    return data


def _classes(user: Any) -> list[Any]:
    classes = list(restrict(CIClass.objects.select_related("parent"), user, "view"))
    attrs: dict[int, list[ClassAttribute]] = {}
    for a in ClassAttribute.objects.order_by("weight", "key"):
        attrs.setdefault(a.ci_class_id, []).append(a)
    for c in classes:
        c.attrs = attrs.get(c.pk, [])  # type: ignore[attr-defined]
    return classes
