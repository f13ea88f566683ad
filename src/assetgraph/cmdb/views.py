"""CMDB pages: generic lists and forms (ui.generic), plus the CI detail with its tabs and
as-of picker, the CI form with typed attribute inputs, the class browser and the diff page.

Other apps add sections to the CI detail page by declaring them (``SECTIONS`` in their
``resources.py``: the asset's business context, its impact), so this app never imports them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.core.actor import ui_actor
from assetgraph.core.attributes import public_values
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied
from assetgraph.framework.spec import render_sections
from assetgraph.ui.generic import apply_service_errors, link, prepare_form

from . import forms, services
from .history import diff, overlay, parse_when, states_at
from .models import CI, CIClass, Relationship, RelationshipType
from .querysets import neighbours, visible_cis, visible_relationships
from .resources import CI_RESOURCE


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
    sections = render_sections(request, "cmdb.ci", ci)
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
                saved = services.create_ci(ui_actor(request), values)
                messages.success(request, f"Created {saved}.")
            else:
                saved = services.update_ci(ui_actor(request), ci, values)
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
            services.retire_ci(ui_actor(request), ci)
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
                ui_actor(request), {"source": ci, "target": other, "type": rel_type}
            )
            messages.success(request, f"Related {ci} to {other}.")
            return HttpResponseRedirect(reverse("ui:cmdb:ci_detail", args=[pk]))
        except ServiceError as exc:
            error = exc.message
    candidates = visible_cis(request.user).exclude(pk=ci.pk).order_by("name_key", "pk")[:500]
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
        services.remove_relationship(ui_actor(request), rel)
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
