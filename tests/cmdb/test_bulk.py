"""Bulk edit of CIs from the CI list: the CI's update service per row, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI


def test_ci_list_bulk_edit_changes_status_per_ci_with_one_event_each(
    browser: Callable[..., Client], estate: dict[str, Any]
) -> None:
    vm, hv = estate["vm"], estate["hv"]
    client = browser("IT Operations (NOC)")
    listing = client.get("/cmdb/cis/").content.decode()
    assert 'id="bulk-edit"' in listing and 'name="ids"' in listing
    assert 'id="bulk-edit"' not in browser("Read-only").get("/cmdb/cis/").content.decode()
    done = client.post(
        "/cmdb/cis/bulk/edit/",
        {"ids": [vm.pk, hv.pk], "apply": "1", "operational_status": "maintenance"},
    )
    assert done.status_code == 302
    assert set(
        CI.objects.filter(pk__in=[vm.pk, hv.pk]).values_list("operational_status", flat=True)
    ) == {"maintenance"}
    events = AuditEvent.objects.filter(object_type="cmdb.ci", action="update", source="ui")
    assert sorted(int(e.object_id) for e in events) == sorted([vm.pk, hv.pk])


def test_ci_bulk_edit_names_each_refused_row_and_field_and_changes_nothing(
    browser: Callable[..., Client], estate: dict[str, Any]
) -> None:
    vm, hv = estate["vm"], estate["hv"]
    refused = browser("IT Operations (NOC)").post(
        "/cmdb/cis/bulk/edit/",
        {"ids": [vm.pk, hv.pk], "apply": "1", "operational_status": "retired", "criticality": 1},
    )
    assert refused.status_code == 422
    table = refused.content.decode().split('id="bulk-failures"')[1].split("</table>")[0]
    assert "fin-vm-01" in table and "hv-01" in table and "operational_status" in table
    assert CI.objects.get(pk=vm.pk).criticality != 1  # the other field was not kept either
    assert not CI.objects.filter(operational_status="retired").exists()


def test_ci_bulk_update_api_is_all_or_nothing_and_names_each_refused_ci(
    api: Callable[..., Client], estate: dict[str, Any]
) -> None:
    vm, hv = estate["vm"], estate["hv"]
    client = api("IT Operations (NOC)")
    done = client.post(
        "/api/cmdb/cis/bulk-update",
        {"cis": [vm.pk, hv.pk], "changes": {"environment": "staging"}},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert {r["environment"] for r in done.json()} == {"staging"}
    refused = client.post(
        "/api/cmdb/cis/bulk-update",
        {"cis": [vm.pk, hv.pk], "changes": {"operational_status": "retired", "criticality": 1}},
        content_type="application/json",
    )
    assert refused.status_code == 422
    fields = refused.json()["error"]["fields"]
    assert (
        f"ids.{vm.pk}.operational_status" in fields and f"ids.{hv.pk}.operational_status" in fields
    )
    assert CI.objects.get(pk=vm.pk).criticality != 1
    reader = api("Read-only").post(
        "/api/cmdb/cis/bulk-update",
        {"cis": [vm.pk], "changes": {"environment": "production"}},
        content_type="application/json",
    )
    assert reader.status_code in (403, 404)
    assert CI.objects.get(pk=vm.pk).environment == "staging"
