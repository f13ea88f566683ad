"""The written semantics of impact and root cause: every rule of docs/impact.md ("Rules, with
examples") is one test here, built on the example the document gives, through the API.

Names in the estates are those of the document's examples.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest

from assetgraph.assets import services as assets
from assetgraph.cmdb import services
from assetgraph.cmdb.choices import ClassSlug
from assetgraph.cmdb.models import CI, CIClass, RelationshipType
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict
from assetgraph.org import services as org
from assetgraph.org.models import Person

pytestmark = pytest.mark.django_db


class Estate:
    """A small estate written through the services, named like the document's examples."""

    def __init__(self, system: Actor) -> None:
        self.system = system
        self.cis: dict[str, CI] = {}

    def ci(self, name: str, klass: str = "Server", **values: Any) -> CI:
        made = services.create_ci(
            self.system,
            {"name": name, "ci_class": CIClass.objects.get(name=klass), **values},
        )
        self.cis[name] = made
        return made

    def group(self, name: str, need: int, mode: str = "count") -> CI:
        return self.ci(name, "Cluster/Farm", redundancy_mode=mode, redundancy_value=need)

    def link(self, source: str, kind: str, target: str) -> None:
        services.add_relationship(
            self.system,
            {
                "source": self.cis[source],
                "target": self.cis[target],
                "type": RelationshipType.objects.get(name=kind),
            },
        )

    def needs(self, source: str, *targets: str) -> None:
        for target in targets:
            self.link(source, "depends on", target)

    def members(self, group: str, *members: str) -> None:
        for member in members:
            self.link(member, "member of", group)


@pytest.fixture
def make(system: Actor) -> Estate:
    return Estate(system)


def impact(client: Any, *failed: str, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        "/api/impact/", {"ci": list(failed), "limit": 500, **params}
    ).json()
    return body


def states(body: dict[str, Any]) -> dict[str, str]:
    return {r["ci"]["display"]: r["state"] for r in body["details"]["results"]}


def path(body: dict[str, Any], name: str) -> list[str]:
    row = next(r for r in body["details"]["results"] if r["ci"]["display"] == name)
    return [s["display"] for s in row["path"]]


