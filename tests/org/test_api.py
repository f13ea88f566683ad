"""Organisation resources through the API: the permission harness plus resource behaviour."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assetgraph.org.models import Person

from ..harness import PermissionHarness

pytestmark = pytest.mark.django_db


class TestPersonPermissions(PermissionHarness):
    object_type = "org.person"
    path = "/api/org/people/"
    update_payload = {"job_title": "Controller"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return site["ben"]

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "employee_number": "E900",
            "first_name": "New",
            "last_name": "Hire",
            "department_id": site["it"].pk,
        }


class TestDepartmentPermissions(PermissionHarness):
    object_type = "org.department"
    path = "/api/org/departments/"
    update_payload = {"name": "Information Technology"}

    def make_object(self, site: dict[str, Any]) -> Any:
        from assetgraph.core.actor import Actor
        from assetgraph.org.services import create_department

        return create_department(Actor.system(), {"name": "Empty team"})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "Platform", "parent_id": site["it"].pk}


class TestCostCentrePermissions(PermissionHarness):
    object_type = "org.costcentre"
    path = "/api/org/cost-centres/"
    update_payload = {"name": "Finance & Accounting"}

    def make_object(self, site: dict[str, Any]) -> Any:
        from assetgraph.core.actor import Actor
        from assetgraph.org.services import create_cost_centre

        return create_cost_centre(Actor.system(), {"code": "CC-7", "name": "Spare"})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"code": "CC-2", "name": "Sales"}


class TestLocationPermissions(PermissionHarness):
    object_type = "org.location"
    path = "/api/org/locations/"
    update_payload = {"city": "Berlin"}

    def make_object(self, site: dict[str, Any]) -> Any:
        from assetgraph.core.actor import Actor
        from assetgraph.org.services import create_location

        return create_location(
            Actor.system(), {"name": "Lab", "kind": "building", "parent": site["berlin"]}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "Annex", "kind": "building", "parent_id": site["london"].pk}


class TestCompanyPermissions(PermissionHarness):
    object_type = "org.company"
    path = "/api/org/companies/"
    update_payload = {"is_supplier": True}

    def make_object(self, site: dict[str, Any]) -> Any:
        from assetgraph.core.actor import Actor
        from assetgraph.org.services import create_company

        return create_company(Actor.system(), {"name": "Dell", "is_manufacturer": True})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "CDW", "is_supplier": True}


def test_relation_constraint_limits_people_to_one_department(
    site: dict[str, Any], api: Any
) -> None:
    client = api(
        permissions=[
            (["org.person"], ["view", "change"], {"department__name": "IT"}),
            (["org.department"], ["view"], None),
        ]
    )
    names = {row["first_name"] for row in client.get("/api/org/people/").json()["results"]}
    assert names == {"Ana", "Ben"}
    # Moving Ben out of IT would take him outside the constraint: refused, nothing changes.
    response = client.patch(
        f"/api/org/people/{site['ben'].pk}",
        json.dumps({"department_id": site["finance"].pk}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Person.objects.get(pk=site["ben"].pk).department_id == site["it"].pk


def test_person_constraint_with_user_token(
    site: dict[str, Any], make_user: Any, system: Any
) -> None:
    from assetgraph.org.services import update_person

    from ..conftest import bearer

    user = make_user(permissions=[(["org.person"], ["view"], {"user": "$user"})])
    update_person(system, site["ana"], {"user": user})
    rows = bearer(user).get("/api/org/people/").json()["results"]
    assert [r["employee_number"] for r in rows] == ["E2"]


def test_list_filters_ordering_and_cursor_pagination(site: dict[str, Any], api: Any) -> None:
    client = api("Read-only")
    assert [
        r["first_name"]
        for r in client.get("/api/org/people/", {"department_id": site["it"].pk}).json()["results"]
    ] == ["Ben", "Ana"]
    assert [
        r["first_name"] for r in client.get("/api/org/people/", {"q": "minh"}).json()["results"]
    ] == ["Minh"]
    first = client.get("/api/org/people/", {"limit": 2, "ordering": "-employee_number"}).json()
    assert [r["employee_number"] for r in first["results"]] == ["E3", "E2"]
    second = client.get(
        "/api/org/people/", {"limit": 2, "ordering": "-employee_number", "cursor": first["next"]}
    ).json()
    assert [r["employee_number"] for r in second["results"]] == ["E1"]
    assert second["next"] is None
    within = client.get("/api/org/locations/", {"within": site["london"].pk}).json()["results"]
    assert [r["path"] for r in within] == ["EMEA / London", "EMEA / London / HQ"]


def test_reference_to_missing_object_is_a_field_error(site: dict[str, Any], api: Any) -> None:
    client = api("Helpdesk")
    before = Person.objects.count()
    response = client.post(
        "/api/org/people/",
        json.dumps(
            {"employee_number": "E77", "first_name": "X", "last_name": "Y", "department_id": 99999}
        ),
        content_type="application/json",
    )
    assert response.status_code == 404  # a missing reference, named (Stripe's resource_missing)
    assert response.json()["error"]["code"] == "reference_not_found"
    assert response.json()["error"]["fields"] == {"department_id": ["not found"]}
    assert Person.objects.count() == before


def test_duplicate_employee_number_is_a_409_naming_the_field(
    site: dict[str, Any], api: Any
) -> None:
    """A taken unique value conflicts with the current state: 409, as a concurrent insert
    answered by the unique index is, with the field named."""
    response = api("Helpdesk").post(
        "/api/org/people/",
        json.dumps({"employee_number": "E1", "first_name": "A", "last_name": "B"}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "employee_number" in response.json()["error"]["fields"]


def test_deleting_a_referenced_department_is_409(site: dict[str, Any], api: Any) -> None:
    client = api(permissions=[(["org.department"], ["view", "delete"], None)])
    response = client.delete(f"/api/org/departments/{site['it'].pk}")
    assert response.status_code == 409
    assert "still referenced" in response.json()["error"]["message"]


def test_export_csv_escapes_formulas_and_respects_permissions(
    site: dict[str, Any], api: Any, system: Any
) -> None:
    from assetgraph.org.services import update_person

    update_person(system, site["ana"], {"job_title": '=HYPERLINK("http://evil")'})
    client = api(permissions=[(["org.person"], ["view"], {"department__name": "IT"})])
    response = client.get("/api/org/people/export", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
    assert "Minh" not in text
    assert "Ana" in text
    assert "Ben" in text
    xlsx = client.get("/api/org/people/export", {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert client.get("/api/org/people/export", {"format": "pdf"}).status_code == 422
