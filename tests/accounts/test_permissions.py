"""``restrict()`` and constraint validation: the one permission check."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.accounts import services
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.core.errors import ValidationFailed
from assetgraph.org.models import Person

pytestmark = pytest.mark.django_db


def test_no_grant_sees_nothing_and_superuser_sees_all(site: dict[str, Any], make_user: Any) -> None:
    assert not restrict(Person.objects.all(), make_user(), "view").exists()
    assert restrict(Person.objects.all(), make_user(superuser=True), "view").count() == 3


def test_constraints_or_together_and_resolve_tokens(
    site: dict[str, Any], make_user: Any, system: Any
) -> None:
    user = make_user(
        permissions=[
            (["org.person"], ["view"], [{"department__code": "FIN"}, {"employee_number": "E3"}]),
        ]
    )
    assert set(
        restrict(Person.objects.all(), user, "view").values_list("employee_number", flat=True)
    ) == {"E1", "E3"}
    assert not restrict(Person.objects.all(), user, "change").exists()
    mine = make_user(permissions=[(["org.person"], ["view"], {"user": "$user"})])
    from assetgraph.org.services import update_person

    update_person(system, site["ben"], {"user": mine})
    assert list(
        restrict(Person.objects.all(), mine, "view").values_list("employee_number", flat=True)
    ) == ["E3"]


def test_inactive_user_sees_nothing(site: dict[str, Any], make_user: Any, system: Any) -> None:
    user = make_user("Read-only")
    assert restrict(Person.objects.all(), user, "view").count() == 3
    services.deactivate_user(system, user)
    user.refresh_from_db()
    assert not restrict(Person.objects.all(), user, "view").exists()
    assert not has_perm(user, "org.person", "view")


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        ({"password": "x"}, "not a constrainable field"),
        ({"department__cost_centre__code": "x"}, "not a constrainable field"),
        ({"employee_number__regex": ".*"}, "not a constrainable field"),
        ({"status": "$nobody"}, "unknown token"),
        ({"status": {"nested": 1}}, "values must be"),
        ("status=active", "must be an object"),
        ([{}], "must be an object"),
    ],
)
def test_constraints_are_validated_against_a_whitelist(
    constraints: Any, message: str, system: Any
) -> None:
    with pytest.raises(ValidationFailed, match=message) as failure:
        services.create_object_permission(
            system,
            name="bad",
            object_types=["org.person"],
            actions=["view"],
            constraints=constraints,
        )
    assert "constraints" in failure.value.fields


def test_unknown_object_types_and_actions_are_rejected(system: Any) -> None:
    with pytest.raises(ValidationFailed, match="unknown"):
        services.create_object_permission(
            system, name="x", object_types=["org.spaceship"], actions=["view"]
        )
    with pytest.raises(ValidationFailed, match="does not apply"):
        services.create_object_permission(
            system, name="y", object_types=["audit.auditevent"], actions=["delete"]
        )


def test_permission_api_creates_validated_constrained_permissions(
    site: dict[str, Any], api: Any, make_user: Any
) -> None:
    import json

    admin = api("Admin")
    bad = admin.post(
        "/api/accounts/permissions",
        json.dumps(
            {
                "name": "x",
                "object_types": ["org.person"],
                "actions": ["view"],
                "constraints": {"secret__startswith": "a"},
            }
        ),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "constraints" in bad.json()["error"]["fields"]
    good = admin.post(
        "/api/accounts/permissions",
        json.dumps(
            {
                "name": "IT people",
                "object_types": ["org.person"],
                "actions": ["view"],
                "constraints": {"department__name": "IT"},
                "roles": ["DevOps"],
            }
        ),
        content_type="application/json",
    )
    assert good.status_code == 201
    assert (
        api("Helpdesk")
        .post(
            "/api/accounts/permissions",
            json.dumps({"name": "z", "object_types": ["org.person"], "actions": ["view"]}),
            content_type="application/json",
        )
        .status_code
        == 403
    )
