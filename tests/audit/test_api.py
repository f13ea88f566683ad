"""``/api/audit/events`` and ``/api/audit/revision``."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_events_filter_by_object_action_and_paginate(
    site: dict[str, Any], api: Any, system: Any
) -> None:
    from assetgraph.org.services import update_person

    update_person(system, site["ana"], {"job_title": "Engineer"})
    client = api("Compliance")
    rows = client.get(
        "/api/audit/events", {"object_type": "org.person", "object_id": site["ana"].pk}
    ).json()["results"]
    assert [r["action"] for r in rows] == ["update", "create"]
    assert rows[0]["changed_fields"] == ["job_title"]
    page = client.get("/api/audit/events", {"object_type": "org.person", "limit": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(
        "/api/audit/events", {"object_type": "org.person", "limit": 2, "cursor": page["next"]}
    ).json()
    assert not {r["id"] for r in rest["results"]} & {r["id"] for r in page["results"]}
    assert client.get("/api/audit/events", {"source": "api"}).json()["results"] == []
    assert (
        client.get("/api/audit/events", {"since": "2999-01-01T00:00:00Z"}).json()["results"] == []
    )


def test_events_need_the_audit_view_permission(site: dict[str, Any], api: Any) -> None:
    assert api("Helpdesk").get("/api/audit/events").status_code == 403
    assert api("Compliance").get("/api/audit/events").status_code == 200


def test_revision_is_the_newest_event_id(site: dict[str, Any], api: Any) -> None:
    from assetgraph.audit.models import AuditEvent

    client = api("Read-only")
    revision = client.get("/api/audit/revision").json()["revision"]
    assert revision == AuditEvent.objects.order_by("-id").first().pk  # type: ignore[union-attr]
