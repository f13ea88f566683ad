"""Change records and blackout windows, each declared once (see
:mod:`assetgraph.framework.spec`), and the CI page's "Changes" section.

The API keeps the addresses it had while changes lived in the impact app
(``/api/impact/changes/…``), so clients are unaffected by the split.
"""

from __future__ import annotations

from assetgraph.framework.spec import ALL_PAGES, Column, DetailSection, Resource
from assetgraph.ui.generic import link

from . import api, services
from . import schemas as change_schemas
from .models import BlackoutWindow, ChangeRecord, change_number_condition
from .views import (
    BlackoutForm,
    ChangeForm,
    change_window,
    ci_changes_section,
    create_blackout_from_form,
    create_change_from_form,
    update_blackout_from_form,
    update_change_from_form,
)

CHANGE_PREFETCH = api.CHANGE_PREFETCH

CHANGE_RESOURCE = Resource(
    model=ChangeRecord,
    filter_schema=change_schemas.ChangeFilter,
    form_class=ChangeForm,
    create=services.create_change,
    update=services.update_change,
    delete=services.delete_change,
    form_create=create_change_from_form,
    form_update=update_change_from_form,
    orderings={"planned_start": "planned_start", "title": "title", "id": "pk"},
    default_ordering="-planned_start",
    select_related=("requester", "owner", "team"),
    columns=[
        Column("Change", lambda c: str(c), order="title", link=True),
        Column("Type", lambda c: c.get_change_type_display()),
        Column("State", lambda c: c.get_state_display()),
        Column("Planned window", change_window, order="planned_start"),
        Column("Team", lambda c: link(c.team, "ui:org:department_detail")),
        Column("Owner", lambda c: link(c.owner, "ui:org:person_detail")),
    ],
    out_schema=change_schemas.ChangeOut,
    in_schema=change_schemas.ChangeIn,
    patch_schema=change_schemas.ChangePatch,
    prefetch_related=CHANGE_PREFETCH,
    path="",
    api_path="/impact/changes",
    api_routes=api.change_routes,
    tag="changes",
    search_fields=("title", "description"),
    reference_lookup=change_number_condition,
    constraint_fields=("id", "change_type", "state", "requester", "owner", "team", "team__code"),
    pages=ALL_PAGES - {"detail"},
    aliases=("impact.changerecord",),
    export_columns=api.CHANGE_EXPORT_COLUMNS,
)

BLACKOUT_RESOURCE = Resource(
    model=BlackoutWindow,
    filter_schema=change_schemas.BlackoutFilter,
    form_class=BlackoutForm,
    create=services.create_blackout,
    update=services.update_blackout,
    delete=services.delete_blackout,
    form_create=create_blackout_from_form,
    form_update=update_blackout_from_form,
    orderings={"start": "start", "name": "name", "id": "pk"},
    default_ordering="-start",
    prefetch_related=("scope",),
    columns=[
        Column("Name", lambda b: b.name, order="name", link=True),
        Column("Start", lambda b: b.start, order="start"),
        Column("End", lambda b: b.end),
        Column("Scope", lambda b: ", ".join(ci.name for ci in b.scope.all()) or "everything"),
    ],
    detail_fields=[
        ("Description", lambda b: b.description),
        ("Start", lambda b: b.start),
        ("End", lambda b: b.end),
        ("Scope", lambda b: ", ".join(ci.name for ci in b.scope.all()) or "every change"),
    ],
    out_schema=change_schemas.BlackoutOut,
    in_schema=change_schemas.BlackoutIn,
    patch_schema=change_schemas.BlackoutPatch,
    path="blackouts",
    aliases=("impact.blackoutwindow",),
    api_path="/impact/changes/blackouts",
    tag="blackout windows",
    search_fields=("name", "description"),
    constraint_fields=("id", "name"),
    export_columns=[
        ("name", lambda b: b.name),
        ("start", lambda b: b.start),
        ("end", lambda b: b.end),
        ("scope", lambda b: ";".join(str(ci.pk) for ci in b.scope.all())),
    ],
)


RESOURCES = [CHANGE_RESOURCE, BLACKOUT_RESOURCE]
SECTIONS = [DetailSection("cmdb.ci", ci_changes_section)]
