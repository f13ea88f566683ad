"""Every capped list says it is capped (issue 17): "Showing N of M", the full list, an export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import views


@pytest.fixture
def expiring(make_asset: Callable[..., Any]) -> list[Any]:
    soon = dt.date.today() + dt.timedelta(days=10)
    return [make_asset(warranty_end=soon + dt.timedelta(days=i)) for i in range(3)]


def test_alert_sections_say_showing_n_of_m_with_full_list_and_export(
    browser: Callable[..., Client], expiring: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "ALERT_CAP", 2)
    client = browser("Helpdesk")
    html = client.get("/assets/alerts/").content.decode()
    note = html.split('id="warranty-expiring-capped"')[1].split("</p>")[0]
    assert "Showing 2 of 3" in note
    assert "only=warranty-expiring" in note and "format=csv" in note
    assert 'id="overdue-returns-capped"' not in html  # not capped: no note
    # the full list pages through the whole section
    full = client.get("/assets/alerts/", {"only": "warranty-expiring"}).content.decode()
    assert "1\N{EN DASH}2 of 3" in full and 'id="warranty-expiring-next"' in full
    assert 'id="overdue-returns"' not in full
    rest = client.get("/assets/alerts/", {"only": "warranty-expiring", "offset": 2})
    assert expiring[2].asset_tag in rest.content.decode()
    assert expiring[0].asset_tag not in rest.content.decode()
    # the export has every row, not the cap
    export = client.get("/assets/alerts/", {"only": "warranty-expiring", "format": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    body = export.content.decode()
    assert all(a.asset_tag in body for a in expiring)
    assert client.get("/assets/alerts/", {"only": "nope"}).status_code == 422
    bad = client.get("/assets/alerts/", {"only": "warranty-expiring", "format": "pdf"})
    assert bad.status_code == 422


def test_capped_note_counts_only_visible_assets(
    browser: Callable[..., Client], expiring: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "ALERT_CAP", 2)
    one = browser(permissions=[(["assets.asset"], ["view"], {"id": expiring[0].pk})])
    html = one.get("/assets/alerts/").content.decode()
    assert 'id="warranty-expiring-capped"' not in html and expiring[1].asset_tag not in html
