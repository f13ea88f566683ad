"""Request steps and reorder crossings tell the people concerned, in the app and by e-mail
(a real SMTP server), after commit, through the worker's event hooks (stock/operations.py)."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.core.actor import Actor
from assetgraph.events.models import Notification
from assetgraph.events.worker import Worker
from assetgraph.stock import services
from tests.events.test_notifications import Inbox, inbox

__all__ = ["inbox"]

pytestmark = pytest.mark.django_db


def _told(user: Any) -> list[tuple[str, str]]:
    return [(n.kind, n.subject) for n in Notification.objects.filter(user=user).order_by("pk")]


def test_each_request_step_tells_the_requester_and_the_approvers(
    people: dict[str, Any], inbox: Inbox
) -> None:
    people["minh_user"].email = "minh@example.com"
    people["minh_user"].save()
    ana, minh, helpdesk = people["ana_user"], people["minh_user"], people["helpdesk"]
    request = services.submit_request(Actor(user=ana), people["headset_entry"], reason="calls")
    Worker().drain()
    # the manager approves this entry: he is told, the helpdesk is not (it cannot approve)
    assert _told(minh) == [
        ("request_to_act", f"{request.number} from {people['ana']} awaits your approval")
    ]
    assert _told(helpdesk) == [] and _told(ana) == []  # nobody is told of their own step
    assert [str(m["To"]) for m in inbox.messages] == ["minh@example.com"]
    assert request.number in str(inbox.messages[0]["Subject"])
    note = Notification.objects.get(user=minh)
    assert note.url == f"/stock/requests/{request.pk}/"
    services.transition_request(Actor(user=minh), request, "approve", note="fine")
    Worker().drain()
    assert _told(ana) == [("request_update", f"{request.number} was approved")]
    assert "Note: fine" in Notification.objects.get(user=ana).body
    assert _told(helpdesk) == [
        ("request_to_act", f"{request.number} for {people['ana']} is approved: fulfil it")
    ]
    services.transition_request(Actor(user=helpdesk), request, "fulfil")
    Worker().drain()
    assert _told(ana)[-1] == ("request_update", f"{request.number} was fulfilled")
    assert len(_told(minh)) == 1  # the manager is not told of the hand-over
    # the worker tells each step once however often it passes
    Worker().drain()
    assert Notification.objects.count() == 4


def test_a_helpdesk_approved_request_tells_the_helpdesk_not_the_manager(
    people: dict[str, Any],
) -> None:
    ana, minh, helpdesk = people["ana_user"], people["minh_user"], people["helpdesk"]
    request = services.submit_request(Actor(user=ana), people["monitor_entry"], reason="eyes")
    Worker().drain()
    assert _told(helpdesk) == [
        ("request_to_act", f"{request.number} from {people['ana']} awaits your approval")
    ]
    assert _told(minh) == [] and _told(people["procurement"]) == []
    services.transition_request(Actor(user=ana), request, "cancel")
    Worker().drain()
    assert _told(ana) == []  # she cancelled it herself
    services_rejected = services.submit_request(
        Actor(user=ana), people["monitor_entry"], reason="again"
    )
    services.transition_request(Actor(user=helpdesk), services_rejected, "reject", note="none left")
    Worker().drain()
    assert _told(ana) == [("request_update", f"{services_rejected.number} was rejected")]


def test_falling_below_the_minimum_tells_procurement_once_per_crossing(
    people: dict[str, Any], system: Actor
) -> None:
    procurement, helpdesk = people["procurement"], people["helpdesk"]
    headset, london = people["headset"], people["store_loc"]
    # London holds 6 headsets, minimum 5: issuing one keeps it at the minimum
    services.issue_stock(system, headset, 1, from_location=london, to_person=people["ana"])
    Worker().drain()
    assert _told(procurement) == []
    # the next one crosses: 4 < 5
    services.issue_stock(system, headset, 1, from_location=london, to_person=people["ben"])
    Worker().drain()
    assert _told(procurement) == [
        ("reorder", f"{headset} at {london}: 4 left, minimum 5"),
    ]
    assert Notification.objects.get(user=procurement).url == "/stock/alerts/"
    assert _told(helpdesk) == []  # the helpdesk issues stock but does not restock
    # already below: a further issue is not a new crossing
    services.issue_stock(system, headset, 1, from_location=london, to_person=people["ben"])
    Worker().drain()
    assert len(_told(procurement)) == 1
    # restocked above the minimum, then below again: told again
    services.receive_stock(system, headset, london, 10)
    services.write_off_stock(system, headset, 9, from_location=london, note="water damage")
    Worker().drain()
    assert [k for k, _ in _told(procurement)] == ["reorder", "reorder"]


def test_linking_a_login_to_a_person_gives_it_the_self_service_role(
    people: dict[str, Any], make_user: Any, system: Actor
) -> None:
    from assetgraph.audit.models import AuditEvent
    from assetgraph.org import services as org

    newcomer = make_user("Helpdesk")
    org.update_person(system, people["ben"], {"user": newcomer})
    Worker().drain()
    assert sorted(newcomer.roles.values_list("name", flat=True)) == ["Helpdesk", "Self-service"]
    event = (
        AuditEvent.objects.filter(object_type="accounts.user", action="set_roles")
        .order_by("pk")
        .last()
    )
    assert event is not None and event.object_id == str(newcomer.pk)
    # removed by an administrator: it stays removed until the login is linked anew
    from assetgraph.accounts.services import set_user_roles

    set_user_roles(system, newcomer, ["Helpdesk"])
    org.update_person(system, people["ben"], {"first_name": "Benjamin"})
    Worker().drain()
    assert list(newcomer.roles.values_list("name", flat=True)) == ["Helpdesk"]
