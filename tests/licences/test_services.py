"""Writes of the licences app: validation (422 naming the field), audit events, licence keys
encrypted at rest and redacted in the audit trail, allocation rules, reclaim, offboarding,
normalisation rules and the SaaS usage import."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import SoftwareProduct
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.licences import services, usage
from assetgraph.licences.crypto import decrypt_key, encrypt_key
from assetgraph.licences.models import Entitlement, ProductMapping, SaasUsage
from tests.conftest import events_for

from .conftest import Lic

pytestmark = pytest.mark.django_db
KEY = "ABCDE-12345-FGHIJ-67890"


def test_a_licence_key_is_encrypted_at_rest_and_never_in_the_audit_trail(lic: Lic) -> None:
    product = lic.product("Office")
    licence = lic.ent(product, "device", 5, licence_key=KEY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT licence_key FROM licences_entitlement WHERE id = %s", [licence.pk])
        stored = cursor.fetchone()[0]
    assert stored and KEY not in stored and decrypt_key(stored) == KEY
    services.update_entitlement(lic.actor, licence, {"licence_key": "NEW-KEY-0000"})
    dumped = str(list(AuditEvent.objects.values_list("before", "after")))
    assert KEY not in dumped and "NEW-KEY-0000" not in dumped and stored not in dumped
    actions = [e.action for e in events_for(licence)]
    assert actions == ["create", "set_licence_key", "set_licence_key"]
    assert events_for(licence)[-1].after == {"licence_key": "(redacted)"}


def test_a_token_from_another_secret_key_reads_as_empty(settings: Any) -> None:
    token = encrypt_key(KEY)
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    assert decrypt_key(token) == ""
    settings.SECRET_KEY_FALLBACKS = [token and settings.SECRET_KEY]


def test_metric_rules_are_field_errors(lic: Lic, site: dict[str, Any]) -> None:
    product = lic.product("Viewer")
    with pytest.raises(ValidationFailed) as missing:
        lic.ent(product, "device", None)
    assert "quantity" in missing.value.fields
    with pytest.raises(ValidationFailed) as site_scope:
        lic.ent(product, "site", None)
    assert "scope" in site_scope.value.fields
    with pytest.raises(ValidationFailed) as dates:
        lic.ent(product, "subscription", 5, term="subscription")
    assert "end_date" in dates.value.fields
    assert Entitlement.objects.count() == 0


def test_allocation_targets_follow_the_metric(lic: Lic, site: dict[str, Any]) -> None:
    product = lic.product("Viewer")
    per_device = lic.ent(product, "device", 5)
    per_user = lic.ent(product, "user", 5)
    per_core = lic.ent(product, "core", 5)
    with pytest.raises(ValidationFailed, match="seats go to devices"):
        services.allocate_seats(lic.actor, per_device, {"person": site["minh"]})
    with pytest.raises(ValidationFailed, match="seats go to people"):
        services.allocate_seats(lic.actor, per_user, {"ci": lic.device("pc")})
    with pytest.raises(ValidationFailed, match="not allocated seat by seat"):
        services.allocate_seats(lic.actor, per_core, {"person": site["minh"]})
    with pytest.raises(ValidationFailed, match="exactly one"):
        services.allocate_seats(lic.actor, per_user, {})


def test_the_same_person_twice_is_a_conflict_and_the_counter_is_untouched(
    lic: Lic, site: dict[str, Any]
) -> None:
    licence = lic.ent(lic.product("Viewer"), "user", 5)
    services.allocate_seats(lic.actor, licence, {"person": site["minh"]})
    with pytest.raises(Conflict) as twice:
        services.allocate_seats(lic.actor, licence, {"person": site["minh"]})
    assert twice.value.code == "already_allocated"
    licence.refresh_from_db()
    assert licence.allocated == 1


def test_an_expired_licence_cannot_be_allocated(lic: Lic, site: dict[str, Any]) -> None:
    today = timezone.localdate()
    licence = lic.ent(
        lic.product("Viewer"),
        "subscription",
        5,
        term="subscription",
        start_date=today - dt.timedelta(days=400),
        end_date=today - dt.timedelta(days=35),
    )
    with pytest.raises(Conflict, match="expired"):
        services.allocate_seats(lic.actor, licence, {"person": site["minh"]})


def test_quantity_cannot_drop_below_the_allocated_seats(lic: Lic, site: dict[str, Any]) -> None:
    licence = lic.ent(lic.product("Viewer"), "user", 5)
    for person in ("minh", "ana"):
        services.allocate_seats(lic.actor, licence, {"person": site[person]})
    with pytest.raises(ValidationFailed) as low:
        services.update_entitlement(lic.actor, licence, {"quantity": 1})
    assert "quantity" in low.value.fields
    services.update_entitlement(lic.actor, licence, {"quantity": 2, "notes": "trimmed"})
    licence.refresh_from_db()
    assert (licence.quantity, licence.allocated) == (2, 2)


def test_reclaiming_closes_the_interval_and_frees_the_seat_once(
    lic: Lic, site: dict[str, Any]
) -> None:
    licence = lic.ent(lic.product("Viewer"), "user", 1)
    seat = services.allocate_seats(lic.actor, licence, {"person": site["minh"]})
    (done,) = services.reclaim_allocations(lic.actor, [seat], reason="left the team")
    assert done.reclaimed_at is not None and done.reclaim_reason == "left the team"
    licence.refresh_from_db()
    assert licence.allocated == 0
    with pytest.raises(Conflict, match="already reclaimed"):
        services.reclaim_allocations(lic.actor, [seat])
    assert [e.action for e in events_for(seat)] == ["allocate", "reclaim"]
    services.allocate_seats(lic.actor, licence, {"person": site["ana"]})  # the seat is free


def test_offboarding_reclaims_every_seat_of_a_person(lic: Lic, site: dict[str, Any]) -> None:
    minh = site["minh"]
    for name in ("Viewer", "Editor", "Planner"):
        services.allocate_seats(lic.actor, lic.ent(lic.product(name), "user", 3), {"person": minh})
    done = services.reclaim_person_seats(lic.actor, minh)
    assert len(done) == 3
    assert list(Entitlement.objects.values_list("allocated", flat=True)) == [0, 0, 0]


def test_normalisation_rules_map_raw_names_without_code(lic: Lic) -> None:
    product = lic.product("Acrobat Reader", "Adobe")
    services.create_rule(
        lic.actor,
        {
            "publisher_pattern": "adobe*",
            "name_pattern": "*reader*",
            "product": product,
            "priority": 5,
        },
    )
    pc = lic.device("pc-a")
    lic.install(pc, "Adobe Acrobat Reader DC (64-bit)", "24.1", publisher="Adobe Systems Inc.")
    catalogue = SoftwareProduct.objects.get(publisher="Adobe")
    mapping = ProductMapping.objects.get(software=catalogue)
    assert mapping.product == product and mapping.rule is not None
    assert mapping.rule.priority == 5
    services.update_rule(lic.actor, mapping.rule, {"active": False})
    counts = services.apply_normalisation_rules(lic.actor)
    assert counts["unmapped"] == 1  # no other rule matches "Acrobat Reader DC"
    assert not ProductMapping.objects.filter(software=catalogue).exists()


def test_usage_import_is_all_or_nothing_with_row_errors(lic: Lic, site: dict[str, Any]) -> None:
    saas = lic.product("Creative Cloud", "Adobe")
    bad = b"user,last_active\nminh@example.com,2026-01-05\n,2026-01-06\nx@example.com,yesterday\n"
    with pytest.raises(ValidationFailed) as refused:
        usage.import_usage(lic.actor, saas, usage.parse_file(bad, "console.csv"))
    assert set(refused.value.fields) == {"row 2.user", "row 3.last_active"}
    assert SaasUsage.objects.count() == 0
    good = b'[{"email": "MINH@example.com", "Last active date": "2026-01-05"}, {"user": "z@x.io"}]'
    counts = usage.import_usage(lic.actor, saas, usage.parse_file(good, "console.json"))
    assert counts == {"created": 2, "updated": 0, "removed": 0, "matched_people": 1}
    assert SaasUsage.objects.get(user_name="MINH@example.com").person == site["minh"]
    again = usage.import_usage(lic.actor, saas, usage.parse_rows([{"user": "z@x.io"}]))
    assert again["removed"] == 1 and SaasUsage.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="licences.saasusage").count() == 3
