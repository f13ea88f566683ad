"""The impact page: infrastructure listed by default with end-user devices collapsed into
counts (and a link to list them), the "showing a-b" counter, and the results export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from assetgraph.cmdb import services
from assetgraph.core.actor import Actor
from assetgraph.impact.catalogue import clear_catalogue
from assetgraph.impact.estate import clear_cache

from .test_semantics import _laptop, rtype

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    clear_cache()
    clear_catalogue()
    yield
    clear_cache()
    clear_catalogue()


@pytest.fixture
def with_laptop(estate: dict[str, Any], system: Actor) -> dict[str, Any]:
    laptop = _laptop(system, estate["site"]["minh"], "lt-minh", estate["site"]["room"])
    services.add_relationship(
        system, {"source": laptop, "target": estate["service"], "type": rtype("uses")}
    )
    return {**estate, "laptop": laptop}


def test_devices_are_collapsed_by_default_and_listed_on_request(
    with_laptop: dict[str, Any], browser: Any
) -> None:
    client = browser("Admin")
    page = client.get("/impact/analyse/", {"ci": "fin-vm-01"})
    html = page.content.decode()
    details = [i.ci.name for i in page.context["report"].details]
    assert "lt-minh" not in details and "Finance application" in details
    assert 'id="impact-devices-note"' in html and "1 device of 1 person" in html
    assert page.context["shown_from"] == 1
    assert page.context["shown_to"] == len(details)
    assert f"showing 1\u2013{len(details)}" in html

    devices = client.get("/impact/analyse/", {"ci": "fin-vm-01", "state": "devices"})
    assert [i.ci.name for i in devices.context["report"].details] == ["lt-minh"]
    everything = client.get("/impact/analyse/", {"ci": "fin-vm-01", "state": ""})
    assert len(everything.context["report"].details) == len(details) + 1


def test_an_empty_page_shows_no_range(with_laptop: dict[str, Any], browser: Any) -> None:
    page = browser("Admin").get("/impact/analyse/", {"ci": "fin-vm-01", "offset": 400})
    html = page.content.decode()
    assert page.context["report"].details == []
    assert "showing" not in html.split('id="impact-details-count"')[1][:80]
    assert "1\u20130" not in html


def test_results_export_csv_xlsx_json(with_laptop: dict[str, Any], browser: Any) -> None:
    client = browser("Admin")
    page = client.get("/impact/analyse/", {"ci": "fin-vm-01"})
    names = sorted(i.ci.name for i in page.context["report"].details)

    response = client.get("/impact/analyse/export/", {"ci": "fin-vm-01", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="impact-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["CI"] for r in rows) == names
    assert all(r["Why (one chain from a failed CI)"].startswith("fin-vm-01") for r in rows)

    body = client.get(
        "/impact/analyse/export/", {"ci": "fin-vm-01", "format": "json", "state": "devices"}
    ).json()
    assert body["count"] == 1 and body["truncated"] is False
    assert [r["ci"] for r in body["results"]] == ["lt-minh"]

    xlsx = client.get("/impact/analyse/export/", {"ci": "fin-vm-01", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (
        client.get("/impact/analyse/export/", {"ci": "fin-vm-01", "format": "pdf"}).status_code
        == 422
    )
    assert client.get("/impact/analyse/export/", {"ci": "nope"}).status_code == 404
    assert browser().get("/impact/analyse/export/", {"ci": "fin-vm-01"}).status_code == 403


def test_api_detail_filter_infrastructure_and_devices(
    with_laptop: dict[str, Any], api: Any
) -> None:
    client = api("Admin")
    infra = client.get("/api/impact/", {"ci": "fin-vm-01", "state": "infrastructure"}).json()
    devices = client.get("/api/impact/", {"ci": "fin-vm-01", "state": "devices"}).json()
    assert "lt-minh" not in [d["ci"]["display"] for d in infra["details"]["results"]]
    assert [d["ci"]["display"] for d in devices["details"]["results"]] == ["lt-minh"]
