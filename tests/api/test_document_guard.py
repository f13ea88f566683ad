"""The server enforces its published document: input the document calls invalid is a 422.

These are the cases schemathesis found accepted (pydantic's lax reading of ``0`` as false, of
a number as a timestamp, of a numeric string as a date, of a 64-bit overflow as "no match").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from assetgraph.audit.models import AuditEvent
from assetgraph.org.models import CostCentre

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_number_is_not_a_boolean_and_nothing_is_written(api: Any) -> None:
    client = api("Admin")
    events = AuditEvent.objects.count()
    response = _post(client, "/api/org/cost-centres/", {"code": "X1", "name": "X", "active": 0})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {"active": ["must be of type boolean"]}
    assert not CostCentre.objects.filter(code="X1").exists()
    assert AuditEvent.objects.count() == events
    ok = _post(client, "/api/org/cost-centres/", {"code": "X1", "name": "X", "active": False})
    assert ok.status_code == 201, ok.content


def test_a_number_is_not_a_timestamp_in_a_body(api: Any) -> None:
    response = _post(
        api("Admin"),
        "/api/impact/changes/blackouts/",
        {"name": "Freeze", "start": 0, "end": "2030-01-02T00:00:00Z"},
    )
    assert response.status_code == 422
    assert "start" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/assets/assets/?warranty_before=0", "warranty_before"),
        ("/api/audit/events?until=0.5", "until"),
        ("/api/impact/changes/?starts_before=0.5", "starts_before"),
        ("/api/org/locations/?within=9223372036854775808", "within"),
    ],
)
def test_query_values_the_document_refuses_are_422s(api: Any, url: str, field: str) -> None:
    response = api("Admin").get(url)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/assets/assets/?warranty_before=2026-01-31",
        "/api/audit/events?until=2026-01-31T12:00:00Z",
        "/api/audit/events?until=2026-01-31T12:00:00%2B01:00",
        "/api/org/locations/?within=1",
        "/api/org/cost-centres/?active=true",
    ],
)
def test_values_the_document_allows_pass(api: Any, url: str) -> None:
    assert api("Admin").get(url).status_code == 200


def test_authentication_is_answered_before_the_document_check() -> None:
    response = _post(Client(), "/api/org/cost-centres/", {"code": "X1", "active": 0})
    assert response.status_code == 401
