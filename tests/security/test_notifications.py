"""Findings landing on a team notify its members (head and people with a login) who may see
them, once per matching run, after commit, through the worker's event hook."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.cmdb import services as cmdb
from assetgraph.core.actor import Actor
from assetgraph.events.models import Notification
from assetgraph.events.worker import Worker
from assetgraph.org import services as org
from assetgraph.security import services

from .conftest import FIXTURES
from .test_services import SYSTEM, _import, _sbom

pytestmark = pytest.mark.django_db


def test_findings_for_a_team_notify_its_members_once_per_run(make_user: Any, system: Actor) -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    team = org.create_department(system, {"name": "Payments"})
    outsider_team = org.create_department(system, {"name": "Facilities"})
    member_user, head_user, outsider_user, reader_user = (
        make_user("Security"),
        make_user("Security"),
        make_user("Security"),
        make_user(),  # no role: may not see findings
    )
    member = org.create_person(
        system,
        {"employee_number": "P1", "first_name": "Pia", "last_name": "Payer", "department": team},
    )
    head = org.create_person(
        system, {"employee_number": "P2", "first_name": "Hal", "last_name": "Head"}
    )
    outsider = org.create_person(
        system,
        {
            "employee_number": "P3",
            "first_name": "Oli",
            "last_name": "Out",
            "department": outsider_team,
        },
    )
    reader = org.create_person(
        system,
        {"employee_number": "P4", "first_name": "Rae", "last_name": "Read", "department": team},
    )
    for person, user in [
        (member, member_user),
        (head, head_user),
        (outsider, outsider_user),
        (reader, reader_user),
    ]:
        org.update_person(system, person, {"user": user})
    org.update_department(system, team, {"head": head})
    cmdb.update_ci(system, app, {"owning_team": team})
    summary = services.run_matching(SYSTEM)
    assert summary.created == 2
    Worker().drain()
    for user in (member_user, head_user):
        notes = list(Notification.objects.filter(user=user))
        assert len(notes) == 1, "one per run, not one per finding"
        assert notes[0].kind == "finding"
        assert notes[0].subject.startswith("New security findings for Payments: GHSA-")
        assert notes[0].url == f"/security/findings/?owner_id={team.pk}"
    assert not Notification.objects.filter(user__in=[outsider_user, reader_user]).exists()
    # a later run that finds nothing new tells nobody
    services.run_matching(SYSTEM)
    Worker().drain()
    assert Notification.objects.count() == 2
