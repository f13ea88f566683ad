"""CMDB fixtures: a small estate (finance app on a VM on a hypervisor farm)."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.cmdb import services
from assetgraph.cmdb.models import CIClass, RelationshipType
from assetgraph.core.actor import Actor


def cls(name: str) -> CIClass:
    return CIClass.objects.get(name=name)


def rtype(name: str) -> RelationshipType:
    return RelationshipType.objects.get(name=name)


@pytest.fixture
def estate(site: dict[str, Any], system: Actor) -> dict[str, Any]:
    """Finance app → runs on VM → hosted on hypervisor → member of farm; DB used by the app."""
    made: dict[str, Any] = {"site": site}

    def ci(key: str, klass: str, name: str, **values: Any) -> None:
        made[key] = services.create_ci(system, {"name": name, "ci_class": cls(klass), **values})

    ci("service", "Business Service", "Finance", criticality=1, owning_team=site["finance"])
    ci("app", "Application", "Finance application", attributes={"version": "4.2"})
    ci("db", "Database", "fin-db", attributes={"engine": "PostgreSQL", "version": "16.2"})
    ci(
        "vm",
        "Virtual Machine",
        "fin-vm-01",
        attributes={"hostname": "fin-vm-01", "ip_address": "10.0.0.5", "ram_gb": 16},
        owning_team=site["it"],
        location=site["room"],
    )
    ci("hv", "Hypervisor", "hv-01", attributes={"serial_number": "SN-HV-1", "cpu_count": 64})
    ci(
        "farm",
        "Cluster/Farm",
        "Farm A",
        redundancy_mode="count",
        redundancy_value=2,
    )

    def rel(source: str, kind: str, target: str) -> None:
        made[f"{source}-{target}"] = services.add_relationship(
            system, {"source": made[source], "target": made[target], "type": rtype(kind)}
        )

    rel("service", "depends on", "app")
    rel("app", "runs on", "vm")
    rel("app", "depends on", "db")
    rel("vm", "hosted on", "hv")
    rel("hv", "member of", "farm")
    return made
