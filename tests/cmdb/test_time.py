"""As-of views and the diff between two times, rebuilt from intervals and the audit spine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.cmdb import services
from assetgraph.core.actor import Actor

from .conftest import cls, rtype

pytestmark = pytest.mark.django_db


def _stamp() -> str:
    return timezone.now().isoformat()


def test_as_of_shows_retired_ci_and_old_attribute_values(
    estate: dict[str, Any], system: Actor, api: Any
) -> None:
    before = _stamp()
    vm = estate["vm"]
    services.update_ci(system, vm, {"attributes": {"ram_gb": 64}, "environment": "test"})
    services.retire_ci(system, vm)
    client = api("Read-only")
    now_list = client.get("/api/cmdb/cis/").json()["results"]
    assert "fin-vm-01" not in [r["name"] for r in now_list]
    then = client.get("/api/cmdb/cis/", {"as_of": before}).json()["results"]
    old = next(r for r in then if r["name"] == "fin-vm-01")
    assert old["attributes"]["ram_gb"] == 16.0
    assert old["environment"] == "production"
    detail = client.get(f"/api/cmdb/cis/{vm.pk}", {"as_of": before}).json()
    assert detail["attributes"]["ram_gb"] == 16.0 and detail["operational_status"] == "live"
    current = client.get(f"/api/cmdb/cis/{vm.pk}").json()
    assert current["attributes"]["ram_gb"] == 64.0 and current["valid_to"]
    down = client.get(
        f"/api/cmdb/cis/{estate['app'].pk}/relationships", {"direction": "down", "as_of": before}
    ).json()
    assert "fin-vm-01" in [r["ci"]["display"] for r in down]
    down_now = client.get(
        f"/api/cmdb/cis/{estate['app'].pk}/relationships", {"direction": "down"}
    ).json()
    assert "fin-vm-01" not in [r["ci"]["display"] for r in down_now]


def test_as_of_before_creation_is_404(estate: dict[str, Any], api: Any) -> None:
    long_ago = (timezone.now() - dt.timedelta(days=30)).isoformat()
    client = api("Read-only")
    assert client.get(f"/api/cmdb/cis/{estate['vm'].pk}", {"as_of": long_ago}).status_code == 404
    assert client.get("/api/cmdb/cis/", {"as_of": long_ago}).json()["results"] == []


def test_diff_lists_added_retired_changed_and_relationships(
    estate: dict[str, Any], system: Actor, api: Any
) -> None:
    start = _stamp()
    new = services.create_ci(system, {"name": "vm-new", "ci_class": cls("Virtual Machine")})
    services.update_ci(system, estate["vm"], {"attributes": {"ram_gb": 32}})
    services.update_ci(system, estate["db"], {"attributes": {"version": "17.0"}})
    services.retire_ci(system, estate["hv"])
    services.add_relationship(
        system, {"source": new, "target": estate["db"], "type": rtype("depends on")}
    )
    body = api("Read-only").get("/api/cmdb/diff", {"from": start}).json()
    assert [c["name"] for c in body["cis_added"]] == ["vm-new"]
    assert [c["name"] for c in body["cis_retired"]] == ["hv-01"]
    changed = {c["ci"]["name"]: c["changes"] for c in body["cis_changed"]}
    assert changed["fin-vm-01"] == [{"field": "attributes.ram_gb", "old": 16.0, "new": 32.0}]
    assert changed["fin-db"] == [{"field": "attributes.version", "old": "16.2", "new": "17.0"}]
    assert [r["target"]["display"] for r in body["relationships_added"]] == ["fin-db"]
    removed = {
        (r["source"]["display"], r["target"]["display"]) for r in body["relationships_removed"]
    }
    assert removed == {("fin-vm-01", "hv-01"), ("hv-01", "Farm A")}


def test_diff_needs_from_and_order(estate: dict[str, Any], api: Any) -> None:
    client = api("Read-only")
    assert client.get("/api/cmdb/diff").status_code == 422
    response = client.get("/api/cmdb/diff", {"from": _stamp(), "to": "2020-01-01"})
    assert response.status_code == 422
    assert "to" in response.json()["error"]["fields"]
