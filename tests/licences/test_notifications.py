"""The daily licence alerts tell the licence managers (Compliance, Procurement) of a shortfall
and of a licence about to end, once per figure and end date, from the position they may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.events.models import Notification
from assetgraph.licences import services
from assetgraph.licences.operations import daily_alerts

from .conftest import Lic
from .test_api import shop

__all__ = ["shop"]

pytestmark = pytest.mark.django_db


def test_shortfalls_and_ending_licences_notify_the_licence_managers(
    shop: dict[str, Any], lic: Lic, make_user: Any
) -> None:
    compliance, helpdesk = make_user("Compliance"), make_user("Helpdesk")
    services.update_entitlement(
        lic.actor,
        shop["seats"],
        {
            "term": "subscription",
            "start_date": timezone.localdate() - dt.timedelta(days=300),
            "end_date": timezone.localdate() + dt.timedelta(days=20),
        },
    )
    assert daily_alerts.call() == {"licence_shortfall": 1, "expiring": 1}
    told = {n.kind: n for n in Notification.objects.filter(user=compliance).order_by("pk")}
    assert set(told) == {"licence_shortfall", "expiring"}
    assert (
        told["licence_shortfall"].subject
        == "Word (device, Whole organisation) is short of 1 licence(s)"
    )
    assert told["licence_shortfall"].url == f"/licences/products/{shop['word'].pk}/position/"
    assert told["expiring"].subject.startswith(f"The licence {shop['seats'].name} ends on ")
    assert not Notification.objects.filter(user=helpdesk).exists()  # reads, does not manage
    # the next day: nothing new, nobody told again
    assert daily_alerts.call() == {"licence_shortfall": 0, "expiring": 0}
    # the shortfall grows: that is news
    lic.install(lic.device("pc-9"), "Word")
    assert daily_alerts.call()["licence_shortfall"] == 1
    latest = (
        Notification.objects.filter(user=compliance, kind="licence_shortfall").order_by("pk").last()
    )
    assert (
        latest is not None
        and latest.subject == "Word (device, Whole organisation) is short of 2 licence(s)"
    )
