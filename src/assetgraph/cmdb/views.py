"""CMDB pages: generic lists and forms (ui.generic), plus the CI detail with its tabs and
as-of picker, the CI form with typed attribute inputs, the class browser and the diff page.

Other apps add sections to the CI detail page by appending to :data:`DETAIL_SECTIONS`
(e.g. the asset's business context), so this app never imports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.core.actor import Actor, Source
from assetgraph.core.attributes import public_values
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied
from assetgraph.ui.generic import Column, UIResource, apply_service_errors, link, prepare_form

from . import forms, schemas, services
from .history import diff, overlay, parse_when, states_at
from .models import CI, HOT_KEYS, CIClass, ClassAttribute, Relationship, RelationshipType
from .querysets import attribute_definitions, neighbours, visible_cis, visible_relationships

# Sections other apps add to the CI detail page: ``f(request, ci) -> {"title", "fields":
# [(label, value)], "headers", "rows"} | None``.
DETAIL_SECTIONS: list[Callable[[HttpRequest, CI], dict[str, Any] | None]] = []
LIST_ATTRIBUTES = (*HOT_KEYS, "os", "version", "vendor")


def _retire(actor: Actor, ci: CI) -> None:
    """The generic "delete" of a CI is a retirement."""
    services.retire_ci(actor, ci)


@dataclass
class CIResource(UIResource):
    """CIs list current ones unless ``include_retired`` is asked for."""

    def queryset(self, request: HttpRequest, action: str = "view") -> models.QuerySet[Any]:
        base = super().queryset(request, action)
        if request.GET.get("include_retired") not in {"true", "1", "yes"}:
            base = base.filter(valid_to__isnull=True)
        return base


schemas.CIFilter.ui_model = CI  # type: ignore[attr-defined]
schemas.CIClassFilter.ui_model = CIClass  # type: ignore[attr-defined]

CI_RESOURCE = CIResource(
    model=CI,
    namespace="cmdb",
    filter_schema=schemas.CIFilter,
    form_class=forms.CIForm,
    create=services.create_ci,
    update=services.update_ci,
    delete=_retire,
    orderings={"name": "name", "id": "pk", "criticality": "criticality"},
    default_ordering="name",
    select_related=("ci_class", "owning_team", "location"),
    columns=[
        Column("Name", lambda c: c.name, order="name", link=True),
        Column("Class", lambda c: link(c.ci_class, "ui:cmdb:ciclass_detail")),
        Column("Status", lambda c: c.get_operational_status_display()),
        Column("Environment", lambda c: c.get_environment_display()),
        Column("Tier", lambda c: c.criticality, order="criticality"),
        Column("Team", lambda c: link(c.owning_team, "ui:org:department_detail")),
        Column("Host name", lambda c: c.attributes.get("hostname", "")),
    ],
    attribute_definitions=lambda: [d for d in attribute_definitions() if d.key in LIST_ATTRIBUTES],
    api_path="/api/cmdb/cis/",
)


def _attribute_table(request: HttpRequest, ci_class: CIClass) -> dict[str, Any] | None:
    rows = ci_class.effective_attributes()
    return {
        "title": "Attributes (own and inherited)",
        "headers": ["Key", "Label", "Type", "Required", "Defined on"],
        "rows": [
            [
                d.key,
                d.label,
                d.get_type_display(),
                "yes" if d.required else "",
                link(d.ci_class, "ui:cmdb:ciclass_detail"),
            ]
            for d in rows
        ],
        "more_url": None,
    }


CLASS_RESOURCE = UIResource(
    model=CIClass,
    namespace="cmdb",
    filter_schema=schemas.CIClassFilter,
    form_class=forms.CIClassForm,
    create=services.create_ci_class,
    update=services.update_ci_class,
    delete=services.delete_ci_class,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    select_related=("parent",),
    columns=[
        Column("Name", lambda c: c.name, order="name", link=True),
        Column("Inherits from", lambda c: link(c.parent, "ui:cmdb:ciclass_detail")),
        Column("Group", lambda c: "yes" if c.is_group else ""),
        Column("Identified by", lambda c: ", ".join(c.identification_key) or "name"),
    ],
    detail_fields=[
        ("Inherits from", lambda c: link(c.parent, "ui:cmdb:ciclass_detail")),
        ("Description", lambda c: c.description),
        ("Group (redundancy)", lambda c: "yes" if c.is_group else "no"),
        ("Identified by", lambda c: ", ".join(c.identification_key) or "name"),
        ("Built in", lambda c: "yes" if c.builtin else "no"),
    ],
    related_tables=[_attribute_table],
    api_path="/api/cmdb/classes/",
)

TYPE_RESOURCE = UIResource(
    model=RelationshipType,
    namespace="cmdb",
    filter_schema=schemas.RelationshipTypeFilter,
    form_class=forms.RelationshipTypeForm,
    create=services.create_relationship_type,
    update=services.update_relationship_type,
    delete=services.delete_relationship_type,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    columns=[
        Column("Name", lambda t: t.name, order="name", link=True),
        Column("Reverse", lambda t: t.reverse_name),
        Column("Impact", lambda t: t.get_impact_direction_display()),
        Column("Membership", lambda t: "yes" if t.is_membership else ""),
    ],
    detail_fields=[
        ("Reverse name", lambda t: t.reverse_name),
        ("Impact direction", lambda t: t.get_impact_direction_display()),
        ("Membership", lambda t: "yes" if t.is_membership else "no"),
        ("Description", lambda t: t.description),
    ],
    api_path="/api/cmdb/relationship-types/",
)


schemas.ClassAttributeFilter.ui_model = ClassAttribute  # type: ignore[attr-defined]

ATTRIBUTE_RESOURCE = UIResource(
    model=ClassAttribute,
    namespace="cmdb",
    filter_schema=schemas.ClassAttributeFilter,
    form_class=forms.ClassAttributeForm,
    create=services.create_class_attribute,
    update=services.update_class_attribute,
    delete=services.delete_class_attribute,
    orderings={"key": "key", "id": "pk"},
    default_ordering="key",
    select_related=("ci_class",),
    columns=[
        Column("Key", lambda a: a.key, order="key", link=True),
        Column("Label", lambda a: a.label),
        Column("Class", lambda a: link(a.ci_class, "ui:cmdb:ciclass_detail")),
        Column("Type", lambda a: a.get_type_display()),
        Column("Required", lambda a: "yes" if a.required else ""),
    ],
    detail_fields=[
        ("Class", lambda a: link(a.ci_class, "ui:cmdb:ciclass_detail")),
        ("Label", lambda a: a.label),
        ("Type", lambda a: a.get_type_display()),
        ("Required", lambda a: "yes" if a.required else "no"),
        ("Recommended", lambda a: "yes" if a.recommended else "no"),
        ("Choices", lambda a: ", ".join(a.choices)),
        ("Help", lambda a: a.help_text),
    ],
    api_path="/api/cmdb/attributes/",
)


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, Source.UI)


def _get_ci(request: AuthedRequest, pk: int, action: str = "view", when: Any = None) -> CI:
    queryset = visible_cis(request.user, when, include_retired=when is None)
    try:
        return get_object_or_404(queryset, request.user, action, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
def ci_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A CI with tabs (overview, attributes, relationships, software, history) and an as-of
    picker; with ``?as_of=`` the page shows the CI and its links as they were then."""
    try:
        when = parse_when(request.GET.get("as_of"))
    except ServiceError as exc:
        messages.error(request, exc.message)
        when = None
    ci = _get_ci(request, pk, when=when)
    if when is not None:
        overlay(ci, states_at("cmdb.ci", [ci.pk], when).get(str(ci.pk)))
    links = (
        neighbours(request.user, ci, "both", when)
        if has_perm(request.user, "cmdb.relationship", "view")
        else []
    )
    definitions = {d.key: d for d in ci.attribute_definitions()}
    values = public_values(ci.attributes)
    software = (
        list(restrict(ci.software.select_related("product"), request.user, "view"))
        if has_perm(request.user, "cmdb.softwareinstall", "view")
        else []
    )
    sections = [s for make in DETAIL_SECTIONS if (s := make(request, ci))]
    context = {
        "object": ci,
        "as_of": when,
        "as_of_value": when.strftime("%Y-%m-%dT%H:%M") if when else "",
        "fields": [
            ("Class", link(ci.ci_class, "ui:cmdb:ciclass_detail")),
            ("Status", ci.get_operational_status_display()),
            ("Environment", ci.get_environment_display()),
            ("Criticality", ci.get_criticality_display()),
            ("Owning team", link(ci.owning_team, "ui:org:department_detail")),
            ("Support group", link(ci.support_group, "ui:org:department_detail")),
            ("Location", link(ci.location, "ui:org:location_detail")),
            ("Description", ci.description),
            ("Redundancy", _redundancy(ci)),
            ("Source", ci.source),
            ("Valid from", ci.valid_from),
            ("Valid to", ci.valid_to),
        ],
        "attributes": [
            (d.label, d.key, values.get(d.key), d.required) for d in definitions.values()
        ],
        "down": [n for n in links if n.direction == "down"],
        "up": [n for n in links if n.direction == "up"],
        "software": software,
        "sections": sections,
        "can_change": ci.valid_to is None
        and when is None
        and has_perm(request.user, "cmdb.ci", "change"),
        "history_url": reverse("ui:cmdb:ci_history", args=[ci.pk]),
        "list_url": reverse("ui:cmdb:ci_list"),
    }
    return render(request, "cmdb/ci_detail.html", context)


