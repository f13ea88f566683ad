"""The security app's background work (found by the events app by name): a nightly matching
run (risk acceptances past their expiry reopen, findings refresh their exposure) and the
nightly evaluation of every enabled policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assetgraph.core.actor import Actor
from assetgraph.events.queue import task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from . import policies, services


@task("security.match")
def match() -> dict[str, Any]:
    """Match everything against the advisories now."""
    return services.run_matching(Actor.system("security schedule")).as_dict()


@task("security.evaluate_policies")
def evaluate_policies() -> dict[str, Any]:
    """Evaluate every enabled policy (trigger ``schedule``)."""
    runs = policies.evaluate_all(Actor.system("security schedule"), trigger="schedule")
    return {"policies": len(runs), "failed": sum(r.failed for r in runs)}


register_schedule(
    ScheduleSpec(
        "Match software against advisories", "security.match", Every.DAY, at_time=dt.time(1, 30)
    )
)
register_schedule(
    ScheduleSpec(
        "Evaluate security policies", "security.evaluate_policies", Every.DAY, at_time=dt.time(2, 0)
    )
)