def causes(client: Any, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/impact/root-cause", params).json()
    return body


# ------------------------------------------------------------------------------ states
def test_rule_a_ci_takes_the_worst_state_of_what_it_needs(make: Estate, api: Any) -> None:
    make.ci("db-01")
    make.ci("app-01")
    make.ci("web-01")
    make.needs("app-01", "db-01")
    make.needs("web-01", "app-01")
    assert states(impact(api("Read-only"), "db-01")) == {"app-01": "down", "web-01": "down"}


def test_rule_a_group_fails_beyond_its_tolerance(make: Estate, api: Any) -> None:
    make.group("Farm A", need=2)
    for host in ("hv-1", "hv-2", "hv-3"):
        make.ci(host, "Hypervisor")
        make.members("Farm A", host)
    client = api("Read-only")
    assert states(impact(client, "hv-1")) == {"Farm A": "degraded"}
    assert states(impact(client, "hv-1", "hv-2")) == {"Farm A": "down"}


def test_rule_a_group_is_down_when_a_non_member_dependency_is_down(make: Estate, api: Any) -> None:
    make.group("Farm A", need=2)
    for host in ("hv-1", "hv-2", "hv-3"):
        make.ci(host, "Hypervisor")
        make.members("Farm A", host)
    make.ci("stor-1", "Storage Array")
    make.needs("Farm A", "stor-1")
    # every member is up, but the farm needs the array
    assert states(impact(api("Read-only"), "stor-1")) == {"Farm A": "down"}


def test_rule_a_degraded_member_degrades_its_group_and_counts_as_up(make: Estate, api: Any) -> None:
    make.group("Switch pair", need=1)
    make.group("Farm A", need=2)  # both hosts needed: one host DOWN would take it down
    for switch in ("sw-1", "sw-2"):
        make.ci(switch, "Switch")
        make.members("Switch pair", switch)
    for host in ("hv-1", "hv-2"):
        make.ci(host, "Hypervisor")
        make.members("Farm A", host)
    make.needs("hv-1", "Switch pair")
    assert states(impact(api("Read-only"), "sw-1")) == {
        "Switch pair": "degraded",
        "hv-1": "degraded",
        "Farm A": "degraded",
    }


def test_rule_a_minimum_above_the_member_count_is_capped(make: Estate, api: Any) -> None:
    make.group("Farm A", need=5)  # 5 up needed, 3 members: all 3 are needed
    for host in ("hv-1", "hv-2", "hv-3"):
        make.ci(host, "Hypervisor")
        make.members("Farm A", host)
    assert states(impact(api("Read-only"), "hv-1")) == {"Farm A": "down"}


def test_rule_a_percent_minimum_rounds_up(make: Estate, api: Any) -> None:
    make.group("Pool", need=50, mode="percent")  # 50 % of 3 members: 2 up needed
    for host in ("web-1", "web-2", "web-3"):
        make.ci(host)
        make.members("Pool", host)
    client = api("Read-only")
    assert states(impact(client, "web-1")) == {"Pool": "degraded"}
    assert states(impact(client, "web-1", "web-2")) == {"Pool": "down"}


# ------------------------------------------------------------------------------ paths
def _issue_estate(make: Estate) -> None:
    """F and M2 members of G (1 up needed); T and C need G and each other; Y1 needs F, Y2
    Y1, Y3 Y2, and T needs Y3 (issue 10's minimal case)."""
    make.group("G", need=1)
    for name in ("F", "M2", "T", "C", "Y1", "Y2", "Y3"):
        make.ci(name)
    make.members("G", "F", "M2")
    make.needs("T", "G", "C", "Y3")
    make.needs("C", "G", "T")
    make.needs("Y1", "F")
    make.needs("Y2", "Y1")
    make.needs("Y3", "Y2")


def test_rule_a_down_ci_is_explained_by_the_shortest_chain_of_down_cis(
    make: Estate, api: Any
) -> None:
    _issue_estate(make)
    body = impact(api("Read-only"), "F")
    assert states(body)["G"] == "degraded" and states(body)["T"] == "down"
    row = next(r for r in body["details"]["results"] if r["ci"]["display"] == "T")
    assert row["depth"] == 2  # the shortest chain passes G, which is only degraded
    assert path(body, "T") == ["F", "Y1", "Y2", "Y3", "T"]
    assert path(body, "C") == ["F", "Y1", "Y2", "Y3", "T", "C"]
    assert path(body, "G") == ["F", "G"]  # a degraded CI: a shortest chain


# ------------------------------------------------------------------------------ report
def test_rule_failed_cis_are_not_affected_but_their_teams_are_told(
    estate: dict[str, Any], api: Any
) -> None:
    body = impact(api("Read-only"), "fin-vm-01")
    assert body["summary"]["affected"] == 2  # Finance application, Finance: not the VM
    assert "fin-vm-01" not in states(body)
    teams = {t["team"]["display"]: t for t in body["teams"]}
    assert (teams["IT"]["failed"], teams["IT"]["owns"], teams["IT"]["down"]) == (1, 0, 0)


def _laptop(system: Actor, person: Person, name: str, location: Any) -> CI:
    """A laptop CI linked to an asset held by ``person``."""
    maker = org.create_company(system, {"name": f"Maker {name}", "is_manufacturer": True})
    category = assets.create_category(system, {"name": f"Laptops {name}", "kind": "laptop"})
    model = assets.create_model(
        system, {"name": f"Book {name}", "category": category, "manufacturer": maker}
    )
    asset = assets.create_asset(
        system,
        {
            "model": model,
            "serial_number": f"SN-{name}",
            "purchase_date": dt.date(2025, 1, 2),
            "cost": Decimal("999.00"),
            "currency": "EUR",
        },
    )
    assets.check_out_asset(system, asset, to_person=person)
    return services.create_ci(
        system,
        {
            "name": name,
            "ci_class": CIClass.objects.get(name="Laptop"),
            "asset": asset,
            "location": location,
            "attributes": {"serial_number": f"SN-{name}"},
        },
    )


def test_rule_an_end_user_device_loses_a_service_its_user_is_affected(
    estate: dict[str, Any], api: Any, system: Actor
) -> None:
    site = estate["site"]
    for name, person in (("lt-minh", site["minh"]), ("lt-ana", site["ana"])):
        laptop = _laptop(system, person, name, site["room"] if person == site["minh"] else None)
        services.add_relationship(
            system,
            {"source": laptop, "target": estate["service"], "type": rtype("uses")},
        )
    body = impact(api("IT Operations (NOC)"), "fin-vm-01")
    assert states(body)["lt-minh"] == "service_lost"  # not "down": the laptop works
    assert body["summary"]["affected"] == 2 and body["summary"]["down"] == 2
    assert (body["summary"]["endpoints"], body["summary"]["people"]) == (2, 2)
    assert "Laptop" not in {c["ci_class"]["display"] for c in body["by_class"]}
    users = body["users"]
    assert [
        (u["service"]["display"], u["state"], u["people"], u["endpoints"])
        for u in users["by_service"]
    ] == [("Finance", "down", 2, 2)]
    # the site of the laptop (HQ is in London), else of its asset, else of its user (Berlin)
    assert sorted((g["site"]["display"], g["people"]) for g in users["by_site"]) == [
        ("EMEA / Berlin", 1),
        ("EMEA / London", 1),
    ]
    assert sorted((g["department"]["display"], g["people"]) for g in users["by_department"]) == [
        ("Finance", 1),
        ("IT", 1),
    ]
    assert path(body, "lt-minh")[-2:] == ["Finance", "lt-minh"]


def test_rule_people_to_notify_owners_first_then_users_by_service(
    estate: dict[str, Any], api: Any, system: Actor
) -> None:
    site = estate["site"]
    services.update_ci(system, estate["service"], {"attributes": {"service_owner": site["ben"].pk}})
    laptop = _laptop(system, site["ana"], "lt-ana", None)
    services.add_relationship(
        system, {"source": laptop, "target": estate["service"], "type": rtype("uses")}
    )
    people = impact(api("IT Operations (NOC)"), "fin-vm-01")["people"]
    assert [(p["person"]["display"], p["role"]) for p in people] == [
        ("Ben Becker", "owner"),
        ("Ana Costa", "user"),
    ]
    assert people[0]["reasons"] == ["owner of Finance (down)"]
    assert people[1]["group"]["display"] == "Finance"
    assert people[1]["reasons"] == ["uses Finance (service lost) on lt-ana"]


def rtype(name: str) -> RelationshipType:
    return RelationshipType.objects.get(name=name)


# ------------------------------------------------------------------------------ root cause
def _farm_estate(make: Estate) -> None:
    """Farm A (2 of 3 hosts) on array stor-1; vm-1 hosted on the farm; symptom: vm-1."""
    make.group("Farm A", need=2)
    for host in ("hv-1", "hv-2", "hv-3"):
        make.ci(host, "Hypervisor")
        make.members("Farm A", host)
    make.ci("stor-1", "Storage Array")
    make.needs("Farm A", "stor-1")
    make.ci("vm-1", "Virtual Machine", attributes={"hostname": "vm-1"})
    make.link("vm-1", "hosted on", "Farm A")


def test_rule_an_unavailable_symptom_is_explained_only_by_a_failure_that_takes_it_down(
    make: Estate, api: Any, system: Actor
) -> None:
    _farm_estate(make)
    services.update_ci(system, make.cis["hv-1"], {"operational_status": "maintenance"})
    client = api("Read-only")
    down = causes(client, symptom="vm-1")
    ranked = [c["ci"]["display"] for c in down["candidates"]]
    # three failures take vm-1 down; the farm's neighbour hv-1 changed (its status): evidence
    assert ranked == ["Farm A", "vm-1", "stor-1"]
    assert "hv-1" not in ranked  # in maintenance, but its loss only degrades vm-1
    slow = causes(client, degraded="vm-1")
    first = slow["candidates"][0]
    # a degraded symptom: explained by what degrades it (an exact match) before what would
    # take it down; evidence (maintenance) breaks the tie among the hypervisors
    assert first["ci"]["display"] == "hv-1" and first["matched"] == 1
    assert first["evidence_points"] == 3  # its own change (2) and maintenance (1)
    assert [c["ci"]["display"] for c in slow["candidates"]][1:3] == ["hv-2", "hv-3"]
    farm = next(c for c in slow["candidates"] if c["ci"]["display"] == "Farm A")
    assert (farm["coverage"], farm["matched"]) == (1, 0)


def test_rule_evidence_breaks_ties_but_never_outranks_a_better_explanation(
    make: Estate, api: Any, system: Actor
) -> None:
    _farm_estate(make)
    make.ci("vm-2", "Virtual Machine", attributes={"hostname": "vm-2"})
    make.link("vm-2", "hosted on", "Farm A")
    services.update_ci(system, make.cis["vm-1"], {"description": "patched"})  # evidence
    body = causes(api("Read-only"), symptom=["vm-1", "vm-2"])
    ranked = [(c["ci"]["display"], c["coverage"], c["evidence_points"]) for c in body["candidates"]]
    # vm-1 changed, but it explains one symptom of two: the farm (next to vm-1: evidence 1)
    # and the array come first
    assert ranked[:2] == [("Farm A", 2, 1), ("stor-1", 2, 0)]
    assert ranked[2] == ("vm-1", 1, 2)


def test_rule_distance_is_the_largest_distance_to_an_explained_symptom(
    make: Estate, api: Any
) -> None:
    # A reaches s1 in 1 hop and s2 in 3; B reaches both in 2: same coverage, same
    # collateral (2 other CIs each), so the smaller largest distance wins
    for name in ("A", "B", "s1", "s2", "x", "y", "p", "q"):
        make.ci(name)
    make.needs("s1", "A")
    make.needs("x", "A")
    make.needs("y", "x")
    make.needs("s2", "y")
    make.needs("p", "B")
    make.needs("q", "B")
    make.needs("s1", "p")
    make.needs("s2", "q")
    body = causes(api("Read-only"), symptom=["s1", "s2"])
    top = [(c["ci"]["display"], c["collateral"], c["max_distance"]) for c in body["candidates"]]
    assert top[:2] == [("B", 2, 2), ("A", 2, 3)]


def test_rule_ties_are_stated_and_evidence_decides_which_are_shown(
    make: Estate, api: Any, system: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a chain of 12 CIs the service needs, one after the other: each explains it alone
    make.ci("svc", "Business Service")
    chain = [f"c{i:02d}" for i in range(12)]
    for name in chain:
        make.ci(name)
    make.needs("svc", chain[0])
    for upper, lower in itertools.pairwise(chain):
        make.needs(upper, lower)
    services.update_ci(system, make.cis["c11"], {"description": "patched"})  # the deepest
    client = api("Read-only")
    body = causes(client, symptom="svc", limit=3)
    assert body["tied"] == 13 and body["tied_complete"] is True
    assert body["note"] == "13 CIs explain the symptom equally; showing the 3 with evidence first"
    # c11 has evidence: shown first although parsimony alone would rank it last
    assert body["candidates"][0]["ci"]["display"] == "c11"
    # the candidate cap: beyond it the count is a lower bound
    from assetgraph.impact import rootcause

    monkeypatch.setattr(rootcause, "MAX_CANDIDATES", 5)
    capped = causes(client, symptom="svc", limit=3)
    assert capped["tied_complete"] is False
    assert capped["note"].startswith(f"at least {capped['tied']} CIs explain the symptom")


# ------------------------------------------------------------------------------ classes
def test_rule_semantic_classes_are_found_by_slug_so_renaming_changes_nothing(
    estate: dict[str, Any], api: Any, system: Actor
) -> None:
    service_class = CIClass.objects.get(slug=ClassSlug.BUSINESS_SERVICE)
    services.update_ci_class(system, service_class, {"name": "Services métier"})
    devices = CIClass.objects.get(slug=ClassSlug.END_USER_DEVICE)
    services.update_ci_class(system, devices, {"name": "Poste de travail"})
    laptop = _laptop(system, estate["site"]["minh"], "lt-minh", None)
    services.add_relationship(
        system, {"source": laptop, "target": estate["service"], "type": rtype("uses")}
    )
    body = impact(api("Read-only"), "fin-vm-01")
    assert [s["ci"]["display"] for s in body["services"]] == ["Finance"]
    assert states(body)["lt-minh"] == "service_lost"
    with pytest.raises(Conflict, match="built-in class"):
        services.delete_ci_class(system, service_class)
