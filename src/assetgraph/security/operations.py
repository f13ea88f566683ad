"""The security app's background work (found by the events app by name): a nightly matching
run (risk acceptances past their expiry reopen, findings refresh their exposure), a matching
run of the CIs a discovery run changed (queued by discovery's after-run hook, so a new
package version is matched the same minute, not the next night), the nightly evaluation of
every enabled policy, and the notification of a team when findings land on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.discovery.hooks import after_run
from assetgraph.discovery.models import DiscoveryRun
from assetgraph.events.delivery import register_event_hook
from assetgraph.events.notifications import notify
from assetgraph.events.queue import enqueue, task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule
from assetgraph.org.models import Department, Person

from . import policies, reads, services
from .models import Finding

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


def team_users(team_id: int) -> list[Any]:
    """The active logins of a team: its head and the people in it."""
    team = Department.objects.filter(pk=team_id).first()
    if team is None:
        return []
    people = Person.objects.filter(department_id=team_id, user__isnull=False)
    users = {p.user for p in people.select_related("user")}
    if team.head_id is not None and team.head and team.head.user_id:
        users.add(team.head.user)
    return sorted((u for u in users if u is not None and u.is_active), key=lambda u: u.pk)


def notify_finding_owner(event: AuditEvent) -> None:
    """A finding created for a team, or handed to one, tells the team's members who may see
    it. One notification per member and matching run (the run's events share a request id):
    a run that finds fifty issues is one line under the bell, naming the first, not fifty."""
    if event.object_type != services.FINDING_TYPE:
        return
    after = event.after or {}
    handed_over = event.action == "update" and "owner" in (event.changed_fields or [])
    if not (event.action == "create" or handed_over) or not after.get("owner"):
        return
    finding = Finding.objects.select_related("advisory", "ci", "owner").filter(pk=event.object_id)
    first = finding.first()
    if first is None or first.owner_id is None:
        return
    url = reverse("ui:security:finding_list") + f"?owner_id={first.owner_id}"
    for user in team_users(first.owner_id):
        if not reads.visible_findings(user).filter(pk=first.pk).exists():
            continue
        notify(
            user,
            "finding",
            f"New security findings for {first.owner}: {first.advisory.identifier} on "
            f"{first.ci} and possibly more",
            f"{first.advisory.identifier} ({first.get_severity_display()}, priority "
            f"{first.priority}) affects {first.package or first.package_key} on {first.ci}.",
            url,
            source_event=event.pk,
            key=f"findings:{first.owner_id}:{event.request_id or event.pk}",
        )


register_event_hook(notify_finding_owner)
