"""Compare two versions on History (issue 17): field by field, before and after, in the
words of History; redacted like History; bad versions are a 422 naming the parameter."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.test import Client

from assetgraph.assets import services
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb_services
from assetgraph.core.actor import Actor
from tests.assets.conftest import catalogue, make_asset  # noqa: F401 - fixtures
from tests.cmdb.conftest import estate  # noqa: F401 - fixtures

SYSTEM = Actor.system("tests")


def _events(obj: Any, key: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_object(key, obj.pk).order_by("id"))


def _table(response: Any) -> str:
    html = response.content.decode()
    return html.split('id="compare-table"')[1].split("</table>")[0]


def test_compare_two_asset_versions_field_by_field_in_words(
    browser: Callable[..., Client],
    make_asset: Callable[..., Any],  # noqa: F811
    catalogue: dict[str, Any],  # noqa: F811
) -> None:
    asset = make_asset(order_number="PO-1")
    services.update_asset(SYSTEM, asset, {"location": catalogue["berlin"], "order_number": "PO-2"})
    services.transition_asset(SYSTEM, asset, "reserve", reason="for Ana")
    created, updated, reserved = _events(asset, "assets.asset")
    client = browser("Procurement")
    history = client.get(f"/assets/assets/{asset.pk}/history/").content.decode()
    assert 'id="history-compare"' in history
    assert f'action="/assets/assets/{asset.pk}/history/compare/"' in history
    page = client.get(
        f"/assets/assets/{asset.pk}/history/compare/",
        {"from": created.pk, "to": reserved.pk},
    )
    assert page.status_code == 200
    table = _table(page)
    assert "EMEA / London / HQ</td><td>EMEA / Berlin" in table  # references by name, not id
    assert "PO-1</td><td>PO-2" in table
    assert "Available</td><td>Reserved" in table  # choices by label
    assert "for Ana" not in table and "Version" not in table  # event keys, counters: not fields
    # the default is the last change; the order of the parameters does not matter
    default = _table(client.get(f"/assets/assets/{asset.pk}/history/compare/"))
    assert "Reserved" in default and "PO-2" not in default
    swapped = _table(
        client.get(
            f"/assets/assets/{asset.pk}/history/compare/",
            {"from": updated.pk, "to": created.pk},
        )
    )
    assert "PO-1</td><td>PO-2" in swapped


def test_compare_redacts_costs_and_refuses_unknown_versions(
    browser: Callable[..., Client],
    make_asset: Callable[..., Any],  # noqa: F811
    catalogue: dict[str, Any],  # noqa: F811
) -> None:
    asset = make_asset()
    services.update_asset(SYSTEM, asset, {"cost": Decimal("999.00"), "order_number": "PO-9"})
    created, updated = _events(asset, "assets.asset")
    url = f"/assets/assets/{asset.pk}/history/compare/"
    params = {"from": created.pk, "to": updated.pk}
    helpdesk = _table(browser("Helpdesk").get(url, params))
    assert "PO-9" in helpdesk and "999" not in helpdesk and "1299" not in helpdesk
    procurement = _table(browser("Procurement").get(url, params))
    assert "1299.00</td><td>999.00" in procurement
    other = make_asset()
    foreign = _events(other, "assets.asset")[0]
    bad = browser("Procurement").get(url, {"from": foreign.pk, "to": updated.pk})
    assert bad.status_code == 422 and b"from: no such version" in bad.content
    assert browser("Procurement").get(url, {"from": "x", "to": "1"}).status_code == 422
    hidden = browser(permissions=[(["assets.asset"], ["view"], {"id": other.pk})])
    assert hidden.get(url, params).status_code == 404


def test_compare_ci_versions_shows_attributes_key_by_key(
    browser: Callable[..., Client],
    estate: dict[str, Any],  # noqa: F811
) -> None:
    vm = estate["vm"]
    cmdb_services.update_ci(SYSTEM, vm, {"attributes": {"ram_gb": 32}, "criticality": 1})
    events = _events(vm, "cmdb.ci")
    page = browser("Read-only").get(
        f"/cmdb/cis/{vm.pk}/history/compare/", {"from": events[0].pk, "to": events[-1].pk}
    )
    table = _table(page)
    assert "RAM (GB)" in table and "16</td><td>32" in table