def _redundancy(ci: CI) -> str:
    if ci.redundancy_mode == "count":
        return f"at least {ci.redundancy_value} members up"
    if ci.redundancy_mode == "percent":
        return f"at least {ci.redundancy_value} % of members up"
    return "" if not ci.ci_class.is_group else "disabled (every member needed)"


@login_required
def ci_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Create (choose the class first) or edit a CI; attribute inputs follow the class."""
    ci = None
    if pk is not None:
        ci = _get_ci(request, pk, "change")
        if ci.valid_to is not None:
            raise PermissionDenied("a retired CI cannot change")
    elif not has_perm(request.user, "cmdb.ci", "add"):
        raise PermissionDenied("you may not add a CI")
    ci_class = ci.ci_class if ci else None
    class_id = request.POST.get("ci_class") or request.GET.get("ci_class")
    if class_id and str(class_id).isdigit():
        ci_class = (
            restrict(CIClass.objects.all(), request.user, "view").filter(pk=class_id).first()
            or ci_class
        )
    classes = restrict(CIClass.objects.all(), request.user, "view")
    if ci_class is None:
        return render(request, "cmdb/ci_choose_class.html", {"classes": classes})
    form = forms.CIForm(request.POST or None, instance=ci, ci_class=ci_class)
    prepare_form(form, request)
    if request.method == "POST" and form.is_valid():
        try:
            values = form.service_values()
            if ci is None:
                saved = services.create_ci(_actor(request), values)
                messages.success(request, f"Created {saved}.")
            else:
                saved = services.update_ci(_actor(request), ci, values)
                messages.success(request, f"Saved {saved}.")
            return HttpResponseRedirect(reverse("ui:cmdb:ci_detail", args=[saved.pk]))
        except ServiceError as exc:
            apply_service_errors(form, exc)
    context = {
        "resource": CI_RESOURCE,
        "meta": CI._meta,
        "form": form,
        "object": ci,
        "cancel_url": reverse("ui:cmdb:ci_detail", args=[ci.pk])
        if ci
        else reverse("ui:cmdb:ci_list"),
    }
    return render(request, "ui/object_form.html", context, status=422 if form.errors else 200)


@login_required
def ci_retire(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm, then retire (never delete) a CI."""
    ci = _get_ci(request, pk, "change")
    error = None
    if request.method == "POST":
        try:
            services.retire_ci(_actor(request), ci)
            messages.success(request, f"Retired {ci}.")
            return HttpResponseRedirect(reverse("ui:cmdb:ci_detail", args=[pk]))
        except ServiceError as exc:
            error = exc.message
    return render(
        request,
        "cmdb/ci_retire.html",
        {"object": ci, "error": error, "cancel_url": reverse("ui:cmdb:ci_detail", args=[pk])},
        status=409 if error else 200,
    )


