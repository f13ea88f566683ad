"""Impact and root cause on the small estate: permissions (hidden = 404 / counted as hidden),
pagination, as-of, the UI pages and the CI-page link, the CLI's exit codes."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assetgraph.cmdb import services
from assetgraph.core.actor import Actor
from assetgraph.impact.analysis import analyse_impact, resolve_cis
from assetgraph.impact.catalogue import clear_catalogue
from assetgraph.impact.estate import clear_cache

from .conftest import cls, rtype

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    # ids are reused after each test's rollback, so cached revisions could collide
    clear_cache()
    clear_catalogue()
    yield
    clear_cache()
    clear_catalogue()


def test_impact_maps_states_services_teams_and_paths(estate: dict[str, Any], api: Any) -> None:
    body = api("Read-only").get("/api/impact/", {"ci": estate["vm"].pk}).json()
    assert body["summary"] == {
        "affected": 2,
        "down": 2,
        "degraded": 0,
        "hidden": 0,
        "endpoints": 0,
        "people": 0,
    }
    assert [s["ci"]["display"] for s in body["services"]] == ["Finance"]
    service = body["services"][0]
    assert [p["display"] for p in service["path"]] == [
        "fin-vm-01",
        "Finance application",
        "Finance",
    ]
    assert service["depth"] == 2 and service["state"] == "down"
    assert [a["ci"]["display"] for a in body["applications"]] == ["Finance application"]
    teams = {t["team"]["display"]: t for t in body["teams"]}
    assert teams["Finance"]["owns"] == 1 and teams["Finance"]["services"] == ["Finance"]
    # the failed VM's own team is told too, in its own column (not an affected CI)
    assert (teams["IT"]["owns"], teams["IT"]["failed"]) == (0, 1)
    assert {c["ci_class"]["display"] for c in body["by_class"]} == {
        "Business Service",
        "Application",
    }


def test_redundant_farm_degrades_and_failing_two_members_takes_it_down(
    estate: dict[str, Any], api: Any, system: Actor
) -> None:
    for name in ("hv-02", "hv-03"):
        hv = services.create_ci(system, {"name": name, "ci_class": cls("Hypervisor")})
        services.add_relationship(
            system, {"source": hv, "target": estate["farm"], "type": rtype("member of")}
        )
    client = api("Read-only")
    one = client.get("/api/impact/", {"ci": "hv-02"}).json()
    assert one["summary"]["down"] == 0
    assert {d["ci"]["display"]: d["state"] for d in one["details"]["results"]} == {
        "Farm A": "degraded"
    }
    both = client.get("/api/impact/", {"ci": ["hv-02", "hv-03"]}).json()
    assert [d["state"] for d in both["details"]["results"]] == ["down"]


def test_hidden_ci_is_404_and_hidden_affected_cis_only_count(
    estate: dict[str, Any], make_user: Any
) -> None:
    from tests.conftest import bearer

    only_infra = make_user(
        permissions=[
            (["cmdb.ci"], ["view"], {"id__in": [estate["vm"].pk, estate["app"].pk]}),
        ]
    )
    client = bearer(only_infra)
    assert client.get("/api/impact/", {"ci": estate["db"].pk}).status_code == 404
    assert client.get("/api/impact/", {"ci": "fin-db"}).status_code == 404
    body = client.get("/api/impact/", {"ci": estate["vm"].pk}).json()
    assert body["summary"] == {
        "affected": 1,
        "down": 1,
        "degraded": 0,
        "hidden": 1,
        "endpoints": 0,
        "people": 0,
    }
    assert body["services"] == [] and body["teams"] == []
    assert [d["ci"]["display"] for d in body["details"]["results"]] == ["Finance application"]
    # no cmdb.ci view at all: 403 on the API
    assert bearer(make_user()).get("/api/impact/", {"ci": estate["vm"].pk}).status_code == 403


def test_hidden_ci_in_a_path_keeps_its_place_but_not_its_name(
    estate: dict[str, Any], make_user: Any
) -> None:
    user = make_user(
        permissions=[(["cmdb.ci"], ["view"], {"id__in": [estate["vm"].pk, estate["service"].pk]})]
    )
    report = analyse_impact(user, resolve_cis(user, [estate["vm"].pk]))
    (service,) = report.services
    assert [s.display for s in service.path] == ["fin-vm-01", "hidden CI", "Finance"]
    assert report.hidden == 1


def test_details_page_without_n_plus_one(estate: dict[str, Any], make_user: Any) -> None:
    user = make_user("Read-only")
    failed = resolve_cis(user, [estate["hv"].pk])
    analyse_impact(user, failed, limit=1)  # warm the graph and the lookup columns
    with CaptureQueriesContext(connection) as few:
        small = analyse_impact(user, failed, limit=1)
    with CaptureQueriesContext(connection) as many:
        big = analyse_impact(user, failed, limit=50)
    assert len(small.details) == 1 and len(big.details) == 4
    assert len(many.captured_queries) == len(few.captured_queries)
    assert small.next_offset == 1 and big.next_offset is None


def test_as_of_uses_the_relationships_of_that_time(
    estate: dict[str, Any], api: Any, system: Actor
) -> None:
    before = timezone.now()
    services.remove_relationship(system, estate["app-db"])
    client = api("Read-only")
    now = client.get("/api/impact/", {"ci": "fin-db"}).json()
    assert now["summary"]["affected"] == 0
    then = client.get("/api/impact/", {"ci": "fin-db", "as_of": before.isoformat()}).json()
    assert then["summary"]["affected"] == 2 and then["as_of"] is not None
    bad = client.get("/api/impact/", {"ci": "fin-db", "as_of": "yesterday"})
    assert bad.status_code == 422 and "as_of" in bad.json()["error"]["fields"]


def test_root_cause_ranks_the_recently_changed_ci_first(
    estate: dict[str, Any], api: Any, system: Actor
) -> None:
    client = api("Read-only")
    plain = client.get("/api/impact/root-cause", {"symptom": ["Finance"]}).json()
    # parsimony alone: the service itself explains it with no collateral
    assert plain["candidates"][0]["ci"]["display"] == "Finance"
    services.update_ci(system, estate["db"], {"description": "tuned"})
    ranked = client.get("/api/impact/root-cause", {"symptom": ["Finance"]}).json()
    top = ranked["candidates"][0]
    assert top["ci"]["display"] == "fin-db"
    assert top["own_changes"][0]["changed_fields"] == ["description"]
    assert [s["display"] for s in top["paths"][0]] == ["fin-db", "Finance application", "Finance"]


def test_root_cause_window_excludes_old_changes(
    estate: dict[str, Any], make_user: Any, system: Actor
) -> None:
    from assetgraph.impact.rootcause import analyse_root_cause

    services.update_ci(system, estate["db"], {"description": "tuned"})
    user = make_user("Read-only")
    symptoms = resolve_cis(user, ["Finance"])
    fresh = analyse_root_cause(user, symptoms)
    assert fresh.candidates[0].ci.name == "fin-db"
    old = analyse_root_cause(user, symptoms, now=timezone.now() + dt.timedelta(days=9))
    assert old.candidates[0].ci.name == "Finance"
    assert all(not c.own_changes for c in old.candidates)


def test_ui_pages_and_ci_page_link(estate: dict[str, Any], browser: Any) -> None:
    client = browser("Read-only")
    page = client.get(f"/cmdb/cis/{estate['vm'].pk}/")
    assert f"/impact/analyse/?ci={estate['vm'].pk}" in page.content.decode()
    shown = client.get("/impact/analyse/", {"ci": str(estate["vm"].pk)})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert 'id="impact-services"' in html and "Finance application" in html
    assert client.get("/impact/analyse/", {"ci": "nope"}).status_code == 404
    rc = client.get("/impact/root-cause/", {"symptom": "Finance"})
    assert (
        rc.status_code == 200
        and 'class="border rounded p-2 mb-2 rc-candidate"' in rc.content.decode()
    )
    assert client.get("/impact/root-cause/", {"person": "x"}).status_code == 422
    assert browser().get("/impact/analyse/").status_code == 403


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cli_text_json_and_exit_codes(estate: dict[str, Any]) -> None:
    text = _cli("impact", "fin-vm-01")
    assert "2 down" in text and "Finance" in text
    data = json.loads(_cli("impact", str(estate["vm"].pk), "--json"))
    assert data["summary"]["down"] == 2
    with pytest.raises(CommandError) as missing:
        _cli("impact", "no-such")
    assert missing.value.returncode == 1
    with pytest.raises(CommandError) as bad:
        _cli("impact", "fin-vm-01", "--as-of", "soon")
    assert bad.value.returncode == 2
    with pytest.raises(CommandError) as nothing:
        _cli("rootcause")
    assert nothing.value.returncode == 2
    with pytest.raises(CommandError) as unknown_user:
        _cli("impact", "fin-vm-01", "--user", "ghost")
    assert unknown_user.value.returncode == 2
    assert "Finance" in _cli("rootcause", "Finance")


def test_lookup_columns_follow_writes_that_touch_no_ci(
    estate: dict[str, Any], api: Any, system: Actor, site: dict[str, Any]
) -> None:
    from assetgraph.org import services as org

    client = api("Read-only")
    assert client.get("/api/impact/", {"ci": "fin-vm-01"}).status_code == 200
    org.create_department(system, {"name": "Night shift", "code": "NS"})  # audit moves on
    assert client.get("/api/impact/", {"ci": "fin-vm-01"}).status_code == 200
    services.update_ci(system, estate["app"], {"owning_team": site["it"]})
    teams = client.get("/api/impact/", {"ci": "fin-vm-01"}).json()["teams"]
    assert "IT" in {t["team"]["display"] for t in teams}


def test_root_cause_person_without_endpoint_and_hidden_candidates(
    estate: dict[str, Any], api: Any, make_user: Any
) -> None:
    from tests.conftest import bearer

    client = api("Read-only")
    response = client.get("/api/impact/root-cause", {"person": "E1", "service": "Finance"})
    assert response.status_code == 422
    assert "no endpoint CI" in response.json()["error"]["message"]
    assert "person" in response.json()["error"]["fields"]
    # a constrained user sees the symptom but not the CIs below it
    user = make_user(permissions=[(["cmdb.ci"], ["view"], {"id": estate["service"].pk})])
    limited = bearer(user)
    body = limited.get("/api/impact/root-cause", {"symptom": "Finance"}).json()
    assert [c["ci"]["display"] for c in body["candidates"]] == ["Finance"]
    assert body["hidden_candidates"] >= 3
    assert limited.get("/api/impact/root-cause", {"symptom": "fin-db"}).status_code == 404
    empty = client.get("/api/impact/root-cause")
    assert empty.status_code == 422


def test_documents_match_the_published_response_schemas(estate: dict[str, Any], api: Any) -> None:
    # The endpoints send their documents without re-validating them (speed); the OpenAPI
    # schemas must still describe them exactly.
    from assetgraph.impact.schemas import ImpactOut, RootCauseOut

    client = api("Read-only")
    for params in ({"ci": estate["vm"].pk}, {"ci": estate["hv"].pk, "state": "degraded"}):
        response = client.get("/api/impact/", params)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        ImpactOut.model_validate(response.json())
    posted = client.post(
        "/api/impact/analyse", {"cis": [estate["db"].pk]}, content_type="application/json"
    )
    assert posted.status_code == 200
    ImpactOut.model_validate(posted.json())
    cause = client.get("/api/impact/root-cause", {"symptom": ["Finance"]})
    assert cause.status_code == 200
    RootCauseOut.model_validate(cause.json())


def test_degraded_symptoms_on_every_surface_and_bad_input_is_a_422(
    estate: dict[str, Any], api: Any, browser: Any
) -> None:
    client = api("Read-only")
    slow = client.get("/api/impact/root-cause", {"degraded": "Finance"}).json()
    assert [s["display"] for s in slow["degraded"]] == ["Finance"]
    assert slow["candidates"][0]["explained"] == [
        {"id": estate["service"].pk, "display": "Finance"}
    ]
    both = client.get("/api/impact/root-cause", {"symptom": "Finance", "degraded": "Finance"})
    assert both.status_code == 422 and "degraded" in both.json()["error"]["fields"]
    posted = client.post(
        "/api/impact/root-cause",
        {"symptoms": ["Finance application"], "degraded": ["Finance"]},
        content_type="application/json",
    ).json()
    assert [s["display"] for s in posted["symptoms"]] == ["Finance application", "Finance"]
    out = _cli("rootcause", "--degraded", "Finance", "--json")
    assert json.loads(out)["degraded"][0]["display"] == "Finance"
    assert "(slow)" in _cli("rootcause", "--degraded", "Finance")
    page = browser("Read-only").get("/impact/root-cause/", {"degraded": "Finance"})
    assert page.status_code == 200 and "Finance</a> (slow)" in page.content.decode()
    bad = client.get("/api/impact/", {"ci": "fin-vm-01", "state": "lost"})
    assert bad.status_code == 422 and "service_lost" in bad.json()["error"]["message"]


def test_users_affected_need_person_view_and_hidden_means_absent(
    estate: dict[str, Any], make_user: Any, system: Actor
) -> None:
    from tests.conftest import bearer

    from .test_semantics import _laptop, rtype

    laptop = _laptop(system, estate["site"]["minh"], "lt-minh", estate["site"]["room"])
    services.add_relationship(
        system, {"source": laptop, "target": estate["service"], "type": rtype("uses")}
    )
    cmdb_only = make_user(permissions=[(["cmdb.ci"], ["view"], None)])
    body = bearer(cmdb_only).get("/api/impact/", {"ci": "fin-vm-01"}).json()
    assert body["summary"]["endpoints"] == 1 and body["summary"]["people"] == 0
    assert body["people"] == [] and body["teams"] == []
    users = body["users"]
    assert users["by_service"][0]["people"] == 0 and users["by_service"][0]["endpoints"] == 1
    # the site and department rows of things the caller may not see have no name
    assert [g["site"] for g in users["by_site"]] == [None]
    assert [g["department"] for g in users["by_department"]] == [None]


def test_node_rows_and_direct_indexing_give_the_same_answer(
    estate: dict[str, Any], api: Any, monkeypatch: Any
) -> None:
    """affect() indexes the lookup columns by engine node when every CI node is its own row;
    the general path through the node → row map must answer the same document."""
    from assetgraph.impact import affected, catalogue
    from assetgraph.impact.estate import estate_graph

    client = api("Read-only")
    assert catalogue.rows_are_nodes(estate_graph(), catalogue.catalogue())  # the usual case
    direct = client.get("/api/impact/", {"ci": estate["vm"].pk}).json()
    monkeypatch.setattr(affected, "rows_are_nodes", lambda eg, cat: False)
    mapped = client.get("/api/impact/", {"ci": estate["vm"].pk}).json()
    assert direct == mapped and direct["summary"]["affected"] == 2
