"""Change records and blackout windows through the permission harness (API and UI)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.changes import services
from assetgraph.core.actor import Actor

from ..harness import PermissionHarness

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)


class TestChangeRecordPermissions(PermissionHarness):
    object_type = "changes.changerecord"
    path = "/api/impact/changes/"
    update_payload = {"description": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_change(
            Actor.system(),
            {
                "title": "Harness change",
                "planned_start": START,
                "planned_end": START + dt.timedelta(hours=2),
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "title": "New change",
            "planned_start": START.isoformat(),
            "planned_end": (START + dt.timedelta(hours=1)).isoformat(),
        }


class TestBlackoutWindowPermissions(PermissionHarness):
    object_type = "changes.blackoutwindow"
    path = "/api/impact/changes/blackouts/"
    update_payload = {"description": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_blackout(
            Actor.system(),
            {"name": "Harness freeze", "start": START, "end": START + dt.timedelta(days=1)},
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "Quarter close",
            "start": START.isoformat(),
            "end": (START + dt.timedelta(days=2)).isoformat(),
        }