@login_required
def relationship_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """Relate this CI to another (down: this → other), by the other CI's id."""
    ci = _get_ci(request, pk)
    if not has_perm(request.user, "cmdb.relationship", "add"):
        raise PermissionDenied("you may not add relationships")
    types = restrict(RelationshipType.objects.all(), request.user, "view")
    error = None
    if request.method == "POST":
        try:
            other = visible_cis(request.user).filter(pk=request.POST.get("target", "0")).first()
            rel_type = types.filter(pk=request.POST.get("type") or 0).first()
            if other is None or rel_type is None:
                raise ServiceError("choose a relationship type and a current CI")
            services.add_relationship(
                _actor(request), {"source": ci, "target": other, "type": rel_type}
            )
            messages.success(request, f"Related {ci} to {other}.")
            return HttpResponseRedirect(reverse("ui:cmdb:ci_detail", args=[pk]))
        except ServiceError as exc:
            error = exc.message
    candidates = visible_cis(request.user).exclude(pk=ci.pk).order_by("name")[:500]
    return render(
        request,
        "cmdb/relationship_add.html",
        {"object": ci, "types": types, "candidates": candidates, "error": error},
        status=422 if error else 200,
    )


@login_required
def relationship_remove(request: AuthedRequest, pk: int, rel_pk: int) -> HttpResponse:
    """End a relationship (POST only), back to the CI page."""
    if request.method != "POST":
        raise Http404
    try:
        rel = get_object_or_404(
            visible_relationships(request.user), request.user, "delete", pk=rel_pk
        )
        services.remove_relationship(_actor(request), rel)
        messages.success(request, f"Ended: {rel}.")
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("ui:cmdb:ci_detail", args=[pk]))


