"""Identification edge cases, the queue, staleness, health and assets meeting discovery."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.cmdb.models import CI, CIClass
from assetgraph.cmdb.services import create_ci
from assetgraph.discovery import assets as discovery_assets
from assetgraph.discovery import health, services
from assetgraph.discovery.models import (
    ComplianceRule,
    IdentificationRule,
    ReconciliationItem,
    Sighting,
)

from .conftest import FIXTURES, fixture_bytes

pytestmark = pytest.mark.django_db


def _server(system: Any, name: str, **attributes: Any) -> CI:
    return create_ci(
        system,
        {"name": name, "ci_class": CIClass.objects.get(name="Server"), "attributes": attributes},
    )


def test_identification_rules_are_tried_in_order(system: Any, sources: Any) -> None:
    # serial (rule 10) decides before host name + domain (rule 20)
    by_serial = _server(system, "renamed-box", serial_number="SM-7781-2203", hostname="old")
    _server(system, "other", hostname="web-01", domain="corp.example")
    run = services.run_discovery(system, sources["ansible"], FIXTURES / "ansible-tree" / "setup")
    assert run.state == "succeeded", run.messages
    by_serial.refresh_from_db()
    assert by_serial.attributes["os"] == "Debian"
    assert run.created == 1  # only the VM is new


def test_a_rule_matching_two_cis_queues_the_item(system: Any, sources: Any) -> None:
    first = _server(system, "web-01 (rack A)", hostname="web-01", domain="corp.example")
    second = _server(system, "web-01 (rack B)", hostname="web-01", domain="corp.example")
    IdentificationRule.objects.filter(ci_class__name="Server", attributes=["serial_number"]).update(
        active=False
    )
    data = FIXTURES / "ansible-tree" / "setup" / "web-01"
    run = services.run_discovery(system, sources["ansible"], data)
    assert (run.queued, run.created, run.updated) == (1, 0, 0)
    item = ReconciliationItem.objects.get()
    assert set(item.candidates.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert "hostname + domain" in item.rule
    # again: still one open item, nothing merged
    services.run_discovery(system, sources["ansible"], data)
    assert ReconciliationItem.objects.count() == 1
    first.refresh_from_db()
    assert "os" not in first.attributes
    services.resolve_item(system, item, second)
    second.refresh_from_db()
    assert second.attributes["os"] == "Debian"
    # later runs use the person's decision
    later = services.run_discovery(system, sources["ansible"], data)
    assert (later.queued, later.created) == (0, 0)
    assert ReconciliationItem.objects.filter(state="open").count() == 0


def test_source_that_may_not_create(system: Any, sources: Any) -> None:
    source = services.update_source(system, sources["nmap"], {"may_create": False})
    run = services.run_discovery(system, source, fixture_bytes("nmap-subnet.xml"))
    assert run.state == "succeeded"
    assert run.created == 0
    assert not CI.objects.exists()
    assert any("may not create" in m for m in run.messages)


def test_rule_attributes_are_checked(system: Any) -> None:
    from assetgraph.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="not attributes of Server"):
        services.create_rule(
            system,
            {"ci_class": CIClass.objects.get(name="Server"), "priority": 5, "attributes": ["x"]},
        )


def test_stale_after_the_class_days_and_health(system: Any, sources: Any) -> None:
    services.run_discovery(system, sources["ansible"], FIXTURES / "ansible-tree")
    web = CI.objects.get(name="web-01.corp.example")
    Sighting.objects.filter(ci=web).update(last_seen=timezone.now() - dt.timedelta(days=31))
    result = health.compute()
    server = CIClass.objects.get(name="Server").pk
    assert result["offenders"][server]["stale"] == [web.pk]
    assert result["offenders"][server]["orphan"] == [web.pk]  # servers expect a relationship
    assert result["classes"][server]["correctness"] == 0.0
    assert web.valid_to is None  # stale is reported, never retired


def test_duplicates_and_compliance_rules(system: Any) -> None:
    _server(system, "db-01.corp.example", serial_number="A1")
    _server(system, "DB-01", serial_number="B2")
    _server(system, "app-01", serial_number="C3")
    ComplianceRule.objects.create(
        name="production servers have an owning team",
        ci_class=CIClass.objects.get(name="Server"),
        condition={"environment": "production"},
        requirement={"owning_team": "*"},
    )
    result = health.compute()
    server = CIClass.objects.get(name="Server").pk
    assert len(result["offenders"][server]["duplicate"]) == 2
    assert len(result["offenders"][server]["non_compliant"]) == 3
    assert result["classes"][server]["compliance"] == 0.0
    snapshot = health.record_snapshot(result)
    assert health.trend()[-1]["day"] == snapshot.day.isoformat()


def test_compliance_rule_terms_are_validated(system: Any) -> None:
    from assetgraph.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="unknown check"):
        services.create_compliance_rule(
            system,
            {
                "name": "bad",
                "ci_class": CIClass.objects.get(name="Server"),
                "requirement": {"colour": "red"},
            },
        )


def test_unmanaged_hardware_becomes_an_asset_or_is_linked(
    system: Any, sources: Any, make_user: Any, monkeypatch: Any
) -> None:
    from assetgraph.assets.models import Asset, AssetModel, Category
    from assetgraph.org.models import Company

    admin = make_user(superuser=True)
    services.run_discovery(system, sources["ansible"], FIXTURES / "ansible-tree")
    web = CI.objects.get(name="web-01.corp.example")
    vm = CI.objects.get(name="app-vm-07.corp.example")
    listed = set(discovery_assets.unmanaged(admin).values_list("pk", flat=True))
    assert web.pk in listed and vm.pk not in listed  # VMs are not hardware
    maker = Company.objects.create(name="Supermicro", is_manufacturer=True)
    model = AssetModel.objects.create(
        name="SYS-1029P", category=Category.objects.create(name="Servers"), manufacturer=maker
    )
    # The page offers the models as a drop-down while short, a type-ahead picker when long.
    from django.test import Client

    page_client = Client()
    page_client.force_login(admin)
    short = page_client.get("/discovery/unmanaged/").content.decode()
    assert f'<option value="{model.pk}">' in short
    monkeypatch.setattr("assetgraph.discovery.views.SELECT_LIMIT", 0)
    long = page_client.get("/discovery/unmanaged/").content.decode()
    assert 'data-picker="/pick/assets.assetmodel/"' in long
    assert f'<option value="{model.pk}">' not in long
    asset = discovery_assets.make_asset(system, web, model)
    web.refresh_from_db()
    assert web.asset == asset and asset.serial_number == "SM-7781-2203"
    assert web.pk not in set(discovery_assets.unmanaged(admin).values_list("pk", flat=True))
    # link by serial
    other = _server(system, "spare", serial_number="SN-LINK-1")
    Sighting.objects.create(
        ci=other, source=sources["ansible"], first_seen=timezone.now(), last_seen=timezone.now()
    )
    registered = Asset.objects.create(
        asset_tag="A-LINK", model=model, manufacturer=maker, serial_number="SN-LINK-1"
    )
    assert discovery_assets.link_by_serial(system, other) == registered
    # missing: not seen for 31 days
    Sighting.objects.filter(ci=other).update(last_seen=timezone.now() - dt.timedelta(days=31))
    missing = discovery_assets.missing(admin, 30)
    assert [a.pk for a, _, _ in missing] == [registered.pk]


def test_missing_assets_lead_to_a_physical_audit_of_their_location(
    system: Any, sources: Any, site: Any, browser: Any, api: Any
) -> None:
    from assetgraph.assets.models import Asset, AssetModel, Category
    from assetgraph.org.models import Company

    maker = Company.objects.create(name="Dell", is_manufacturer=True)
    model = AssetModel.objects.create(
        name="R650", category=Category.objects.create(name="Servers"), manufacturer=maker
    )
    box = _server(system, "old-box", serial_number="SN-GONE-1")
    Sighting.objects.create(
        ci=box,
        source=sources["ansible"],
        first_seen=timezone.now() - dt.timedelta(days=90),
        last_seen=timezone.now() - dt.timedelta(days=45),
    )
    asset = Asset.objects.create(
        asset_tag="A-GONE",
        model=model,
        manufacturer=maker,
        serial_number="SN-GONE-1",
        location=site["room"],
    )
    discovery_assets.link_by_serial(system, box)
    compliance = browser("Compliance")  # who starts physical audits
    page = compliance.get("/discovery/missing/")
    assert page.status_code == 200
    start = f"/assets/audits/start/?location={site['room'].pk}".encode()
    assert f"/assets/assets/{asset.pk}/".encode() in page.content and start in page.content
    # the link opens the campaign form with the location chosen
    form = compliance.get(start.decode())
    assert form.status_code == 200
    assert f'<option value="{site["room"].pk}" selected'.encode() in form.content
    body = api("System Administrator").get("/api/discovery/missing").json()
    assert [(r["asset_id"], r["location_id"]) for r in body] == [(asset.pk, site["room"].pk)]
