"""Dependency maps: neighbourhood extraction, impact colours, node limit with class clusters,
permissions (hidden CIs omitted, hidden centre 404) and DOT/GraphML/JSON exports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from assetgraph.cmdb import services as cmdb
from assetgraph.core.actor import Actor
from assetgraph.core.errors import NotFound, ValidationFailed
from assetgraph.impact.maps import MapOptions, build_map, parse_classes, to_dot, to_graphml, to_json
from tests.changes.test_changes import farm

from .conftest import cls, rtype

pytestmark = pytest.mark.django_db
__all__ = ["farm"]
API = "/api/impact/map/"


def names(m: Any) -> set[str]:
    return {n["name"] for n in m.nodes}


def test_neighbourhood_by_depth_and_direction(farm: dict[str, Any], make_user: Any) -> None:
    admin = make_user(superuser=True)
    vm = farm["vm2"]
    one = build_map(admin, vm.pk, MapOptions(depth=1))
    assert names(one) == {"pay-vm-01", "Farm R", "Payroll application"}
    assert {(e["source"], e["target"], e["type"]) for e in one.edges} == {
        (vm.pk, farm["farm_r"].pk, "hosted on"),
        (farm["app2"].pk, vm.pk, "runs on"),
    }
    down = build_map(admin, vm.pk, MapOptions(depth=4, direction="down"))
    assert names(down) == {"pay-vm-01", "Payroll application", "Payroll"}
    up = build_map(admin, vm.pk, MapOptions(depth=4, direction="up"))
    assert names(up) == {"pay-vm-01", "Farm R", "hv-r01", "hv-r02", "hv-r03"}
    depth_of = {n["name"]: n["depth"] for n in up.nodes}
    assert depth_of["Farm R"] == 1 and depth_of["hv-r01"] == 2


def test_impact_colours_what_the_centre_takes_down(farm: dict[str, Any], make_user: Any) -> None:
    admin = make_user(superuser=True)
    m = build_map(admin, farm["hvr1"].pk, MapOptions(depth=4, direction="down"))
    state = {n["name"]: n["state"] for n in m.nodes}
    assert state == {
        "hv-r01": "failed",
        "Farm R": "degraded",
        "pay-vm-01": "degraded",
        "Payroll application": "degraded",
        "Payroll": "degraded",
    }
    plain = build_map(admin, farm["hvr1"].pk, MapOptions(depth=4, impact=False))
    assert {n["state"] for n in plain.nodes} == {"ok"}


def test_hidden_cis_are_omitted_and_a_hidden_centre_is_404(
    farm: dict[str, Any], make_user: Any, api: Any
) -> None:
    user = make_user(
        permissions=[
            (["cmdb.ci"], ["view"], {"ci_class__name": "Hypervisor"}),
            (["cmdb.relationship"], ["view"], None),
        ]
    )
    m = build_map(user, farm["hvr1"].pk, MapOptions(depth=4))
    assert names(m) == {"hv-r01"}  # Farm R and beyond are hidden; nothing else leaks
    assert m.edges == []
    with pytest.raises(NotFound):
        build_map(user, farm["farm_r"].pk, MapOptions())
    client = api(permissions=[(["cmdb.ci"], ["view"], {"ci_class__name": "Hypervisor"})])
    assert client.get(f"{API}{farm['farm_r'].pk}").status_code == 404
    assert client.get(f"{API}999999").status_code == 404
    assert api().get(f"{API}{farm['hvr1'].pk}").status_code == 403  # no CI view at all


def test_retired_centre_is_404(farm: dict[str, Any], make_user: Any, system: Actor) -> None:
    cmdb.retire_ci(system, farm["hvr3"])
    with pytest.raises(NotFound):
        build_map(make_user(superuser=True), farm["hvr3"].pk, MapOptions())


def test_node_limit_truncates_and_clusters_the_rest_by_class(
    farm: dict[str, Any], make_user: Any, system: Actor
) -> None:
    for n in range(30):
        vm = cmdb.create_ci(
            system,
            {"name": f"extra-vm-{n:02d}", "ci_class": cls("Virtual Machine"), "attributes": {}},
        )
        cmdb.add_relationship(
            system, {"source": vm, "target": farm["farm_r"], "type": rtype("hosted on")}
        )
    admin = make_user(superuser=True)
    m = build_map(admin, farm["farm_r"].pk, MapOptions(depth=1, limit=10))
    assert m.truncated and len(m.nodes) == 10
    assert m.clusters and m.clusters[0]["ci_class"] == "Virtual Machine"
    assert len(m.nodes) + sum(c["count"] for c in m.clusters) == 1 + 3 + 31
    assert m.clusters[0]["links"] == [farm["farm_r"].pk]
    data = to_json(m)
    assert data["truncated"] and data["counts"]["clustered"] == 25
    cluster_nodes = [n for n in data["elements"]["nodes"] if n["data"].get("cluster")]
    assert cluster_nodes and "more" in cluster_nodes[0]["data"]["name"]
    full = build_map(admin, farm["farm_r"].pk, MapOptions(depth=1, limit=100))
    assert not full.truncated and full.clusters == []


def test_class_filter_keeps_the_centre(farm: dict[str, Any], make_user: Any) -> None:
    admin = make_user(superuser=True)
    hv_class = cls("Hypervisor").pk
    m = build_map(admin, farm["farm_r"].pk, MapOptions(depth=2, classes=(hv_class,)))
    assert names(m) == {"Farm R", "hv-r01", "hv-r02", "hv-r03"}
    assert {c["name"] for c in m.classes} >= {"Hypervisor", "Virtual Machine"}
    assert parse_classes(" 3, 1,3 ") == (1, 3)
    with pytest.raises(ValidationFailed):
        parse_classes("1;drop")
    with pytest.raises(ValidationFailed) as bad:
        build_map(admin, farm["farm_r"].pk, MapOptions(depth=9))
    assert "depth" in bad.value.fields


def test_exports_escape_names(farm: dict[str, Any], make_user: Any, system: Actor) -> None:
    evil = cmdb.create_ci(
        system,
        {
            "name": 'db "prod" <b>&\\ x\nnext',
            "ci_class": cls("Database"),
            "attributes": {"engine": "PostgreSQL", "version": "16"},
        },
    )
    # A control character is refused at input now; one stored before that must still export.
    type(evil).objects.filter(pk=evil.pk).update(name='db "prod" <b>&\\ \x01x\nnext')
    cmdb.add_relationship(system, {"source": evil, "target": farm["vm2"], "type": rtype("runs on")})
    m = build_map(make_user(superuser=True), farm["vm2"].pk, MapOptions(depth=1))
    dot = to_dot(m)
    assert '\\"prod\\"' in dot and "\\\\ " in dot and "\\nnext" in dot
    assert '"prod"' not in dot.replace('\\"prod\\"', "")
    root = ET.fromstring(to_graphml(m))  # noqa: S314 - our own output, parsed to check it
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    labels = [d.text for d in root.iterfind(".//g:node/g:data[@key='name']", ns)]
    assert any(label and label.startswith('db "prod" <b>&\\ ') for label in labels)
    assert len(root.findall(".//g:edge", ns)) == len(m.edges)


def test_map_api_formats_and_validation(farm: dict[str, Any], api: Any) -> None:
    client = api("Read-only")
    url = f"{API}{farm['vm2'].pk}"
    data = client.get(url, {"depth": 2, "direction": "both"}).json()
    assert data["centre"]["id"] == farm["vm2"].pk
    ids = {n["data"]["id"] for n in data["elements"]["nodes"]}
    for edge in data["elements"]["edges"]:
        assert edge["data"]["source"] in ids and edge["data"]["target"] in ids
    dot = client.get(url, {"format": "dot", "download": "true"})
    assert dot.status_code == 200 and dot["Content-Type"].startswith("text/vnd.graphviz")
    assert "attachment" in dot["Content-Disposition"] and b"digraph" in dot.content
    graphml = client.get(url, {"format": "graphml"})
    assert graphml.status_code == 200 and b"<graphml" in graphml.content
    as_file = client.get(url, {"format": "json", "download": "true"})
    assert as_file["Content-Disposition"].endswith('.json"')
    assert client.get(url, {"depth": 0}).status_code == 422
    assert client.get(url, {"depth": 5}).status_code == 422
    assert client.get(url, {"direction": "sideways"}).status_code == 422
    assert client.get(url, {"classes": "x"}).status_code == 422
    assert client.get(url, {"format": "svg"}).status_code == 422


def test_map_page(farm: dict[str, Any], browser: Any) -> None:
    client = browser("Read-only")
    page = client.get(f"/impact/map/{farm['vm2'].pk}/", {"depth": "3", "direction": "down"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "vendor/cytoscape/cytoscape.min.js" in html and "impact/map.js" in html
    assert f"/api/impact/map/{farm['vm2'].pk}?depth=3&amp;direction=down" in html
    assert "format=graphml" in html and "format=dot" in html
    assert "<script>" not in html and "style=" not in html
    odd = client.get(f"/impact/map/{farm['vm2'].pk}/", {"depth": "99", "limit": "x"})
    assert odd.status_code == 200  # clamped, never a 500
    assert client.get("/impact/map/999999/").status_code == 404
    assert browser().get(f"/impact/map/{farm['vm2'].pk}/").status_code == 403
