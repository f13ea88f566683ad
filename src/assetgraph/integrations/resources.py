"""The integrations app's resources, each declared once: directory sync runs and
offboardings. Both are written only by their services (a sync, an offboarding action), so the
generic pages are list and detail, and the endpoints are the app's own (api.py)."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.framework.spec import Column, DetailSection, Resource
from assetgraph.ui.capping import capped_table
from assetgraph.ui.generic import link

from . import schemas, services
from .models import DirectorySyncRun, Offboarding

# Rows each related table shows before saying "Showing N of M" (the rest: paged on the same
# page, ``?only=<section>``, and exported).
TABLE_CAP = 100


def _diff_row(row: dict[str, Any]) -> list[Any]:
    changes = row.get("changes") or {}
    return [
        row["action"],
        row.get("employee_number", ""),
        row.get("name", ""),
        "; ".join(f"{k}: {v[0]!s} → {v[1]!s}" for k, v in changes.items()),
    ]


def _diff_table(request: HttpRequest, run: DirectorySyncRun) -> dict[str, Any] | None:
    if not run.diff and not run.errors:
        return None
    rows = [_diff_row(row) for row in run.diff]
    rows += [["error", e["employee_number"], e["dn"], e["error"]] for e in run.errors]
    return capped_table(
        request,
        "changes",
        rows,
        TABLE_CAP,
        title="Changes" if run.state != "dry_run" else "Changes (dry run: not applied)",
        headers=["Action", "Employee number", "Name", "Changes"],
        row=lambda r: r,
        columns=[
            (name, itemgetter(i))
            for i, name in enumerate(["action", "employee_number", "name", "changes"])
        ],
        basename=f"directory-sync-{run.pk}-changes",
    )


def _return_table(request: HttpRequest, offboarding: Offboarding) -> dict[str, Any] | None:
    assets = restrict(services.return_list(offboarding.person), request.user)
    return capped_table(
        request,
        "returns",
        assets,
        TABLE_CAP,
        title="Return list: assets still held",
        headers=["Asset", "Model"],
        row=lambda a: [link(a, "ui:assets:asset_detail"), str(a.model)],
        columns=[("asset_tag", lambda a: a.asset_tag), ("model", lambda a: str(a.model))],
        basename=f"offboarding-{offboarding.pk}-returns",
    )


def _reclaim_table(request: HttpRequest, offboarding: Offboarding) -> dict[str, Any] | None:
    seats = restrict(services.reclaim_list(offboarding.person), request.user)
    return capped_table(
        request,
        "reclaims",
        seats,
        TABLE_CAP,
        title="Reclaim list: licence seats still allocated",
        headers=["Licence", "Seats"],
        row=lambda s: [link(s.entitlement, "ui:licences:entitlement_detail"), s.quantity],
        columns=[("licence", lambda s: str(s.entitlement)), ("seats", lambda s: s.quantity)],
        basename=f"offboarding-{offboarding.pk}-reclaims",
    )


def _start_by_hand(actor: Any, values: dict[str, Any]) -> Offboarding:
    return services.start_offboarding(actor, values["person"])


SYNC_RUN = Resource(
    model=DirectorySyncRun,
    filter_schema=schemas.DirectorySyncRunFilter,
    out_schema=schemas.DirectorySyncRunOut,
    generate_api=False,
    pages=frozenset({"list", "detail", "history"}),
    actions=("view", "run"),
    orderings={"id": "pk", "started": "started"},
    default_ordering="-id",
    constraint_fields=("id", "state", "trigger"),
    path="directory-sync",
    columns=[
        Column("Run", lambda r: f"#{r.pk}", order="id", link=True),
        Column("Started", lambda r: r.started, order="started"),
        Column("State", lambda r: r.get_state_display()),
        Column("Trigger", lambda r: r.trigger),
        Column("Seen", lambda r: r.seen),
        Column("Joiners", lambda r: r.created_count),
        Column("Movers", lambda r: r.updated_count),
        Column("Leavers", lambda r: r.deactivated_count),
        Column("Errors", lambda r: len(r.errors)),
    ],
    detail_fields=[
        ("State", lambda r: r.get_state_display()),
        ("Trigger", lambda r: r.trigger),
        ("Started", lambda r: r.started),
        ("Finished", lambda r: r.finished or ""),
        ("Entries seen", lambda r: r.seen),
        ("Joiners (created)", lambda r: r.created_count),
        ("Movers (updated)", lambda r: r.updated_count),
        ("Leavers (deactivated)", lambda r: r.deactivated_count),
        ("Unchanged", lambda r: r.unchanged_count),
        ("Errors", lambda r: len(r.errors)),
    ],
    related_tables=[_diff_table],
)

OFFBOARDING = Resource(
    model=Offboarding,
    filter_schema=schemas.OffboardingFilter,
    out_schema=schemas.OffboardingOut,
    generate_api=False,
    pages=frozenset({"list", "add", "detail", "history"}),
    actions=("view", "add", "change"),
    orderings={"id": "pk", "started": "started"},
    default_ordering="-id",
    select_related=("person",),
    constraint_fields=("id", "state", "person"),
    columns=[
        Column("Person", lambda o: str(o.person), link=True),
        Column("Employee number", lambda o: o.person.employee_number),
        Column("State", lambda o: o.get_state_display()),
        Column("Started", lambda o: o.started, order="started"),
        Column("Assets at start", lambda o: o.assets_at_start),
        Column("Seats at start", lambda o: o.seats_at_start),
    ],
    detail_fields=[
        ("Person", lambda o: link(o.person, "ui:org:person_detail")),
        ("State", lambda o: o.get_state_display()),
        ("Started", lambda o: o.started),
        ("Finished", lambda o: o.finished or ""),
        ("Started by sync run", lambda o: o.sync_run_id or "by hand"),
        ("Assets held at start", lambda o: o.assets_at_start),
        ("Seats held at start", lambda o: o.seats_at_start),
    ],
    related_tables=[_return_table, _reclaim_table],
    # Started by hand for a leaver the directory does not know (a contractor entered by hand).
    form_fields=("person",),
    form_create=_start_by_hand,
)

RESOURCES = [SYNC_RUN, OFFBOARDING]


def person_offboarding_section(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    """The person page's "Offboarding": the open one (a link), or a button to start one."""
    from .models import OffboardingState

    user = request.user
    if not has_perm(user, "integrations.offboarding", "view"):
        return None
    current = (
        restrict(Offboarding.objects.filter(person=person), user)
        .order_by("-started", "-pk")
        .first()
    )
    fields: list[tuple[str, Any]] = []
    actions: list[dict[str, Any]] = []
    if current is not None:
        fields.append(
            (
                "Offboarding",
                {
                    "text": f"{current.get_state_display()} since {current.started:%Y-%m-%d}",
                    "url": reverse("ui:integrations:offboarding_detail", args=[current.pk]),
                },
            )
        )
    if (current is None or current.state != OffboardingState.OPEN) and has_perm(
        user, "integrations.offboarding", "add"
    ):
        actions.append(
            {
                "label": "Start offboarding",
                "url": reverse("ui:integrations:person_offboard", args=[person.pk]),
                "method": "post",
                "id": "start-offboarding",
                "icon": "door-open",
                "confirm": f"Start offboarding {person}? Their return and reclaim lists open.",
            }
        )
    if not fields and not actions:
        return None
    return {"title": "Offboarding", "id": "offboarding", "fields": fields, "actions": actions}


SECTIONS = [DetailSection("org.person", person_offboarding_section)]
