"""The asset form's typed custom-field inputs: rendering per category, HTMX re-render,
server-side validation with errors next to each input, create and edit through services."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services
from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed(catalogue: dict[str, Any], system: Actor) -> dict[str, Any]:
    """Extra laptop fields of every input kind (the catalogue has ram_gb and team)."""
    laptops = [catalogue["laptops"].pk]
    for key, kind, extra in [
        ("bought", "date", {}),
        ("encrypted", "boolean", {}),
        ("portal", "url", {}),
        ("ip", "ip", {}),
        ("mac", "mac", {}),
        ("weight_kg", "decimal", {"minimum": "0", "maximum": "12.5"}),
        ("os", "choice", {"choices": ["Linux", "Windows"], "required": True}),
    ]:
        services.create_custom_field(
            system, {"key": key, "label": key.title(), "type": kind, "categories": laptops, **extra}
        )
    return catalogue


def _field_block(html: str, name: str) -> str:
    match = re.search(
        rf'<div class="mb-3" data-custom-field="{re.escape(name)}">(.*?)\n</div>', html, re.S
    )
    assert match, f"no block for {name}"
    return match.group(1)


def _post(client: Client, url: str, catalogue: dict[str, Any], **attrs: str) -> Any:
    data = {
        "asset_tag": "",
        "name": "Dev laptop",
        "model": catalogue["latitude"].pk,
        "serial_number": "SN-FORM",
        "currency": "",
        **{f"attributes.{k}": v for k, v in attrs.items()},
    }
    return client.post(url, data)


def test_inputs_are_typed_per_category_and_follow_the_model(
    typed: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Procurement")
    blank = client.get("/assets/assets/add/")
    assert blank.status_code == 200
    html = blank.content.decode()
    assert "Choose a model" in html
    # Fields without a category apply to every model, even before one is chosen.
    assert 'name="attributes.team"' in html and 'name="attributes.ram_gb"' not in html
    # The model select re-renders the block over HTMX: attributes only, no inline script.
    assert 'hx-get="/assets/assets/custom-fields/"' in html and 'hx-target="#custom-fields"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html

    laptop = client.get(
        "/assets/assets/custom-fields/", {"model": typed["latitude"].pk}
    ).content.decode()
    assert 'type="number"' in _field_block(laptop, "attributes.ram_gb")
    assert 'type="date"' in _field_block(laptop, "attributes.bought")
    assert 'type="checkbox"' in _field_block(laptop, "attributes.encrypted")
    assert 'type="url"' in _field_block(laptop, "attributes.portal")
    assert 'placeholder="192.0.2.10"' in _field_block(laptop, "attributes.ip")
    assert 'placeholder="00:1a:2b:3c:4d:5e"' in _field_block(laptop, "attributes.mac")
    weight = _field_block(laptop, "attributes.weight_kg")
    assert 'step="any"' in weight and 'min="0"' in weight and 'max="12.5"' in weight
    os_block = _field_block(laptop, "attributes.os")
    assert "<select" in os_block and '<option value="Linux">' in os_block
    assert 'text-danger">*' in os_block  # required
    assert "Laptops" in laptop

    monitor = client.get(
        "/assets/assets/custom-fields/",
        {"model": typed["u27"].pk, "attributes.team": "Edge", "attributes.ram_gb": "8"},
    ).content.decode()
    assert 'name="attributes.ram_gb"' not in monitor and "Monitors" in monitor
    # A value typed for a field the new category shares is kept.
    assert '<option value="Edge" selected>' in monitor
    # A model the user cannot see (or no such id) shows the all-category fields only.
    assert (
        "Choose a model"
        in client.get("/assets/assets/custom-fields/", {"model": "999999"}).content.decode()
    )


def test_every_bad_value_is_shown_next_to_its_input_and_nothing_is_written(
    typed: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Procurement")
    events = AuditEvent.objects.count()
    response = _post(
        client,
        "/assets/assets/add/",
        typed,
        ram_gb="lots",
        bought="2025-02-30",
        portal="not a url",
        ip="10.0.0.300",
        mac="zz:zz",
        weight_kg="13",
        team="Fringe",
    )
    assert response.status_code == 422
    html = response.content.decode()
    expected = {
        "ram_gb": "not a whole number",
        "bought": "not a date (use YYYY-MM-DD)",
        "portal": "not a URL",
        "ip": "not an IP address",
        "mac": "not a MAC address",
        "weight_kg": "above the maximum 12.5",
        "team": "not one of Core, Edge",
        "os": "required",
    }
    for key, message in expected.items():
        assert message in _field_block(html, f"attributes.{key}"), key
    # Typed values are kept for correction.
    assert 'value="lots"' in _field_block(html, "attributes.ram_gb")
    assert not Asset.objects.exists() and AuditEvent.objects.count() == events


def test_create_and_edit_store_canonical_values_through_the_services(
    typed: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Procurement")
    created = _post(
        client,
        "/assets/assets/add/",
        typed,
        ram_gb="32",
        bought="2025-01-31",
        encrypted="on",
        portal="https://portal.example.com/a",
        ip="10.0.0.1",
        mac="00-1A-2B-3C-4D-5E",
        weight_kg="1.5",
        team="core",
        os="Linux",
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    asset = Asset.objects.get(serial_number="SN-FORM")
    assert asset.attributes == {
        "ram_gb": 32,
        "bought": "2025-01-31",
        "encrypted": True,
        "portal": "https://portal.example.com/a",
        "ip": "10.0.0.1",
        "mac": "00:1a:2b:3c:4d:5e",
        "weight_kg": 1.5,
        "team": "Core",
        "os": "Linux",
    }
    event = AuditEvent.objects.get(object_type="assets.asset", object_id=str(asset.pk))
    assert event.action == "create" and event.source == "ui"

    edit_url = f"/assets/assets/{asset.pk}/edit/"
    page = client.get(edit_url).content.decode()
    assert 'value="32"' in _field_block(page, "attributes.ram_gb")
    assert "checked" in _field_block(page, "attributes.encrypted")
    assert '<option value="Core" selected>' in _field_block(page, "attributes.team")
    # Edit: change one value, clear another, uncheck the box; the rest stays.
    data = {
        "asset_tag": asset.asset_tag,
        "name": "Dev laptop",
        "model": typed["latitude"].pk,
        "serial_number": "SN-FORM",
        "currency": "",
        "attributes.ram_gb": "64",
        "attributes.bought": "2025-01-31",
        "attributes.portal": "",
        "attributes.ip": "10.0.0.1",
        "attributes.mac": "00:1a:2b:3c:4d:5e",
        "attributes.weight_kg": "1.5",
        "attributes.team": "Core",
        "attributes.os": "Windows",
    }
    saved = client.post(edit_url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    asset.refresh_from_db()
    assert asset.attributes["ram_gb"] == 64 and asset.attributes["os"] == "Windows"
    assert "portal" not in asset.attributes and asset.attributes["encrypted"] is False
    update = AuditEvent.objects.get(
        object_type="assets.asset", object_id=str(asset.pk), action="update"
    )
    assert update.changed_fields == ["attributes"], update.after
    bad = client.post(edit_url, {**data, "attributes.ram_gb": "1.5"})
    assert bad.status_code == 422
    assert "not a whole number" in _field_block(bad.content.decode(), "attributes.ram_gb")


def test_form_permissions(
    catalogue: dict[str, Any], browser: Callable[..., Client], make_asset: Callable[..., Asset]
) -> None:
    asset = make_asset()
    viewer = browser("Read-only")
    assert viewer.get("/assets/assets/add/").status_code == 403
    assert viewer.get(f"/assets/assets/{asset.pk}/edit/").status_code == 403
    nobody = browser()
    assert nobody.get("/assets/assets/add/").status_code == 404
    assert nobody.get(f"/assets/assets/{asset.pk}/edit/").status_code == 404
    assert (
        nobody.get(
            "/assets/assets/custom-fields/", {"asset": asset.pk, "model": catalogue["latitude"].pk}
        ).status_code
        == 404
    )
    procurement = browser("Procurement")
    block = procurement.get(
        "/assets/assets/custom-fields/", {"asset": asset.pk, "model": catalogue["latitude"].pk}
    )
    assert block.status_code == 200 and 'name="attributes.ram_gb"' in block.content.decode()
