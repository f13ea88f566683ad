"""Demo operations data: the built-in schedules, one disabled webhook with its rule (it never
sends: disabled, and its host is a documentation address), a documentation network on the
allow list, and one finished job, so every operations page and endpoint has something to
show."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from assetgraph.accounts import services as account_services

from . import services
from .models import Job, JobState
from .schedules import sync_schedules

# A valid Standard Webhooks secret (base64 of the 32 bytes "demo-only-secret-not-production!"):
# public, so never for a real receiver; the demo webhook is disabled anyway.
DEMO_SECRET = "whsec_ZGVtby1vbmx5LXNlY3JldC1ub3QtcHJvZHVjdGlvbiE="  # noqa: S105 - public demo


def load_demo(context: Any) -> None:
    """Seed the operations demo (``context`` is the demo generator's DemoContext)."""
    actor = context.actor
    sync_schedules()
    owner = get_user_model()._default_manager.filter(is_superuser=True).order_by("pk").first()
    if owner is None:
        owner = account_services.create_user(
            actor, username="webhooks", password=None, roles=["Admin"]
        )
    hook = services.create_webhook(
        actor,
        {
            "name": "Service desk (demo, disabled)",
            "url": "https://hooks.example.com/assetgraph",
            "secret": DEMO_SECRET,
            "enabled": False,
            "owner": owner,
        },
    )
    services.create_rule(
        actor,
        {
            "name": "Asset check-outs",
            "object_type": "assets.asset",
            "actions": ["checkout", "checkin"],
            "webhook": hook,
        },
    )
    services.create_allowed_network(
        actor, {"cidr": "192.0.2.0/24", "note": "documentation range (demo)"}
    )
    now = timezone.now()
    Job.objects.create(
        task="events.cleanup",
        state=JobState.SUCCEEDED,
        attempts=1,
        run_after=now,
        started=now,
        finished=now,
        result={"jobs": 0, "deliveries": 0, "notifications": 0},
    )
