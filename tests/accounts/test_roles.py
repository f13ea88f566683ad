"""Built-in roles: seeded as data, documented, and enforced exactly as documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assetgraph.accounts.models import ObjectPermission, Role
from assetgraph.accounts.roles import ROLE_DESCRIPTIONS, builtin_grants, roles_markdown
from assetgraph.accounts.services import sync_builtin_roles

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
ORG_ENDPOINTS = {
    "org.person": (
        "/api/org/people/",
        {"employee_number": "E99", "first_name": "N", "last_name": "P"},
    ),
    "org.department": ("/api/org/departments/", {"name": "New dept"}),
    "org.costcentre": ("/api/org/cost-centres/", {"code": "CC-99", "name": "New"}),
    "org.location": ("/api/org/locations/", {"name": "Mars", "kind": "region"}),
    "org.company": ("/api/org/companies/", {"name": "Acme"}),
}


def test_all_twelve_roles_are_seeded_with_their_permissions() -> None:
    assert set(Role.objects.values_list("name", flat=True)) >= set(ROLE_DESCRIPTIONS)
    assert len(ROLE_DESCRIPTIONS) == 12
    helpdesk = ObjectPermission.objects.get(name="Helpdesk: org.person")
    assert helpdesk.actions == ["add", "change", "view"]
    assert helpdesk.roles.filter(name="Helpdesk").exists()


def test_sync_is_idempotent() -> None:
    before = list(ObjectPermission.objects.order_by("pk").values_list("name", "actions"))
    sync_builtin_roles()
    assert list(ObjectPermission.objects.order_by("pk").values_list("name", "actions")) == before


def test_docs_table_matches_the_enforced_grants() -> None:
    assert roles_markdown() in DOCS.read_text(), (
        "docs/roles.md is stale: run `assetgraph roles --markdown`"
    )


@pytest.mark.parametrize("role", sorted(ROLE_DESCRIPTIONS))
def test_each_role_does_exactly_what_its_permission_set_says(
    role: str, site: dict[str, Any], api: Any, browser: Any
) -> None:
    grants = builtin_grants()[role]
    client = api(role)
    ui = browser(role)
    for object_type, (path, payload) in ORG_ENDPOINTS.items():
        actions = set(grants.get(object_type, []))
        listing = client.get(path)
        assert listing.status_code == (200 if "view" in actions else 403), (role, object_type)
        created = client.post(path, json.dumps(payload), content_type="application/json")
        assert created.status_code == (201 if "add" in actions else 403), (
            role,
            object_type,
            created.content,
        )
        target = created.json()["id"] if created.status_code == 201 else None
        if target is not None:
            patched = client.patch(
                f"{path}{target}", json.dumps({}), content_type="application/json"
            )
            assert patched.status_code == (200 if "change" in actions else 403), (role, object_type)
            deleted = client.delete(f"{path}{target}")
            assert deleted.status_code == (204 if "delete" in actions else 403), (role, object_type)
        page = ui.get(path.replace("/api", ""))
        assert page.status_code == (200 if "view" in actions else 403), (role, object_type)
    audit = client.get("/api/audit/events")
    assert audit.status_code == (200 if "view" in grants.get("audit.auditevent", []) else 403), role
