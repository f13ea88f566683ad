"""Editing a kit's lines in the UI: add, change, remove, through ``update_kit`` with audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services
from assetgraph.assets.models import Kit
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(catalogue: dict[str, Any], system: Actor) -> Kit:
    return services.create_kit(
        system,
        {"name": "Engineer", "items": [{"model_id": catalogue["latitude"].pk, "quantity": 1}]},
    )


def _management(total: int, initial: int) -> dict[str, Any]:
    return {
        "items-TOTAL_FORMS": total,
        "items-INITIAL_FORMS": initial,
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 100,
    }


def _lines(kit: Kit) -> list[tuple[str, int]]:
    return sorted((i.model.name, i.quantity) for i in Kit.objects.get(pk=kit.pk).items.all())


def test_kit_page_links_to_items_and_issue_pages(kit: Kit, browser: Callable[..., Client]) -> None:
    page = browser("Procurement").get(f"/assets/kits/{kit.pk}/").content.decode()
    assert f'href="/assets/kits/{kit.pk}/items/"' in page
    assert f'href="/assets/kits/{kit.pk}/issue/"' in page


def test_add_change_and_remove_lines_with_one_audit_event(
    kit: Kit, catalogue: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Procurement")
    url = f"/assets/kits/{kit.pk}/items/"
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="items-0-quantity" value="1"' in html and 'name="items-3-model"' in html
    events = AuditEvent.objects.filter(object_type="assets.kit", object_id=str(kit.pk))
    before = events.count()
    saved = client.post(
        url,
        {
            **_management(4, 1),
            "items-0-model": catalogue["latitude"].pk,
            "items-0-quantity": 2,
            "items-1-model": catalogue["u27"].pk,
            "items-1-quantity": 3,
        },
    )
    assert saved.status_code == 302 and saved["Location"] == f"/assets/kits/{kit.pk}/"
    assert _lines(kit) == [("Latitude 7440", 2), ("U2723QE", 3)]
    assert events.count() == before + 1
    event = events.order_by("-id").first()
    assert event is not None and event.action == "update" and event.source == "ui"
    assert event.before == {"items": [[catalogue["latitude"].pk, 1]]}
    assert event.after == {
        "items": sorted([[catalogue["latitude"].pk, 2], [catalogue["u27"].pk, 3]])
    }
    removed = client.post(
        url,
        {
            **_management(5, 2),
            "items-0-model": catalogue["latitude"].pk,
            "items-0-quantity": 2,
            "items-0-remove": "on",
            "items-1-model": catalogue["u27"].pk,
            "items-1-quantity": 3,
        },
    )
    assert removed.status_code == 302
    assert _lines(kit) == [("U2723QE", 3)]
    # Saving the same lines again changes nothing and writes no event.
    count = events.count()
    same = client.post(
        url, {**_management(4, 1), "items-0-model": catalogue["u27"].pk, "items-0-quantity": 3}
    )
    assert same.status_code == 302 and events.count() == count


def test_bad_lines_are_shown_and_nothing_changes(
    kit: Kit, catalogue: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Procurement")
    url = f"/assets/kits/{kit.pk}/items/"
    events = AuditEvent.objects.count()
    zero = client.post(
        url, {**_management(4, 1), "items-0-model": catalogue["latitude"].pk, "items-0-quantity": 0}
    )
    assert zero.status_code == 422
    assert "Ensure this value is greater than or equal to 1." in zero.content.decode()
    orphan = client.post(url, {**_management(4, 1), "items-1-quantity": 2})
    assert orphan.status_code == 422 and "choose the model of this line" in orphan.content.decode()
    unknown = client.post(
        url, {**_management(4, 1), "items-0-model": 999999, "items-0-quantity": 1}
    )
    assert unknown.status_code == 422
    assert _lines(kit) == [("Latitude 7440", 1)] and AuditEvent.objects.count() == events


def test_only_users_who_may_change_kits_edit_items(
    kit: Kit, catalogue: dict[str, Any], browser: Callable[..., Client]
) -> None:
    url = f"/assets/kits/{kit.pk}/items/"
    helpdesk = browser("Helpdesk")  # may view kits, not change them
    assert helpdesk.get(url).status_code == 403
    assert (
        helpdesk.post(url, {**_management(4, 1), "items-0-model": catalogue["u27"].pk}).status_code
        == 403
    )
    assert browser().get(url).status_code == 404
    assert browser("Procurement").get("/assets/kits/999999/items/").status_code == 404
    assert _lines(kit) == [("Latitude 7440", 1)]
