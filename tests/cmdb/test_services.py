"""CMDB services: classes and attributes, CIs, relationships, retirement, software."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services
from assetgraph.cmdb.models import (
    CI,
    ClassAttribute,
    Relationship,
    SoftwareProduct,
    group_state,
    subclass_ids,
)
from assetgraph.cmdb.software import normalise_product
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed

from ..conftest import events_for
from .conftest import cls, rtype

pytestmark = pytest.mark.django_db


def test_seeded_classes_inherit_attributes_and_types_exist() -> None:
    hypervisor = cls("Hypervisor")
    keys = {d.key for d in hypervisor.effective_attributes()}
    assert {"hostname", "ip_address", "os", "serial_number", "hypervisor_type"} <= keys
    assert cls("Computer System").pk in hypervisor.lineage_ids()
    assert cls("Hypervisor").pk in subclass_ids(cls("Server").pk)
    assert rtype("runs on").reverse_name == "runs"
    assert rtype("member of").is_membership


def test_admin_defines_a_class_with_attributes_without_migrations(system: Actor) -> None:
    klass = services.create_ci_class(system, {"name": "Printer", "icon": "printer"})
    services.create_class_attribute(
        system, {"ci_class": klass, "key": "pages_per_minute", "label": "PPM", "type": "integer"}
    )
    services.create_class_attribute(
        system, {"ci_class": klass, "key": "asset_tag", "label": "Tag", "type": "text"}
    )
    services.update_ci_class(system, klass, {"identification_key": ["asset_tag"]})
    ci = services.create_ci(
        system,
        {"name": "PRN-1", "ci_class": klass, "attributes": {"pages_per_minute": "30"}},
    )
    assert ci.attributes == {"pages_per_minute": 30}
    assert [e.action for e in events_for(klass)] == ["create", "update"]


def test_class_cannot_redefine_an_inherited_key(system: Actor) -> None:
    klass = services.create_ci_class(system, {"name": "Blade", "parent": cls("Server")})
    with pytest.raises(ValidationFailed) as caught:
        services.create_class_attribute(
            system, {"ci_class": klass, "key": "hostname", "label": "H", "type": "text"}
        )
    assert "key" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.update_ci_class(system, klass, {"identification_key": ["nope"]})
    assert "identification_key" in caught.value.fields


def test_attribute_type_is_fixed_once_values_exist(estate: dict[str, Any], system: Actor) -> None:
    ram = ClassAttribute.objects.get(ci_class=cls("Computer System"), key="ram_gb")
    with pytest.raises(ValidationFailed) as caught:
        services.update_class_attribute(system, ram, {"type": "text"})
    assert "type" in caught.value.fields
    with pytest.raises(Conflict):
        services.delete_class_attribute(system, ram)


def test_create_ci_validates_attributes_naming_the_key(site: dict[str, Any], system: Actor) -> None:
    before = (CI.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.create_ci(
            system,
            {
                "name": "bad",
                "ci_class": cls("Virtual Machine"),
                "attributes": {"ip_address": "999.1.1.1", "colour": "red"},
            },
        )
    assert set(caught.value.fields) == {"attributes.ip_address", "attributes.colour"}
    assert (CI.objects.count(), AuditEvent.objects.count()) == before


def test_update_ci_merges_attributes_and_audits_before_and_after(
    estate: dict[str, Any], system: Actor
) -> None:
    vm = estate["vm"]
    services.update_ci(system, vm, {"attributes": {"ram_gb": 32, "hostname": None}})
    vm.refresh_from_db()
    assert vm.public_attributes == {"ip_address": "10.0.0.5", "ram_gb": 32.0}
    event = events_for(vm)[-1]
    assert event.action == "update"
    assert event.before["attributes"]["ram_gb"] == 16.0
    assert event.after["attributes"]["ram_gb"] == 32.0
    assert "attributes" in event.changed_fields


def test_redundancy_only_on_groups_and_valid_values(estate: dict[str, Any], system: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.update_ci(
            system, estate["vm"], {"redundancy_mode": "count", "redundancy_value": 2}
        )
    assert "redundancy_mode" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.update_ci(
            system, estate["farm"], {"redundancy_mode": "percent", "redundancy_value": 150}
        )
    assert "redundancy_value" in caught.value.fields


@pytest.mark.parametrize(
    ("mode", "value", "members", "down", "state"),
    [
        ("disabled", None, 3, 0, "ok"),
        ("disabled", None, 3, 1, "failed"),
        ("count", 2, 3, 1, "degraded"),
        ("count", 2, 3, 2, "failed"),
        ("percent", 66, 3, 1, "degraded"),
        ("percent", 67, 3, 1, "failed"),
    ],
)
def test_group_state(mode: str, value: int | None, members: int, down: int, state: str) -> None:
    assert group_state(mode, value, members, down) == state


def test_retire_closes_interval_and_relationships_never_deletes(
    estate: dict[str, Any], system: Actor
) -> None:
    vm = services.retire_ci(system, estate["vm"])
    assert vm.valid_to is not None and vm.operational_status == "retired"
    assert CI.objects.filter(pk=vm.pk).exists()
    assert not Relationship.objects.current().filter(source=vm).exists()
    assert not Relationship.objects.current().filter(target=vm).exists()
    closed = estate["app-vm"]
    closed.refresh_from_db()
    assert closed.valid_to == vm.valid_to
    assert events_for(vm)[-1].action == "retire"
    assert events_for(closed)[-1].action == "remove"
    with pytest.raises(Conflict):
        services.update_ci(system, vm, {"description": "x"})
    with pytest.raises(Conflict):
        services.retire_ci(system, vm)


def test_lifecycle_fields_are_not_writable(estate: dict[str, Any], system: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.update_ci(system, estate["vm"], {"operational_status": "retired"})
    assert "operational_status" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.update_ci(system, estate["vm"], {"valid_to": None})


def test_relationship_rules(estate: dict[str, Any], system: Actor) -> None:
    app, vm = estate["app"], estate["vm"]
    with pytest.raises(Conflict):
        services.add_relationship(system, {"source": app, "target": vm, "type": rtype("runs on")})
    with pytest.raises(ValidationFailed) as caught:
        services.add_relationship(system, {"source": app, "target": app, "type": rtype("uses")})
    assert "target" in caught.value.fields
    # cycles are allowed
    cycle = services.add_relationship(
        system, {"source": vm, "target": app, "type": rtype("depends on")}
    )
    assert cycle.pk


def test_database_refuses_duplicate_current_relationships(estate: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.create(
            source=estate["app"], target=estate["vm"], type=rtype("runs on")
        )


def test_class_pairs_are_enforced_including_subclasses(
    estate: dict[str, Any], system: Actor
) -> None:
    hosted = services.update_relationship_type(
        system,
        rtype("hosted on"),
        {"allowed_pairs": [[cls("Computer System").pk, cls("Server").pk]]},
    )
    with pytest.raises(ValidationFailed) as caught:
        services.add_relationship(
            system, {"source": estate["db"], "target": estate["hv"], "type": hosted}
        )
    assert "type" in caught.value.fields
    node = services.create_ci(system, {"name": "node-1", "ci_class": cls("Container Node")})
    assert services.add_relationship(
        system, {"source": node, "target": estate["hv"], "type": hosted}
    ).pk
    with pytest.raises(ValidationFailed):
        services.update_relationship_type(system, hosted, {"allowed_pairs": [[999999, 1]]})


def test_remove_relationship_closes_interval_and_allows_re_adding(
    estate: dict[str, Any], system: Actor
) -> None:
    rel = estate["app-db"]
    services.remove_relationship(system, rel)
    rel.refresh_from_db()
    assert rel.valid_to is not None
    assert events_for(rel)[-1].action == "remove"
    again = services.add_relationship(
        system, {"source": estate["app"], "target": estate["db"], "type": rtype("depends on")}
    )
    assert again.pk != rel.pk
    with pytest.raises(Conflict):
        services.remove_relationship(system, rel)


@pytest.mark.parametrize(
    ("publisher", "product", "expected"),
    [
        (
            "Microsoft Corporation",
            "Microsoft Office Professional Plus 2019 (x64)",
            ("Microsoft", "Office Professional Plus 2019"),
        ),
        (
            "MICROSOFT CORP.",
            "Office Professional Plus 2019",
            ("Microsoft", "Office Professional Plus 2019"),
        ),
        (
            "The Apache Software Foundation",
            "Apache Tomcat 9.0.85",
            ("Apache Software Foundation", "Apache Tomcat"),
        ),
        ("Mozilla", "Mozilla Firefox 115.0.2 ESR (x64 en-US)", ("Mozilla", "Firefox ESR")),
        ("Acme Widgets, Inc.", "Widget Pro", ("Acme Widgets", "Widget Pro")),
    ],
)
def test_normalisation(publisher: str, product: str, expected: tuple[str, str]) -> None:
    result = normalise_product(publisher, product)
    assert (result.publisher, result.name) == expected


def test_software_installs_share_one_catalogue_entry(estate: dict[str, Any], system: Actor) -> None:
    vm, hv = estate["vm"], estate["hv"]
    first = services.record_software_install(
        system,
        vm,
        {
            "publisher": "Microsoft Corporation",
            "product": "Microsoft SQL Server 2022",
            "version": "16.0",
        },
    )
    second = services.record_software_install(
        system,
        hv,
        {"publisher": "microsoft corp", "product": "SQL Server 2022 (x64)", "version": "16.0"},
    )
    assert first.product_id == second.product_id
    assert SoftwareProduct.objects.count() == 1
    assert second.raw_name == "SQL Server 2022 (x64)"
    with pytest.raises(Conflict):
        services.record_software_install(
            system, vm, {"publisher": "Microsoft", "product": "SQL Server 2022", "version": "16.0"}
        )
    with pytest.raises(ValidationFailed):
        services.record_software_install(system, vm, {"publisher": "x"})
    services.remove_software_install(system, first)
    assert events_for(first)[-1].action == "delete"
