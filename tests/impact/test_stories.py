"""Demo stories (a) to (c) through the API and the CLI, on the full demo estate.

(a) a hypervisor fails → its farm degrades, nothing goes down;
(b) the storage array under Farm A fails → infrastructure and the finance application go
    down, the laptops' users are affected by service (no laptop is "down"), the owners come
    first and Minh and the other users after them, the out-of-warranty array is flagged;
(c) "Minh can't reach the finance application" → the recently changed SSO ranks first.

The demo loads once per class inside a transaction rolled back afterwards.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assetgraph.cmdb.models import CI
from assetgraph.org.models import Person

STORY = ["Farm A", "Finance", "Finance application", "SSO", "stor-aus1-01", "VPN", "Finance DB"]


@pytest.fixture(scope="class")
def demo(demo_company: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The shared demo company (loaded once per worker), its story CIs by name."""
    with django_db_blocker.unblock():
        named: dict[str, Any] = {ci.name: ci for ci in CI.objects.filter(name__in=STORY)}
        named["minh"] = Person.objects.get(employee_number="E0001")
        named["laptop"] = CI.objects.get(asset__custodian=named["minh"])
        named["hypervisor"] = (
            CI.objects.current()
            .filter(ci_class__name="Hypervisor", outgoing__target=named["Farm A"])
            .order_by("name")
            .first()
        )
        yield named


