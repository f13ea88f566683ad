"""CMDB resources through the API: the permission harness plus CI and relationship behaviour."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services
from assetgraph.cmdb.models import CI, Relationship
from assetgraph.core.actor import Actor

from ..harness import PermissionHarness
from .conftest import cls, rtype

pytestmark = pytest.mark.django_db


def _ci(name: str, klass: str = "Virtual Machine", **values: Any) -> CI:
    return services.create_ci(Actor.system(), {"name": name, "ci_class": cls(klass), **values})


class TestCIPermissions(PermissionHarness):
    object_type = "cmdb.ci"
    path = "/api/cmdb/cis/"
    update_payload = {"description": "patched", "attributes": {"ram_gb": 8}}

    def make_object(self, site: dict[str, Any]) -> Any:
        return _ci("vm-harness", attributes={"hostname": "vm-harness"})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "vm-new",
            "ci_class_id": cls("Virtual Machine").pk,
            "owning_team_id": site["it"].pk,
            "attributes": {"hostname": "vm-new", "cpu_count": 4},
        }


class TestRelationshipPermissions(PermissionHarness):
    object_type = "cmdb.relationship"
    path = "/api/cmdb/relationships/"
    update_payload = {"description": "primary"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.add_relationship(
            Actor.system(),
            {
                "source": _ci("app-h", "Application"),
                "target": _ci("vm-h"),
                "type": rtype("runs on"),
            },
        )

    @pytest.fixture(autouse=True)
    def _ends(self, site: dict[str, Any]) -> None:
        # Created before the harness counts rows and events, so only the POST is counted.
        site["ends"] = (_ci("app-c", "Application"), _ci("vm-c"))

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        source, target = site["ends"]
        return {"source_id": source.pk, "target_id": target.pk, "type_id": rtype("runs on").pk}


class TestClassPermissions(PermissionHarness):
    object_type = "cmdb.ciclass"
    path = "/api/cmdb/classes/"
    update_payload = {"description": "Printers and MFDs"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_ci_class(Actor.system(), {"name": "Printer"})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "Scanner", "parent_id": cls("Endpoint").pk}


class TestRelationshipTypePermissions(PermissionHarness):
    object_type = "cmdb.relationshiptype"
    path = "/api/cmdb/relationship-types/"
    update_payload = {"description": "changed"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_relationship_type(
            Actor.system(), {"name": "replicates to", "reverse_name": "replica of"}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "monitors", "reverse_name": "monitored by", "impact_direction": "none"}


class TestClassAttributePermissions(PermissionHarness):
    object_type = "cmdb.classattribute"
    path = "/api/cmdb/attributes/"
    update_payload = {"label": "Pages per minute"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_class_attribute(
            Actor.system(),
            {"ci_class": cls("Endpoint"), "key": "ppm", "label": "PPM", "type": "integer"},
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"ci_class_id": cls("Endpoint").pk, "key": "toner", "label": "Toner", "type": "text"}


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_roles_can_operate_the_estate(estate: dict[str, Any], api: Any) -> None:
    noc = api("IT Operations (NOC)")
    created = post(
        noc, "/api/cmdb/cis/", {"name": "web-01", "ci_class_id": cls("Virtual Machine").pk}
    )
    assert created.status_code == 201, created.content
    assert noc.delete(f"/api/cmdb/cis/{created.json()['id']}").status_code == 204
    readonly = api("Read-only")
    assert readonly.get("/api/cmdb/cis/").status_code == 200
    denied = post(readonly, "/api/cmdb/cis/", {"name": "x", "ci_class_id": cls("Server").pk})
    assert denied.status_code == 403
    assert api("Helpdesk").get(f"/api/cmdb/cis/{estate['vm'].pk}").status_code == 200


def test_invalid_attributes_are_422_naming_the_key(estate: dict[str, Any], api: Any) -> None:
    client = api("DevOps")
    before = (CI.objects.count(), AuditEvent.objects.count())
    response = post(
        client,
        "/api/cmdb/cis/",
        {"name": "bad", "ci_class_id": cls("Server").pk, "attributes": {"cpu_count": "many"}},
    )
    assert response.status_code == 422
    assert "attributes.cpu_count" in response.json()["error"]["fields"]
    response = patch(client, f"/api/cmdb/cis/{estate['vm'].pk}", {"attributes": {"nope": 1}})
    assert response.status_code == 422
    assert "attributes.nope" in response.json()["error"]["fields"]
    assert (CI.objects.count(), AuditEvent.objects.count()) == before
    assert client.get("/api/cmdb/cis/", {"as_of": "yesterday"}).status_code == 422
    assert client.get("/api/cmdb/cis/", {"ci_class_id": "x"}).status_code == 422
    rel = client.get(f"/api/cmdb/cis/{estate['vm'].pk}/relationships", {"direction": "sideways"})
    assert rel.status_code == 422


def test_list_filters_class_with_subclasses_and_attributes(
    estate: dict[str, Any], api: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        _ci(f"vm-{n}", attributes={"ram_gb": n * 8, "hostname": f"vm-{n}"})
    client = api("Read-only")
    computers = client.get("/api/cmdb/cis/", {"ci_class_id": cls("Computer System").pk}).json()
    names = {row["name"] for row in computers["results"]}
    assert {"fin-vm-01", "hv-01", "vm-0"} <= names and "fin-db" not in names
    big = client.get("/api/cmdb/cis/", {"attr.ram_gb__gte": "16"}).json()["results"]
    assert {r["name"] for r in big} == {"fin-vm-01", "vm-2", "vm-3", "vm-4"}
    by_host = client.get("/api/cmdb/cis/", {"attr.hostname": "vm-3"}).json()["results"]
    assert [r["name"] for r in by_host] == ["vm-3"]
    first = client.get("/api/cmdb/cis/", {"limit": 3, "ordering": "name"}).json()
    second = client.get("/api/cmdb/cis/", {"limit": 3, "cursor": first["next"]}).json()
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    with django_assert_max_num_queries(12):
        assert client.get("/api/cmdb/cis/", {"limit": 100}).status_code == 200


def test_relationships_one_level_up_and_down(estate: dict[str, Any], api: Any) -> None:
    client = api("Read-only")
    app = estate["app"]
    down = client.get(f"/api/cmdb/cis/{app.pk}/relationships", {"direction": "down"}).json()
    assert {(r["verb"], r["ci"]["display"]) for r in down} == {
        ("runs on", "fin-vm-01"),
        ("depends on", "fin-db"),
    }
    vm_down = client.get(
        f"/api/cmdb/cis/{estate['vm'].pk}/relationships", {"direction": "down"}
    ).json()
    assert [(r["verb"], r["ci"]["display"]) for r in vm_down] == [("hosted on", "hv-01")]
    up = client.get(f"/api/cmdb/cis/{app.pk}/relationships", {"direction": "up"}).json()
    assert [(r["verb"], r["ci"]["display"]) for r in up] == [("used by", "Finance")]


def test_hidden_other_end_is_not_listed(estate: dict[str, Any], api: Any) -> None:
    client = api(
        permissions=[
            (["cmdb.ci"], ["view"], {"id__in": [estate["app"].pk, estate["vm"].pk]}),
            (["cmdb.relationship", "cmdb.relationshiptype"], ["view"], None),
        ]
    )
    rows = client.get(f"/api/cmdb/cis/{estate['app'].pk}/relationships").json()
    assert [r["ci"]["display"] for r in rows] == ["fin-vm-01"]
    assert client.get(f"/api/cmdb/cis/{estate['db'].pk}/relationships").status_code == 404
    listing = client.get("/api/cmdb/relationships/").json()["results"]
    assert [r["id"] for r in listing] == [estate["app-vm"].pk]


def test_duplicate_and_self_relationships_are_refused(estate: dict[str, Any], api: Any) -> None:
    client = api("DevOps")
    body = {
        "source_id": estate["app"].pk,
        "target_id": estate["vm"].pk,
        "type_id": rtype("runs on").pk,
    }
    assert post(client, "/api/cmdb/relationships/", body).status_code == 409
    body["target_id"] = estate["app"].pk
    response = post(client, "/api/cmdb/relationships/", body)
    assert response.status_code == 422
    assert "target" in response.json()["error"]["fields"]


def test_delete_relationship_ends_it(estate: dict[str, Any], api: Any) -> None:
    client = api("DevOps")
    rel = estate["app-db"]
    assert client.delete(f"/api/cmdb/relationships/{rel.pk}").status_code == 204
    rel.refresh_from_db()
    assert rel.valid_to is not None and Relationship.objects.filter(pk=rel.pk).exists()
    current = client.get("/api/cmdb/relationships/", {"ci_id": estate["app"].pk}).json()
    assert rel.pk not in [r["id"] for r in current["results"]]
    assert client.get(f"/api/cmdb/relationships/{rel.pk}").json()["valid_to"]


def test_admin_adds_class_and_attribute_through_the_api(site: dict[str, Any], api: Any) -> None:
    admin = api("Admin")
    klass = post(admin, "/api/cmdb/classes/", {"name": "Printer", "parent_id": cls("Endpoint").pk})
    assert klass.status_code == 201
    attr = post(
        admin,
        "/api/cmdb/attributes/",
        {"ci_class_id": klass.json()["id"], "key": "ppm", "label": "Pages/min", "type": "integer"},
    )
    assert attr.status_code == 201, attr.content
    ci = post(
        admin,
        "/api/cmdb/cis/",
        {
            "name": "PRN-1",
            "ci_class_id": klass.json()["id"],
            "attributes": {"ppm": "30", "hostname": "prn1"},
        },
    )
    assert ci.status_code == 201, ci.content
    assert ci.json()["attributes"] == {"ppm": 30, "hostname": "prn1"}
    clash = post(
        admin,
        "/api/cmdb/attributes/",
        {"ci_class_id": klass.json()["id"], "key": "hostname", "label": "H", "type": "text"},
    )
    assert clash.status_code == 422 and "key" in clash.json()["error"]["fields"]


def test_software_install_api(estate: dict[str, Any], api: Any) -> None:
    client = api("System Administrator")
    url = f"/api/cmdb/cis/{estate['vm'].pk}/software"
    created = post(
        client,
        url,
        {"publisher": "Oracle Corporation", "product": "Oracle Java 21.0.2", "version": "21.0.2"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["product"]["publisher"] == "Oracle"
    assert created.json()["product"]["name"] == "Java"
    assert [r["version"] for r in client.get(url).json()] == ["21.0.2"]
    assert (
        post(
            client, url, {"publisher": "oracle", "product": "Java", "version": "21.0.2"}
        ).status_code
        == 409
    )
    install = created.json()["id"]
    assert client.delete(f"/api/cmdb/software-installs/{install}").status_code == 204
    assert client.get(url).json() == []


def test_estate_export_and_list_export(estate: dict[str, Any], api: Any) -> None:
    client = api("Compliance")
    data = json.loads(client.get("/api/cmdb/estate").content)
    assert {c["name"] for c in data["cis"]} >= {"Finance application", "fin-vm-01"}
    assert len(data["relationships"]) == 5
    assert any(c["name"] == "Server" for c in data["classes"])
    csv = client.get("/api/cmdb/cis/export", {"format": "csv"})
    assert csv.status_code == 200 and b"fin-vm-01" in csv.content
