"""The operations types under the permission harnesses: generic CRUD for webhooks, rules and
allow-listed networks; the hand-built surfaces of jobs, schedules and deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from assetgraph.accounts import services as account_services
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.events import services
from assetgraph.events.models import Delivery, EventRule, Job, Schedule, Webhook
from tests.harness import PermissionHarness
from tests.test_permission_coverage import ReadSurfaceHarness


def _webhook(name: str = "Harness hook") -> Webhook:
    owner = account_services.create_user(
        Actor.system(), username=f"owner-{name.replace(' ', '-')}", password=None
    )
    return services.create_webhook(
        Actor.system(), {"name": name, "url": "https://hooks.example.com/h", "owner": owner}
    )


class TestWebhookPermissions(PermissionHarness):
    object_type = "events.webhook"
    path = "/api/events/webhooks/"
    update_payload = {"name": "Renamed hook"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return _webhook()

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "New hook",
            "url": "https://hooks.example.com/new",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        }


class TestEventRulePermissions(PermissionHarness):
    object_type = "events.eventrule"
    path = "/api/events/rules/"
    update_payload = {"name": "Renamed rule"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_rule(
            Actor.system(),
            {"name": "Harness rule", "object_type": "org.person", "webhook": _webhook("Rule hook")},
        )

    def counts(self) -> tuple[int, int]:
        # the payload may first make the webhook a rule needs: count only rules and their events
        return EventRule.objects.count(), AuditEvent.objects.filter(
            object_type=self.object_type
        ).count()

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        hook = Webhook.objects.first() or _webhook("Payload hook")
        return {"name": "New rule", "object_type": "org.person", "webhook_id": hook.pk}


class TestAllowedNetworkPermissions(PermissionHarness):
    object_type = "events.allowednetwork"
    path = "/api/events/networks/"
    update_payload = {"note": "lab receivers"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_allowed_network(Actor.system(), {"cidr": "10.9.0.0/16"})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"cidr": "192.168.50.0/24", "note": "office"}


class TestJobVisibility(ReadSurfaceHarness):
    object_type = "events.job"

    def make_object(self, site: dict[str, Any]) -> Any:
        return Job.objects.create(
            task="events.cleanup", state="failed", error="x", run_after=timezone.now()
        )

    def list_url(self, obj: Any) -> str:
        return "/api/events/jobs"

    def detail_url(self, obj: Any) -> str:
        return f"/api/events/jobs/{obj.pk}"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(f"/api/events/jobs/{obj.pk}/retry")


class TestScheduleVisibility(ReadSurfaceHarness):
    object_type = "events.schedule"

    def make_object(self, site: dict[str, Any]) -> Any:
        return Schedule.objects.create(
            name="Harness schedule", task="events.cleanup", at_time=dt.time(4)
        )

    def list_url(self, obj: Any) -> str:
        return "/api/events/schedules"

    def write(self, client: Client, obj: Any) -> Any:
        return client.patch(
            f"/api/events/schedules/{obj.pk}", '{"enabled": false}', content_type="application/json"
        )


class TestDeliveryVisibility(ReadSurfaceHarness):
    object_type = "events.delivery"

    def make_object(self, site: dict[str, Any]) -> Any:
        return Delivery.objects.create(
            webhook=_webhook("Delivery hook"), event_id=1, body="{}", next_attempt=timezone.now()
        )

    def list_url(self, obj: Any) -> str:
        return "/api/events/deliveries"