@login_required
def class_tree(request: AuthedRequest) -> HttpResponse:
    """The class hierarchy with own attribute and current CI counts."""
    if not has_perm(request.user, "cmdb.ciclass", "view"):
        raise PermissionDenied("you may not view CI classes")
    classes = list(
        restrict(CIClass.objects.all(), request.user, "view").annotate(
            attribute_count=Count("attributes", distinct=True)
        )
    )
    counts = dict(
        restrict(CI.objects.current(), request.user, "view")
        .values_list("ci_class")
        .annotate(n=Count("pk"))
        .values_list("ci_class", "n")
    )
    children: dict[int | None, list[CIClass]] = {}
    ids = {c.pk for c in classes}
    for ci_class in classes:
        parent = ci_class.parent_id if ci_class.parent_id in ids else None
        children.setdefault(parent, []).append(ci_class)

    def build(parent: int | None, depth: int) -> list[dict[str, Any]]:
        return [
            {
                "cls": c,
                "ci_count": counts.get(c.pk, 0),
                "children": build(c.pk, depth + 1) if depth < 20 else [],
            }
            for c in sorted(children.get(parent, []), key=lambda c: c.name)
        ]

    return render(
        request,
        "cmdb/class_tree.html",
        {"tree": build(None, 0), "can_add": has_perm(request.user, "cmdb.ciclass", "add")},
    )


@login_required
def diff_view(request: AuthedRequest) -> HttpResponse:
    """What changed between two times (defaults: the last 24 hours)."""
    if not has_perm(request.user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    now = timezone.now()
    error = None
    try:
        start = parse_when(request.GET.get("from"), "from") or now - dt.timedelta(days=1)
        end = parse_when(request.GET.get("to"), "to") or now
        result = diff(
            visible_cis(request.user, include_retired=True),
            visible_relationships(request.user, include_ended=True)
            if has_perm(request.user, "cmdb.relationship", "view")
            else Relationship.objects.none(),
            start,
            end,
        )
    except ServiceError as exc:
        error, result = exc.message, None
        start, end = now - dt.timedelta(days=1), now
    return render(
        request,
        "cmdb/diff.html",
        {
            "result": result,
            "error": error,
            "from_value": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "to_value": end.strftime("%Y-%m-%dT%H:%M:%S"),
        },
        status=422 if error else 200,
    )


__all__ = [
    "ATTRIBUTE_RESOURCE",
    "CI_RESOURCE",
    "CLASS_RESOURCE",
    "DETAIL_SECTIONS",
    "TYPE_RESOURCE",
    "ClassAttribute",
]
