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
        people = restrict(Person.objects.filter(**{field: obj}), request.user, "view")[:51]
        rows = list(people)
        if not rows:
            return None
        return {
            "title": title,
            "headers": ["Name", "Employee number", "Status"],
            "rows": [
                [link(p, "ui:org:person_detail"), p.employee_number, p.get_status_display()]
                for p in rows[:50]
            ],
            "more_url": reverse("ui:org:person_list") + f"?{field}_id={obj.pk}"
            if len(rows) > 50
            else None,
        }

    return make


def children_table(request: HttpRequest, obj: Location) -> dict[str, Any] | None:
    rows = list(restrict(obj.children.all(), request.user, "view")[:200])
    if not rows:
        return None
    return {
        "title": "Contains",
        "headers": ["Location", "Kind"],
        "rows": [[link(c, "ui:org:location_detail"), c.get_kind_display()] for c in rows],
        "more_url": None,
    }
