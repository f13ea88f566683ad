"""The security app's background work (found by the events app by name): a nightly matching
run (risk acceptances past their expiry reopen, findings refresh their exposure), a matching
run of the CIs a discovery run changed (queued by discovery's after-run hook, so a new
package version is matched the same minute, not the next night) and the nightly evaluation
of every enabled policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assetgraph.core.actor import Actor
from assetgraph.discovery.hooks import after_run
from assetgraph.discovery.models import DiscoveryRun
from assetgraph.events.queue import enqueue, task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from . import policies, services

# Above this many changed CIs a discovery run re-matches everything (one job, no huge list).
REMATCH_ALL_ABOVE = 10_000


@task("security.match")
def match(ci_ids: list[int] | None = None) -> dict[str, Any]:
    """Match against the advisories now: everything, or only these CIs (incremental)."""
    return services.run_matching(Actor.system("security schedule"), ci_ids=ci_ids).as_dict()


@after_run
def rematch_after_discovery(run: DiscoveryRun, ci_ids: list[int]) -> None:
    """Queue a matching run of the CIs a discovery run created or changed."""
    enqueue("security.match", {"ci_ids": ci_ids if len(ci_ids) <= REMATCH_ALL_ABOVE else None})


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
