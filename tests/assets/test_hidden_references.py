"""Hidden means absent: a reference to an object the caller may not view is shown as hidden,
never by name, in every API output that uses the shared ``Ref`` (issue 9, point 7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assetgraph.assets import services
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor

ALL_ASSETS = (["assets.asset"], ["view", "checkout", "checkin"], None)
IT_PEOPLE_ONLY = (["org.person"], ["view"], {"department__code": "IT"})


def _checked_out_to_minh(make_asset: Callable[..., Asset], catalogue: dict[str, Any]) -> Asset:
    asset = make_asset(serial_number="HID-1")
    services.check_out_asset(Actor.system("tests"), asset, to_person=catalogue["minh"])
    return asset


def test_asset_and_custody_hide_a_custodian_the_caller_cannot_see(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    asset = _checked_out_to_minh(make_asset, catalogue)
    constrained = api(permissions=[ALL_ASSETS, IT_PEOPLE_ONLY])

    body = constrained.get(f"/api/assets/assets/{asset.pk}").json()
    assert body["custodian"] == {"id": catalogue["minh"].pk, "display": "(hidden)"}
    history = constrained.get(f"/api/assets/assets/{asset.pk}/custody").json()
    assert [row["person"]["display"] for row in history] == ["(hidden)"]
    listed = constrained.get("/api/assets/assets/", {"serial_number": "HID-1"}).json()
    assert "Minh" not in str(listed)


def test_a_visible_custodian_is_shown_by_name(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    asset = _checked_out_to_minh(make_asset, catalogue)
    finance_people = (["org.person"], ["view"], {"department__code": "FIN"})
    body = api(permissions=[ALL_ASSETS, finance_people]).get(f"/api/assets/assets/{asset.pk}")
    assert body.json()["custodian"]["display"] == str(catalogue["minh"])
    everyone = api("Helpdesk").get(f"/api/assets/assets/{asset.pk}").json()
    assert everyone["custodian"]["display"] == str(catalogue["minh"])


def test_a_manager_outside_the_constraint_is_hidden_on_a_visible_person(
    api: Callable[..., Client], catalogue: dict[str, Any]
) -> None:
    ana = catalogue["ana"]  # IT; her manager Minh is in Finance
    body = api(permissions=[IT_PEOPLE_ONLY]).get(f"/api/org/people/{ana.pk}").json()
    assert body["manager"] == {"id": catalogue["minh"].pk, "display": "(hidden)"}


def test_a_ci_names_only_the_team_the_caller_may_see(
    api: Callable[..., Client], system: Any
) -> None:
    from assetgraph.cmdb import services as cmdb
    from assetgraph.cmdb.models import CIClass
    from assetgraph.org import services as org

    team = org.create_department(system, {"name": "Secret Ops", "code": "SEC"})
    ci = cmdb.create_ci(
        system,
        {"name": "vault-01", "ci_class": CIClass.objects.get(name="Server"), "owning_team": team},
    )
    cis_only = api(permissions=[(["cmdb.ci"], ["view"], None)])
    body = cis_only.get(f"/api/cmdb/cis/{ci.pk}").json()
    assert body["owning_team"] == {"id": team.pk, "display": "(hidden)"}
    listed = cis_only.get("/api/cmdb/cis/", {"q": "vault"}).json()["results"]
    assert [row["owning_team"]["display"] for row in listed] == ["(hidden)"]
    readers = api(permissions=[(["cmdb.ci", "org.department"], ["view"], None)])
    assert readers.get(f"/api/cmdb/cis/{ci.pk}").json()["owning_team"]["display"] == "Secret Ops"


def test_a_constrained_list_checks_references_once_per_type_not_per_row(
    api: Callable[..., Client],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
) -> None:
    """Priming: a page of assets held by people outside the constraint costs the same number
    of queries for 2 rows as for 12 (one visibility query per referenced type)."""
    constrained = api(permissions=[ALL_ASSETS, IT_PEOPLE_ONLY])
    constrained.get("/api/assets/assets/")  # the token's first use is recorded once
    for n in range(2):
        _checked_out_to(make_asset, catalogue, f"Q-{n}")
    with CaptureQueriesContext(connection) as few:
        body = constrained.get("/api/assets/assets/", {"limit": 100}).json()
    assert {row["custodian"]["display"] for row in body["results"]} == {"(hidden)"}
    for n in range(2, 12):
        _checked_out_to(make_asset, catalogue, f"Q-{n}")
    with CaptureQueriesContext(connection) as many:
        body = constrained.get("/api/assets/assets/", {"limit": 100}).json()
    assert len(body["results"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def _checked_out_to(
    make_asset: Callable[..., Asset], catalogue: dict[str, Any], serial: str
) -> None:
    asset = make_asset(serial_number=serial)
    services.check_out_asset(Actor.system("tests"), asset, to_person=catalogue["minh"])
