"""The changes app's notifications, registered with the events app (which imports this module
by name at start-up and never imports changes).

When a change is scheduled (or started without being scheduled: an emergency), the owners of
the business services it takes down or degrades are told: the service's ``service_owner``
(a person, the attribute impact reports read), or, without one, the head of its owning team.
Once per change and service, however often it is rescheduled; only owners who may see the
change, and each notification names the service and its state.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from assetgraph.accounts.permissions import restrict
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI
from assetgraph.events.delivery import register_event_hook
from assetgraph.events.notifications import notify
from assetgraph.org.models import Person

from .assessment import assess_change
from .models import ChangeRecord

NOTIFYING_TRANSITIONS = {"transition:schedule", "transition:start"}


def service_owner(service: CI) -> Person | None:
    """The person who owns a business service: its ``service_owner`` attribute (a person's
    id), else the head of its owning team."""
    raw = (service.attributes or {}).get("service_owner")
    if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()):
        person = Person.objects.select_related("user").filter(pk=int(raw)).first()
        if person is not None:
            return person
    if service.owning_team_id is not None and service.owning_team is not None:
        return service.owning_team.head
    return None


def notify_service_owners(event: AuditEvent) -> None:
    """Tell the owners of the services a scheduled (or started) change affects."""
    if event.object_type != "changes.changerecord" or event.action not in NOTIFYING_TRANSITIONS:
        return
    change = ChangeRecord.objects.filter(pk=event.object_id).first()
    if change is None:
        return
    assessment = assess_change(change)
    url = reverse("ui:changes:changerecord_detail", args=[change.pk])
    window = (
        f"{change.planned_start:%Y-%m-%d %H:%M} to {change.planned_end:%Y-%m-%d %H:%M} UTC"
        if change.planned_start and change.planned_end
        else "an unplanned window"
    )
    # the services as model instances: their owner is an attribute or the owning team's head
    # (the assessment lists them as rows)
    services = CI.objects.select_related("owning_team").in_bulk(
        [hit.ci.pk for hit in assessment.services]
    )
    for hit in assessment.services:
        service = services.get(hit.ci.pk)
        owner: Any = service_owner(service) if service is not None else None
        user = getattr(owner, "user", None) if owner is not None else None
        if user is None or not restrict(ChangeRecord.objects.filter(pk=change.pk), user).exists():
            continue
        notify(
            user,
            "change_affects_service",
            f"{change.number} {change.title} takes {hit.ci.name} {hit.state}",
            f"{change} ({change.get_state_display()}, {window}) leaves your service "
            f"{hit.ci.name} {hit.state}.",
            url,
            source_event=event.pk,
            key=f"change:{change.pk}:{hit.ci.pk}",
        )


register_event_hook(notify_service_owners)
