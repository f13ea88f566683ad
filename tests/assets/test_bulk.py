"""Bulk edit, bulk state change and bulk check-in from the asset list (issue 17).

Each goes through the asset's own service per row (one audit event per asset), all in one
transaction: any refused row undoes every row and the page names each refused row and field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client

from assetgraph.assets import services
from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor


def test_the_list_offers_edit_and_state_change_to_those_who_may_change(
    browser: Callable[..., Client], make_asset: Callable[..., Asset]
) -> None:
    make_asset()
    html = browser("Procurement").get("/assets/assets/").content.decode()
    assert 'id="bulk-edit"' in html and 'id="bulk-transition"' in html
    assert 'formaction="/assets/assets/bulk/edit/"' in html
    helpdesk = browser("Helpdesk").get("/assets/assets/").content.decode()
    assert 'id="bulk-edit"' not in helpdesk and 'id="bulk-checkin"' in helpdesk


def test_bulk_edit_sets_common_fields_one_audit_event_per_asset(
    browser: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    a, b = make_asset(), make_asset()
    client = browser("Procurement")
    form = client.post("/assets/assets/bulk/edit/", {"ids": [a.pk, b.pk]})
    assert form.status_code == 200
    body = form.content.decode()
    assert 'name="location"' in body and 'name="warranty_end"' in body and a.asset_tag in body
    empty = client.post("/assets/assets/bulk/edit/", {"ids": [a.pk, b.pk], "apply": "1"})
    assert empty.status_code == 422 and b"choose at least one field" in empty.content
    done = client.post(
        "/assets/assets/bulk/edit/",
        {
            "ids": [a.pk, b.pk],
            "apply": "1",
            "location": catalogue["berlin"].pk,
            "warranty_end": "2029-06-30",
            "next": "/assets/assets/?ordering=name",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/assets/assets/?ordering=name"
    for asset in Asset.objects.filter(pk__in=[a.pk, b.pk]):
        assert asset.location == catalogue["berlin"]
        assert asset.warranty_end == dt.date(2029, 6, 30)
        assert asset.supplier == catalogue["cdw"]  # blank fields stay as they were
    events = AuditEvent.objects.filter(action="update", object_type="assets.asset", source="ui")
    assert sorted(int(e.object_id) for e in events) == sorted([a.pk, b.pk])


def test_bulk_edit_refuses_rows_the_user_may_not_change_and_changes_nothing(
    browser: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    mine, theirs = make_asset(), make_asset()
    client = browser(
        permissions=[
            (["assets.asset"], ["view"], None),
            (["assets.asset"], ["change"], {"id": mine.pk}),
        ]
    )
    refused = client.post(
        "/assets/assets/bulk/edit/",
        {"ids": [mine.pk, theirs.pk], "apply": "1", "order_number": "PO-9"},
    )
    assert refused.status_code == 403
    assert theirs.asset_tag in refused.content.decode()
    assert not Asset.objects.filter(order_number="PO-9").exists()
    missing = client.post(
        "/assets/assets/bulk/edit/", {"ids": [999999], "apply": "1", "order_number": "PO-9"}
    )
    assert missing.status_code == 422 and b"#999999" in missing.content
    assert (
        browser("Helpdesk").post("/assets/assets/bulk/edit/", {"ids": [mine.pk]}).status_code == 403
    )


def test_bulk_state_change_uses_the_lifecycle_and_reports_every_refused_row(
    browser: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    a, b, held = make_asset(), make_asset(), make_asset()
    services.check_out_asset(Actor.system("tests"), held, to_person=catalogue["ana"])
    client = browser("Procurement")
    form = client.post("/assets/bulk/transition/", {"ids": [a.pk, b.pk]})
    assert form.status_code == 200 and 'value="send_to_repair"' in form.content.decode()
    refused = client.post(
        "/assets/bulk/transition/",
        {"ids": [a.pk, held.pk, b.pk], "apply": "1", "transition": "reserve"},
    )
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "Nothing was changed" in body and held.asset_tag in body
    assert a.asset_tag not in body.split('id="bulk-failures"')[1].split("</table>")[0]
    assert set(Asset.objects.values_list("substate", flat=True)) >= {"available"}
    assert Asset.objects.get(pk=a.pk).substate == "available"  # all or nothing
    done = client.post(
        "/assets/bulk/transition/",
        {"ids": [a.pk, b.pk], "apply": "1", "transition": "reserve"},
    )
    assert done.status_code == 302
    assert set(Asset.objects.filter(pk__in=[a.pk, b.pk]).values_list("substate", flat=True)) == {
        "reserved"
    }
    events = AuditEvent.objects.filter(action="reserve")
    assert sorted(int(e.object_id) for e in events) == sorted([a.pk, b.pk])


def test_bulk_state_change_names_the_field_a_rule_requires(
    browser: Callable[..., Client], make_asset: Callable[..., Asset]
) -> None:
    a, b = make_asset(), make_asset()
    refused = browser("Procurement").post(
        "/assets/bulk/transition/",
        {"ids": [a.pk, b.pk], "apply": "1", "transition": "report_missing"},
    )
    assert refused.status_code == 422
    table = refused.content.decode().split('id="bulk-failures"')[1]
    assert table.count("<td>reason</td>") == 2 and a.asset_tag in table and b.asset_tag in table
    assert not Asset.objects.filter(state="missing").exists()


def test_bulk_api_update_and_transition_are_all_or_nothing(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    a, b, held = make_asset(), make_asset(), make_asset()
    services.check_out_asset(Actor.system("tests"), held, to_person=catalogue["ana"])
    procurement = api("Procurement")
    updated = procurement.post(
        "/api/assets/assets/bulk-update",
        {"assets": [a.pk, b.pk], "changes": {"order_number": "PO-77"}},
        content_type="application/json",
    )
    assert updated.status_code == 200, updated.content
    assert {r["order_number"] for r in updated.json()} == {"PO-77"}
    refused = procurement.post(
        "/api/assets/assets/bulk-transition",
        {"assets": [a.pk, held.pk], "transition": "reserve"},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert f"ids.{held.pk}" in " ".join(refused.json()["error"]["fields"])
    assert Asset.objects.get(pk=a.pk).substate == "available"
    done = procurement.post(
        "/api/assets/assets/bulk-transition",
        {"assets": [a.pk, b.pk], "transition": "reserve"},
        content_type="application/json",
    )
    assert done.status_code == 200 and {r["substate"] for r in done.json()} == {"reserved"}
    hidden = api(permissions=[(["assets.asset"], ["view", "change"], {"id": a.pk})])
    missing = hidden.post(
        "/api/assets/assets/bulk-update",
        {"assets": [a.pk, b.pk], "changes": {"order_number": "X"}},
        content_type="application/json",
    )
    assert missing.status_code == 404
    assert Asset.objects.get(pk=a.pk).order_number == "PO-77"
