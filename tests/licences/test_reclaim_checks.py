"""A reclaim warns when the seat's device runs the software for business services
(docs/both-layers.md): 409 without a confirmation, through the API and the UI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assetgraph.licences import services
from assetgraph.licences.models import Allocation

from .conftest import Lic

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(lic: Lic) -> dict[str, Any]:
    """A server with a device seat of "Contoso DB", a service that needs the server, and a
    second server with a seat but no service."""
    product = lic.product("Contoso DB")
    server = lic.device("db-01", "Server")
    idle = lic.device("db-02", "Server")
    service = lic.device("Billing", "Business Service", criticality=1)
    lic.relate(service, "depends on", server)
    lic.install(server, "Contoso DB")
    lic.install(idle, "Contoso DB")
    entitlement = lic.ent(product, "device", 5)
    busy = services.allocate_seats(lic.actor, entitlement, {"ci": server.pk})
    spare = services.allocate_seats(lic.actor, entitlement, {"ci": idle.pk})
    return {"busy": busy, "spare": spare, "server": server}


def reclaim(client: Any, ids: list[int], **extra: Any) -> Any:
    return client.post(
        "/api/licences/allocations/reclaim",
        json.dumps({"ids": ids, **extra}),
        content_type="application/json",
    )


def test_the_api_asks_for_a_confirmation_naming_the_service(
    served: dict[str, Any], api: Any
) -> None:
    client = api("Admin")
    refused = reclaim(client, [served["busy"].pk, served["spare"].pk])
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "reclaim_needs_confirmation"
    assert "db-01 runs Contoso DB, and Billing depend on it" in error["message"]
    assert Allocation.objects.filter(reclaimed_at__isnull=True).count() == 2  # nothing reclaimed
    assert reclaim(client, [served["spare"].pk]).status_code == 200  # no service: no question
    done = reclaim(client, [served["busy"].pk], confirm_services=True)
    assert done.status_code == 200
    assert Allocation.objects.filter(reclaimed_at__isnull=True).count() == 0


def test_the_page_shows_the_warning_and_reclaims_on_confirmation(
    served: dict[str, Any], browser: Any
) -> None:
    client = browser("Admin")
    page = client.post("/licences/allocations/reclaim/", {"ids": [served["busy"].pk]})
    assert page.status_code == 409
    assert "Billing depend on it" in page.content.decode()
    assert Allocation.objects.get(pk=served["busy"].pk).reclaimed_at is None
    done = client.post(
        "/licences/allocations/reclaim/", {"ids": [served["busy"].pk], "confirm_services": "1"}
    )
    assert done.status_code == 302
    assert Allocation.objects.get(pk=served["busy"].pk).reclaimed_at is not None