def cli(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(args[0], *args[1:], "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.usefixtures("db")
class TestDemoStories:
    def test_a_hypervisor_failure_degrades_its_farm_and_takes_nothing_down(
        self, demo: dict[str, Any], api: Any
    ) -> None:
        hv = demo["hypervisor"]
        body = api("Read-only").get("/api/impact/", {"ci": hv.pk}).json()
        assert body["failed"] == [{"id": hv.pk, "display": hv.name}]
        assert body["summary"]["down"] == 0
        assert body["summary"]["degraded"] >= 1
        states = {d["ci"]["display"]: d["state"] for d in body["details"]["results"]}
        assert states["Farm A"] == "degraded"
        assert set(states.values()) == {"degraded"}
        farm = next(d for d in body["details"]["results"] if d["ci"]["display"] == "Farm A")
        assert [s["display"] for s in farm["path"]] == [hv.name, "Farm A"]
        # the CLI answers the same question the same way
        assert cli("impact", hv.name)["summary"] == body["summary"]

    def test_b_storage_array_failure_takes_finance_down_and_names_people_and_flags(
        self, demo: dict[str, Any], api: Any
    ) -> None:
        array = demo["stor-aus1-01"]
        client = api("IT Operations (NOC)")
        body = client.post(
            "/api/impact/analyse", {"cis": ["stor-aus1-01"]}, content_type="application/json"
        ).json()
        services = {s["ci"]["display"]: s["state"] for s in body["services"]}
        assert services["Finance"] == "down"
        apps = {a["ci"]["display"]: a for a in body["applications"]}
        assert apps["Finance application"]["state"] == "down"
        path = [s["display"] for s in apps["Finance application"]["path"]]
        assert path[0] == "stor-aus1-01" and path[-1] == "Finance application"
        assert "Farm A" in path
        people = {p["person"]["display"]: p["reasons"] for p in body["people"]}
        minh = str(demo["minh"])
        # Minh owns Finance and uses it from his laptop, which lost it (issue 10, item 3)
        assert "owner of Finance (down)" in people[minh]
        assert f"uses Finance (service lost) on {demo['laptop'].name}" in people[minh]
        roles = [p["role"] for p in body["people"]]
        assert roles == sorted(roles, key=lambda r: r != "owner")  # owners first
        users = [p for p in body["people"] if p["role"] == "user"]
        assert len(users) > 1 and all(p["group"] is not None for p in users)
        # users are counted per service they use, apart from infrastructure
        by_service = {u["service"]["display"]: u for u in body["users"]["by_service"]}
        assert by_service["Finance"]["state"] == "down" and by_service["Finance"]["people"] >= 1
        assert body["users"]["people"] == body["summary"]["people"] > 1
        assert body["users"]["endpoints"] == body["summary"]["endpoints"] >= body["users"]["people"]
        sites = body["users"]["by_site"]
        assert sum(s["endpoints"] for s in sites) == body["users"]["endpoints"]
        departments = body["users"]["by_department"]
        assert sum(d["endpoints"] for d in departments) == body["users"]["endpoints"]
        # no laptop is down: a laptop that lost a service is its user's problem
        assert "Laptop" not in {c["ci_class"]["display"] for c in body["by_class"]}
        laptops = client.get(
            "/api/impact/", {"ci": "stor-aus1-01", "state": "service_lost", "limit": 500}
        ).json()["details"]
        assert laptops["count"] == body["users"]["service_lost"] > 0
        assert {r["ci_class"] for r in laptops["results"]} == {"Laptop"}
        down = client.get("/api/impact/", {"ci": "stor-aus1-01", "state": "down", "limit": 500})
        assert "Laptop" not in {r["ci_class"] for r in down.json()["details"]["results"]}
        flags = {f["ci"]["display"]: f for f in body["flags"]}
        assert flags["stor-aus1-01"]["state"] == "failed"
        assert flags["stor-aus1-01"]["warranty_expired"] is True
        teams = [t["team"]["display"] for t in body["teams"]]
        assert teams and all(isinstance(t, str) for t in teams)
        classes = {c["ci_class"]["display"]: c["total"] for c in body["by_class"]}
        assert classes["Business Service"] >= 1
        assert sum(classes.values()) == body["summary"]["affected"]
        assert body["summary"]["hidden"] == 0
        # the CLI by id gives the same summary
        assert cli("impact", str(array.pk))["summary"] == body["summary"]

    def test_b_details_are_paginated_and_filterable(self, demo: dict[str, Any], api: Any) -> None:
        client = api("Read-only")
        first = client.get("/api/impact/", {"ci": "stor-aus1-01", "limit": 5}).json()
        details = first["details"]
        summary = first["summary"]
        # every affected CI is listed: infrastructure and end-user devices (issue 10, item 3)
        assert details["count"] == summary["affected"] + summary["endpoints"]
        assert len(details["results"]) == 5 and details["next_offset"] == 5
        second = client.get("/api/impact/", {"ci": "stor-aus1-01", "limit": 5, "offset": 5}).json()[
            "details"
        ]
        ids = {r["ci"]["id"] for r in details["results"]}
        assert ids.isdisjoint({r["ci"]["id"] for r in second["results"]})
        down = client.get(
            "/api/impact/", {"ci": "stor-aus1-01", "state": "down", "limit": 500}
        ).json()["details"]
        assert down["count"] == first["summary"]["down"]
        assert {r["state"] for r in down["results"]} == {"down"}

    def test_c_minhs_complaint_is_traced_to_the_recently_changed_sso(
        self, demo: dict[str, Any], api: Any
    ) -> None:
        client = api("IT Operations (NOC)")
        body = client.post(
            "/api/impact/root-cause",
            {"person": "Minh Nguyen", "service": "Finance application"},
            content_type="application/json",
        ).json()
        assert body["person_path"]["person"]["display"] == str(demo["minh"])
        assert body["person_path"]["endpoints"] == [
            {"id": demo["laptop"].pk, "display": demo["laptop"].name}
        ]
        symptoms = [s["display"] for s in body["symptoms"]]
        assert symptoms[0] == demo["laptop"].name and "Finance application" in symptoms
        top = body["candidates"][0]
        assert top["ci"]["display"] == "SSO"
        assert top["coverage"] == len(symptoms)
        assert top["own_changes"][0]["action"] == "update"
        assert "attributes" in top["own_changes"][0]["changed_fields"]
        assert top["evidence_points"] >= 2
        # without the change, parsimony alone would have ranked it lower
        assert top["engine_rank"] > 1
        assert all(p[0]["display"] == "SSO" for p in top["paths"])
        assert {p[-1]["display"] for p in top["paths"]} == set(symptoms)
        # the CLI, by a first name
        out = cli("rootcause", "--person", "E0001", "--service", "Finance application")
        assert out["candidates"][0]["ci"]["display"] == "SSO"

    def test_c_symptoms_by_name_through_get(self, demo: dict[str, Any], api: Any) -> None:
        body = (
            api("Read-only")
            .get(
                "/api/impact/root-cause",
                {"symptom": ["Finance application", "VPN"], "window_days": 7},
            )
            .json()
        )
        assert body["candidates"][0]["ci"]["display"] == "SSO"
        assert body["candidates"][0]["coverage"] == 2

    def test_errors_name_the_input(self, demo: dict[str, Any], api: Any) -> None:
        client = api("Read-only")
        missing = client.get("/api/impact/", {"ci": "no-such-ci"})
        assert missing.status_code == 404
        assert "no-such-ci" in missing.json()["error"]["message"]
        bad = client.get("/api/impact/", {"ci": "SSO", "state": "broken"})
        assert bad.status_code == 422 and "state" in bad.json()["error"]["fields"]
        nobody = client.post(
            "/api/impact/root-cause",
            {"person": "Nobody Atall", "service": "Finance"},
            content_type="application/json",
        )
        assert nobody.status_code == 404
        half = client.post(
            "/api/impact/root-cause", {"person": "E0001"}, content_type="application/json"
        )
        assert half.status_code == 422 and "service" in half.json()["error"]["fields"]
        with pytest.raises(CommandError, match="no-such-ci"):
            cli("impact", "no-such-ci")

    def test_ui_pages_show_stories_b_and_c(self, demo: dict[str, Any], browser: Any) -> None:
        client = browser("IT Operations (NOC)")
        ci_page = client.get(f"/cmdb/cis/{demo['stor-aus1-01'].pk}/").content.decode()
        assert f"/impact/analyse/?ci={demo['stor-aus1-01'].pk}" in ci_page
        html = client.get("/impact/analyse/", {"ci": str(demo["stor-aus1-01"].pk)}).content.decode()
        assert 'tr data-ci="Finance" data-state="down"' in html
        assert 'data-person="Minh Nguyen"' in html and "out of warranty" in html
        assert 'id="impact-next"' in html
        rc = client.get(
            "/impact/root-cause/", {"person": "Minh Nguyen", "service": "Finance application"}
        ).content.decode()
        first = rc.index('class="border rounded p-2 mb-2 rc-candidate"')
        assert rc[first : first + 120].count('data-ci="SSO"') == 1
        assert 'class="rc-own-change"' in rc
