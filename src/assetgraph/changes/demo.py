"""Demo story 4: "a planned change conflicts with another in the same window".

Runs after the CMDB demo (``DEMO_APPS``) and writes through the services, so every record has
its audit trail:

* **Storage firmware upgrade on stor-aus1-01** — next Tuesday 20:00-23:00, takes the array
  down; Farm A depends on it, so the VMs on Farm A and the services on them go down;
* **Patch hypervisors hv-a01 and hv-a02** — the same evening 21:00-01:00, takes two Farm A
  hosts down: Farm A tolerates exactly two, so its redundancy is used up — and its window and
  impacted services overlap the storage change: the assessment shows the **conflict**;
* **Replace a PSU in hv-b01** — Thursday, Farm B: no overlap, no conflict (the contrast);
* **Storage controller replacement on stor-aus1-01** — three weeks earlier, *failed*: it
  raises the firmware change's risk (recent failure on the same CI);
* a **blackout window** "Payroll run" (Tuesday 18:00 to Wednesday 06:00, scoped to the
  Payroll service) that both Tuesday changes fall into.

Dates are relative to the day the demo is loaded (next Tuesday), so the story stays "planned";
everything else is deterministic.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from assetgraph.cmdb.models import CI
from assetgraph.org.models import Department

from . import services
from .lifecycle import ChangeTypeChoices

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

TUESDAY = 1  # Monday is 0


def next_tuesday(today: dt.date) -> dt.date:
    """The next Tuesday strictly after ``today`` (a change is planned ahead)."""
    days = (TUESDAY - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=days)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour % 24))) + dt.timedelta(
        days=hour // 24
    )


def load_demo(context: DemoContext) -> None:
    """Seed the change records and the blackout window of story 4 (see module docstring)."""
    actor = context.actor
    names = ["stor-aus1-01", "hv-a01", "hv-a02", "hv-b01", "Payroll"]
    cis = {ci.name: ci for ci in CI.objects.current().filter(name__in=names)}
    missing = [n for n in names if n not in cis]
    if missing:
        raise ValueError(f"demo story 4 needs the CMDB demo estate; missing {missing}")
    infra = Department.objects.filter(code="IT-INFR").first() or Department.objects.first()
    people = context.people
    requester, owner = people[0], people[min(1, len(people) - 1)]
    tuesday = next_tuesday(timezone.localdate())
    common = {"requester": requester, "owner": owner, "team": infra}

    failed = services.create_change(
        actor,
        {
            "title": "Storage controller replacement on stor-aus1-01",
            "description": "Replace controller B after repeated path failovers.",
            "change_type": ChangeTypeChoices.NORMAL,
            "planned_start": _at(tuesday - dt.timedelta(days=21), 20),
            "planned_end": _at(tuesday - dt.timedelta(days=21), 22),
            "cis": [{"ci_id": cis["stor-aus1-01"].pk, "takes_down": True}],
            **common,
        },
    )
    for step in ("schedule", "start"):
        services.transition_change(actor, failed, step)
    services.transition_change(
        actor, failed, "fail", reason="Controller B did not come back; rolled back to A only."
    )
    services.create_blackout(
        actor,
        {
            "name": "Payroll run",
            "description": "Monthly payroll run: no changes touching Payroll.",
            "start": _at(tuesday, 18),
            "end": _at(tuesday, 30),
            "scope": [cis["Payroll"].pk],
        },
    )
    firmware = services.create_change(
        actor,
        {
            "title": "Storage firmware upgrade on stor-aus1-01",
            "description": "Vendor firmware 7.4.2 (fixes the controller failover bug).",
            "change_type": ChangeTypeChoices.NORMAL,
            "planned_start": _at(tuesday, 20),
            "planned_end": _at(tuesday, 23),
            "cis": [{"ci_id": cis["stor-aus1-01"].pk, "takes_down": True}],
            **common,
        },
    )
    services.transition_change(actor, firmware, "schedule")
    patching = services.create_change(
        actor,
        {
            "title": "Patch hypervisors hv-a01 and hv-a02",
            "description": "ESXi 8.0.3 security patches on two Farm A hosts.",
            "change_type": ChangeTypeChoices.STANDARD,
            "planned_start": _at(tuesday, 21),
            "planned_end": _at(tuesday, 25),
            "cis": [
                {"ci_id": cis["hv-a01"].pk, "takes_down": True},
                {"ci_id": cis["hv-a02"].pk, "takes_down": True},
            ],
            **common,
        },
    )
    services.transition_change(actor, patching, "schedule")
    services.create_change(
        actor,
        {
            "title": "Replace a power supply in hv-b01",
            "description": "PSU 2 reports a fan fault.",
            "change_type": ChangeTypeChoices.STANDARD,
            "planned_start": _at(tuesday + dt.timedelta(days=2), 10),
            "planned_end": _at(tuesday + dt.timedelta(days=2), 11),
            "cis": [{"ci_id": cis["hv-b01"].pk, "takes_down": True}],
            **common,
        },
    )
