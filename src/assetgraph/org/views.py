"""Related tables of the organisation pages (the pages themselves are generic: resources.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import restrict
from assetgraph.ui.generic import link

from .models import Location, Person


def people_table(title: str, field: str) -> Any:
    def make(request: HttpRequest, obj: Any) -> dict[str, Any] | None:
        visible = restrict(Person.objects.filter(**{field: obj}), request.user, "view")
        rows = list(visible[:51])
        if not rows:
            return None
        query = f"{field}_id={obj.pk}"
        return {
            "title": title,
            "headers": ["Name", "Employee number", "Status"],
            "rows": [
                [link(p, "ui:org:person_detail"), p.employee_number, p.get_status_display()]
                for p in rows[:50]
            ],
            "more_url": reverse("ui:org:person_list") + f"?{query}" if len(rows) > 50 else None,
            # A capped table says "Showing 50 of N" with the full list and an export.
            "total": visible.count() if len(rows) > 50 else len(rows),
            "export_url": f"/api/org/people/export?format=csv&{query}",
        }

    return make


def children_table(request: HttpRequest, obj: Location) -> dict[str, Any] | None:
    visible = restrict(obj.children.all(), request.user, "view")
    rows = list(visible[:201])
    if not rows:
        return None
    capped = len(rows) > 200
    return {
        "title": "Contains",
        "headers": ["Location", "Kind"],
        "rows": [[link(c, "ui:org:location_detail"), c.get_kind_display()] for c in rows[:200]],
        "more_url": reverse("ui:org:location_list") + f"?parent_id={obj.pk}" if capped else None,
        "total": visible.count() if capped else len(rows),
        "export_url": f"/api/org/locations/export?format=csv&parent_id={obj.pk}",
    }
