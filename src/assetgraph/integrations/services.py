"""Writes of the integrations app: the directory sync (joiners, movers, leavers) and the
offboarding it starts. Every write goes through the owning app's services and is audited.

The sync is computed and applied in one pass inside a transaction; a dry run is the same
pass rolled back, so its diff (and its errors) is exactly what applying would do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assetgraph.accounts import services as account_services
from assetgraph.accounts.permissions import authorize
from assetgraph.assets.models import Asset
from assetgraph.assets.services import offboard_person
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ServiceError
from assetgraph.licences.models import Allocation
from assetgraph.licences.services import reclaim_person_seats
from assetgraph.org import services as org_services
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Department, Person

from .directory import DirectoryRecord, read_directory
from .models import (
    DirectoryAccount,
    DirectorySyncRun,
    Offboarding,
    OffboardingState,
    SyncRunState,
)

# The person fields a sync owns; anything else (location, cost centre, dates) stays local.
SYNCED_FIELDS = ("first_name", "last_name", "email", "job_title", "phone", "department", "manager")


class _RollBack(Exception):
    """Raised to undo a dry run after its diff is computed."""


@dataclass
class SyncOutcome:
    """What a sync did (or would do)."""

    seen: int = 0
    diff: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    unchanged: int = 0

    def count(self, action: str) -> int:
        return sum(1 for row in self.diff if row["action"] == action)


def _depths(records: list[DirectoryRecord]) -> dict[str, int]:
    """How far below the top of the management chain each record sits (managers first)."""
    by_dn = {r.dn.lower(): r for r in records}
    depths: dict[str, int] = {}
    for record in records:
        chain: list[str] = []
        current: DirectoryRecord | None = record
        while current is not None and current.dn.lower() not in depths:
            if current.dn.lower() in chain:  # a cycle: break it here
                break
            chain.append(current.dn.lower())
            current = by_dn.get(current.manager_dn.lower()) if current.manager_dn else None
        base = depths.get(current.dn.lower(), -1) if current is not None else -1
        for offset, dn in enumerate(reversed(chain), start=1):
            depths[dn] = base + offset
    return depths


def _wanted(record: DirectoryRecord) -> dict[str, Any]:
    """The plain person fields an entry sets."""
    return {
        "first_name": record.first_name,
        "last_name": record.last_name or record.employee_number,
        "email": record.email,
        "job_title": record.job_title,
        "phone": record.phone,
    }


def _value(person: Person, name: str) -> Any:
    if name == "department":
        return person.department.name if person.department is not None else ""
    if name == "manager":
        return person.manager.employee_number if person.manager is not None else ""
    return getattr(person, name) or ""


class _Sync:
    """One pass over the directory's records."""

    def __init__(self, actor: Actor, run: DirectorySyncRun) -> None:
        self.actor = actor
        self.run = run
        self.outcome = SyncOutcome()
        self.departments: dict[str, Department] = {}
        self.now = timezone.now()

    def department(self, name: str) -> Department | None:
        if not name:
            return None
        key = name.lower()
        if key not in self.departments:
            found = Department.objects.filter(name__iexact=name).order_by("pk").first()
            if found is None:
                found = org_services.create_department(self.actor, {"name": name})
                self.outcome.diff.append(
                    {"action": "create_department", "name": name, "employee_number": ""}
                )
            self.departments[key] = found
        return self.departments[key]

    def apply(self, records: list[DirectoryRecord]) -> None:
        active, by_number = self._validated(records)
        number_of_dn = {r.dn.lower(): r.employee_number for r in active}
        people = {
            p.employee_number: p
            for p in Person.objects.select_related("department", "manager").filter(
                employee_number__in=list(by_number)
            )
        }
        links = {a.person_id: a for a in DirectoryAccount.objects.all()}
        depths = _depths(active)
        seen: list[int] = []
        for name in sorted({r.department for r in active if r.department}, key=str.lower):
            self.department(name)  # outside the per-person savepoints below
        for record in sorted(
            active, key=lambda r: (depths.get(r.dn.lower(), 0), r.employee_number)
        ):
            manager_number = number_of_dn.get(record.manager_dn.lower(), "")
            existing = people.get(record.employee_number)
            if existing is not None and existing.pk in links:
                manager = people.get(manager_number) if manager_number else None
                if not self._changes(record, existing, manager_number, manager)[0]:
                    self.outcome.unchanged += 1  # no savepoint, no write but last_seen below
                    if links[existing.pk].dn == record.dn:
                        seen.append(links[existing.pk].pk)
                    else:
                        DirectoryAccount.objects.filter(pk=links[existing.pk].pk).update(
                            dn=record.dn, last_seen=self.now
                        )
                    continue
            try:
                with transaction.atomic():
                    person = self._one(
                        record, people.get(record.employee_number), manager_number, people
                    )
            except ServiceError as exc:
                self.outcome.errors.append(
                    {"employee_number": record.employee_number, "dn": record.dn, "error": str(exc)}
                )
                continue
            people[record.employee_number] = person
            link = links.get(person.pk)
            if link is None:  # update_or_create: a concurrent run may have linked them
                links[person.pk], _ = DirectoryAccount.objects.update_or_create(
                    person=person, defaults={"dn": record.dn, "last_seen": self.now}
                )
            else:
                DirectoryAccount.objects.filter(pk=link.pk).update(dn=record.dn, last_seen=self.now)
        for start in range(0, len(seen), 500):
            DirectoryAccount.objects.filter(pk__in=seen[start : start + 500]).update(
                last_seen=self.now
            )
        self._leavers(set(by_number))

    def _validated(
        self, records: list[DirectoryRecord]
    ) -> tuple[list[DirectoryRecord], dict[str, DirectoryRecord]]:
        by_number: dict[str, DirectoryRecord] = {}
        for record in records:
            self.outcome.seen += 1
            if record.disabled:
                continue  # a disabled account is a leaver: absent from the active set
            if not record.employee_number:
                self.outcome.errors.append(
                    {"employee_number": "", "dn": record.dn, "error": "employee_number: missing"}
                )
                continue
            if record.employee_number in by_number:
                self.outcome.errors.append(
                    {
                        "employee_number": record.employee_number,
                        "dn": record.dn,
                        "error": "employee_number: also used by "
                        + by_number[record.employee_number].dn,
                    }
                )
                continue
            by_number[record.employee_number] = record
        return list(by_number.values()), by_number

    def _one(
        self,
        record: DirectoryRecord,
        person: Person | None,
        manager_number: str,
        people: Mapping[str, Person],
    ) -> Person:
        wanted = _wanted(record)
        department = record.department
        manager = people.get(manager_number) if manager_number else None
        name = f"{record.first_name} {record.last_name}".strip()
        if person is None:
            values = {
                **wanted,
                "employee_number": record.employee_number,
                "department": self.department(department),
                "manager": manager,
                "status": PersonStatusChoices.ACTIVE,
            }
            person = org_services.create_person(self.actor, values)
            self.outcome.diff.append(
                {
                    "action": "create",
                    "employee_number": record.employee_number,
                    "name": name,
                    "changes": {
                        k: ["", v]
                        for k, v in {
                            **wanted,
                            "department": department,
                            "manager": manager_number,
                        }.items()
                        if v
                    },
                }
            )
            return person
        changes, shown = self._changes(record, person, manager_number, manager)
        if not changes:
            self.outcome.unchanged += 1
            return person
        person = org_services.update_person(self.actor, person, changes)
        self.outcome.diff.append(
            {
                "action": "update",
                "employee_number": record.employee_number,
                "name": name,
                "changes": shown,
            }
        )
        return person

    def _changes(
        self, record: DirectoryRecord, person: Person, manager_number: str, manager: Any
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """What differs between the person and their entry: values to write, and to show."""
        changes: dict[str, Any] = {}
        shown: dict[str, list[Any]] = {}
        for key, value in _wanted(record).items():
            if (getattr(person, key) or "") != value:
                changes[key] = value
                shown[key] = [getattr(person, key) or "", value]
        department = record.department
        if _value(person, "department").lower() != department.lower():
            changes["department"] = self.department(department)
            shown["department"] = [_value(person, "department"), department]
        if _value(person, "manager") != manager_number:
            changes["manager"] = manager
            shown["manager"] = [_value(person, "manager"), manager_number]
        if person.status == PersonStatusChoices.LEFT:  # rehired
            changes.update(status=PersonStatusChoices.ACTIVE, end_date=None)
            shown["status"] = [person.status, PersonStatusChoices.ACTIVE]
        return changes, shown

    def _leavers(self, present: set[str]) -> None:
        gone = (
            Person.objects.filter(directory_account__isnull=False)
            .exclude(employee_number__in=list(present))
            .exclude(status=PersonStatusChoices.LEFT)
            .select_related("user")
            .order_by("employee_number")
        )
        today = timezone.localdate()
        for person in gone:
            try:
                with transaction.atomic():
                    self._deactivate(person, today)
            except ServiceError as exc:
                self.outcome.errors.append(
                    {"employee_number": person.employee_number, "dn": "", "error": str(exc)}
                )

    def _deactivate(self, person: Person, today: dt.date) -> None:
        offboarding = deactivate_person(self.actor, person, sync_run=self.run, today=today)
        self.outcome.diff.append(
            {
                "action": "deactivate",
                "employee_number": person.employee_number,
                "name": str(person),
                "changes": {"status": [person.status, PersonStatusChoices.LEFT]},
                "offboarding": offboarding.pk,
                "assets_to_return": offboarding.assets_at_start,
                "seats_to_reclaim": offboarding.seats_at_start,
            }
        )


def deactivate_person(
    actor: Actor,
    person: Person,
    *,
    sync_run: DirectorySyncRun | None = None,
    today: dt.date | None = None,
) -> Offboarding:
    """A leaver: status ``left`` from today (never deleted), login deactivated, offboarding
    opened with their return and reclaim lists. Shared by the directory sync and SCIM."""
    today = today or timezone.localdate()
    end = max(today, person.start_date) if person.start_date else today
    with transaction.atomic():
        if person.status != PersonStatusChoices.LEFT:
            org_services.update_person(
                actor, person, {"status": PersonStatusChoices.LEFT, "end_date": end}
            )
        if person.user is not None and person.user.is_active:
            account_services.deactivate_user(actor, person.user)
        return start_offboarding(actor, person, sync_run=sync_run)


def sync_directory(
    actor: Actor,
    *,
    records: Iterable[DirectoryRecord] | None = None,
    dry_run: bool = False,
    trigger: str = "cli",
    config: Mapping[str, Any] | None = None,
) -> DirectorySyncRun:
    """Bring ``org`` people in line with the directory: create joiners, update movers (one
    audit event each, naming the changed fields), deactivate leavers and start their
    offboarding. ``records`` default to reading the configured directory; with ``dry_run``
    nothing is kept but the run and its diff."""
    if not actor.is_system:
        authorize(actor, "run", DirectorySyncRun())
    if records is None:
        records = read_directory(config or settings.ASSETGRAPH_DIRECTORY)
    chosen = list(records)
    run = DirectorySyncRun(
        started=timezone.now(),
        state=SyncRunState.DRY_RUN if dry_run else SyncRunState.APPLIED,
        trigger=trigger,
        user=actor.user,
    )
    sync = _Sync(actor, run)
    try:
        with transaction.atomic():
            run.save()
            sync.apply(chosen)
            if dry_run:
                raise _RollBack
            _finish(run, sync.outcome)
            record_event(actor, "run", run, after=snapshot(run) | {"diff": len(run.diff)})
    except _RollBack:
        run.pk = None
        with transaction.atomic():
            run.save()
            _finish(run, sync.outcome)
            record_event(actor, "dry_run", run, after={"diff": len(run.diff)})
    return run


def _finish(run: DirectorySyncRun, outcome: SyncOutcome) -> None:
    run.finished = timezone.now()
    run.seen = outcome.seen
    run.created_count = outcome.count("create")
    run.updated_count = outcome.count("update")
    run.deactivated_count = outcome.count("deactivate")
    run.unchanged_count = outcome.unchanged
    run.diff = outcome.diff
    run.errors = outcome.errors
    run.save()


# --- offboarding -------------------------------------------------------------------------------


def return_list(person: Person) -> Any:
    """The assets a person still holds: what they must hand back."""
    return Asset.objects.filter(custodian=person).select_related("model").order_by("asset_tag")


def reclaim_list(person: Person) -> Any:
    """The licence seats still allocated to a person: what to take back."""
    return (
        Allocation.objects.filter(person=person, reclaimed_at__isnull=True)
        .select_related("entitlement")
        .order_by("pk")
    )


def start_offboarding(
    actor: Actor, person: Person, *, sync_run: DirectorySyncRun | None = None
) -> Offboarding:
    """Open a leaver's offboarding (or return the open one): their return and reclaim lists."""
    with transaction.atomic():
        existing = Offboarding.objects.filter(person=person, state=OffboardingState.OPEN).first()
        if existing is not None:
            return existing
        offboarding = Offboarding(
            person=person,
            started=timezone.now(),
            sync_run=sync_run if sync_run is not None and sync_run.pk else None,
            assets_at_start=return_list(person).count(),
            seats_at_start=reclaim_list(person).count(),
        )
        authorize(actor, "add", offboarding)
        offboarding.save()
        record_event(actor, "create", offboarding, after=snapshot(offboarding))
        return offboarding


def complete_returns(actor: Actor, offboarding: Offboarding) -> list[Asset]:
    """Check in everything on the return list (the assets service audits each check-in)."""
    _open(offboarding)
    with transaction.atomic():
        done = offboard_person(actor, offboarding.person)
        _close_if_done(actor, offboarding)
        return done


def reclaim_seats(actor: Actor, offboarding: Offboarding) -> list[Allocation]:
    """Reclaim every seat on the reclaim list (the licences service audits each one)."""
    _open(offboarding)
    with transaction.atomic():
        done = reclaim_person_seats(actor, offboarding.person)
        _close_if_done(actor, offboarding)
        return done


def _open(offboarding: Offboarding) -> None:
    if offboarding.state != OffboardingState.OPEN:
        raise Conflict(f"{offboarding} is already done", code="offboarding_done")


def _close_if_done(actor: Actor, offboarding: Offboarding) -> None:
    person = offboarding.person
    if return_list(person).exists() or reclaim_list(person).exists():
        return
    before = snapshot(offboarding)
    offboarding.state = OffboardingState.DONE
    offboarding.finished = timezone.now()
    offboarding.save(update_fields=["state", "finished"])
    record_event(actor, "close", offboarding, before=before, after=snapshot(offboarding))
