"""A scheduled change tells the owners of the services it affects (the service's
``service_owner``, else its owning team's head), once per change and service, after commit."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.changes import services
from assetgraph.cmdb import services as cmdb
from assetgraph.core.actor import Actor
from assetgraph.events.models import Notification
from assetgraph.events.worker import Worker
from assetgraph.org import services as org

from .test_changes import new_change

pytestmark = pytest.mark.django_db


def _told(user: Any) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("subject", flat=True)
    )


def test_scheduling_a_change_tells_the_owners_of_affected_services(
    estate: dict[str, Any], make_user: Any, system: Actor
) -> None:
    site = estate["site"]
    head_user, owner_user, blind_user = make_user("Read-only"), make_user("Helpdesk"), make_user()
    org.update_person(system, site["minh"], {"user": head_user})
    org.update_person(system, site["ben"], {"user": owner_user})
    org.update_department(system, site["finance"], {"head": site["minh"]})
    # Finance (owning team: finance, headed by Minh) depends on the app, which needs fin-db
    first = new_change(system, "Upgrade fin-db", [estate["db"]])
    Worker().drain()
    assert _told(head_user) == []  # a draft tells nobody
    services.transition_change(system, first, "schedule")
    Worker().drain()
    assert _told(head_user) == [f"{first.number} Upgrade fin-db takes Finance down"]
    note = Notification.objects.get(user=head_user)
    assert note.kind == "change_affects_service" and note.url == f"/changes/{first.pk}/"
    # rescheduled: not told twice
    services.transition_change(system, first, "unschedule")
    services.transition_change(system, first, "schedule")
    Worker().drain()
    assert len(_told(head_user)) == 1
    # a named service owner is told instead of the team's head
    cmdb.update_ci(system, estate["service"], {"attributes": {"service_owner": site["ben"].pk}})
    second = new_change(system, "Patch fin-db", [estate["db"]])
    services.transition_change(system, second, "schedule")
    Worker().drain()
    assert _told(owner_user) == [f"{second.number} Patch fin-db takes Finance down"]
    assert len(_told(head_user)) == 1
    # an owner who may not see changes is not told
    org.update_person(system, site["ben"], {"user": blind_user})
    third = new_change(system, "Reboot fin-db", [estate["db"]])
    services.transition_change(system, third, "schedule")
    Worker().drain()
    assert _told(blind_user) == []
