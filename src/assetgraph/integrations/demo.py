"""Demo directory sync: the demo company's people as a directory would list them, synced
twice. The first run links everyone (and clears managers who have left, as a directory
would); in the second, one employee who holds a laptop and a licence seat has left the
directory, so the sync deactivates them and opens their offboarding (return list and reclaim
list). Deterministic: the leaver is the first current employee, by employee number, with an
asset, a seat, no reports and no demo login."""

from __future__ import annotations

from typing import Any

from assetgraph.licences.models import Allocation
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Person

from .directory import DirectoryRecord
from .services import sync_directory


def _record(person: Person) -> DirectoryRecord:
    manager = person.manager
    if manager is not None and manager.status == PersonStatusChoices.LEFT:
        manager = None  # a leaver is not in the directory: the report's manager is empty
    return DirectoryRecord(
        dn=f"uid={person.employee_number.lower()},ou=people,dc=example,dc=com",
        employee_number=person.employee_number,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        job_title=person.job_title,
        phone=person.phone,
        department=person.department.name if person.department is not None else "",
        manager_dn=(
            f"uid={manager.employee_number.lower()},ou=people,dc=example,dc=com"
            if manager is not None
            else ""
        ),
    )


def load_demo(context: Any) -> None:
    """Seed two sync runs and one open offboarding (``context``: the DemoContext)."""
    people = list(
        Person.objects.exclude(status=PersonStatusChoices.LEFT)
        .select_related("department", "manager")
        .order_by("employee_number")
    )
    records = [_record(p) for p in people]
    sync_directory(context.actor, records=records, trigger="demo")
    seated = set(
        Allocation.objects.filter(reclaimed_at__isnull=True, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    leaver = next(
        (
            p
            for p in people
            if p.pk in seated
            and p.user_id is None  # never a demo login: each must still sign in
            and p.assets.exists()
            and not p.reports.exists()
        ),
        None,
    )
    if leaver is None:
        return
    sync_directory(
        context.actor,
        records=[r for r in records if r.employee_number != leaver.employee_number],
        trigger="demo",
    )
