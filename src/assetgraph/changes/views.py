"""UI pages of change records and blackout windows, and the CI page's change/map sections.

Lists, forms, delete and History use the generic pattern (:mod:`assetgraph.ui.generic`); the
change page is its own: overview, the CIs, the lifecycle buttons and the assessment (impact,
redundancy lost, conflicts, blackouts, risk), computed when the page is shown.

CIs are entered as text, one per line: an id (``42`` or ``#42``), ``name #42`` (what the form
shows back) or an exact name. That scales to any estate (no 1M-row drop-down) and is resolved
through ``restrict``, so a hidden CI is "not found" exactly like a missing one.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor, ui_actor
from assetgraph.core.closest import closest_names, did_you_mean
from assetgraph.core.errors import NotFound, ServiceError, ValidationFailed
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied
from assetgraph.ui.generic import link
from assetgraph.ui.pickers import TextPickerWidget

from . import services
from .api import CHANGE_PREFETCH, CHANGE_RELATED
from .assessment import RISK_FORMULA, TOGETHER_RULE, assess_change
from .lifecycle import available_transitions, transitions_markdown
from .models import BlackoutWindow, ChangeRecord

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_ID_TOKEN = re.compile(r"(?:^|\s)#?(\d+)\s*$")


def _ci_token(ci: CI) -> str:
    return f"{ci.name} #{ci.pk}"


def resolve_ci_lines(user: Any, text: str, field: str) -> list[int]:
    """CI ids from one-per-line text (ids, ``name #id`` or exact names), visible to ``user``."""
    ids: list[int] = []
    visible: QuerySet[CI] = CI.objects.current()
    if user is not None:
        visible = restrict(visible, user, "view")
    for line in (raw.strip() for raw in (text or "").splitlines()):
        if not line:
            continue
        match = _ID_TOKEN.search(line)
        if match:
            pk = int(match.group(1))
            if not visible.filter(pk=pk).exists():
                raise ValidationFailed(
                    f"{field}: CI {pk} not found", fields={field: [f"CI {pk} not found"]}
                )
        else:
            found = list(visible.filter(name=line).values_list("pk", flat=True)[:2])
            if len(found) != 1:
                problem = (
                    "not found" + did_you_mean(closest_names(visible, ("name",), line))
                    if not found
                    else "is ambiguous: use its id (name #id)"
                )
                raise ValidationFailed(
                    f"{field}: {line!r} {problem}", fields={field: [f"{line!r} {problem}"]}
                )
            pk = found[0]
        if pk not in ids:
            ids.append(pk)
    return ids


class ChangeForm(forms.ModelForm[ChangeRecord]):
    """A change's fields plus its CIs as text (taken down / changed but kept up)."""

    cis_down = forms.CharField(
        label="CIs taken down",
        required=False,
        widget=TextPickerWidget("cmdb.ci", attrs={"rows": 3}),
        help_text="One per line: type a name and pick it, or paste names.",
    )
    cis_up = forms.CharField(
        label="CIs changed but kept up",
        required=False,
        widget=TextPickerWidget("cmdb.ci", attrs={"rows": 2}),
        help_text="Touched by the change without an outage (still count for conflicts).",
    )

    class Meta:
        model = ChangeRecord
        fields = [
            "title",
            "description",
            "change_type",
            "planned_start",
            "planned_end",
            "requester",
            "owner",
            "team",
        ]
        widgets = {
            "planned_start": DATETIME_WIDGET,
            "planned_end": DATETIME_WIDGET,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("planned_start", "planned_end"):
            field = self.fields[name]
            assert isinstance(field, forms.DateTimeField)
            field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if self.instance.pk:
            items = list(self.instance.items.select_related("ci"))
            self.initial["cis_down"] = "\n".join(_ci_token(i.ci) for i in items if i.takes_down)
            self.initial["cis_up"] = "\n".join(_ci_token(i.ci) for i in items if not i.takes_down)


class BlackoutForm(forms.ModelForm[BlackoutWindow]):
    """A blackout window; the scope is CIs as text (empty: every change)."""

    scope_text = forms.CharField(
        label="Scope (services or CIs)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: an id, 'name #id' or an exact name. Empty: applies to all.",
    )

    class Meta:
        model = BlackoutWindow
        fields = ["name", "description", "start", "end"]
        widgets = {
            "start": DATETIME_WIDGET,
            "end": DATETIME_WIDGET,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            field = self.fields[name]
            assert isinstance(field, forms.DateTimeField)
            field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if self.instance.pk:
            self.initial["scope_text"] = "\n".join(
                _ci_token(ci) for ci in self.instance.scope.order_by("name")
            )


def _change_values(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    down = resolve_ci_lines(actor.user, values.pop("cis_down", "") or "", "cis_down")
    up = resolve_ci_lines(actor.user, values.pop("cis_up", "") or "", "cis_up")
    both = set(down) & set(up)
    if both:
        message = f"CI {', '.join(map(str, sorted(both)))} is listed as down and up"
        raise ValidationFailed(f"cis_up: {message}", fields={"cis_up": [message]})
    values["cis"] = [{"ci_id": pk, "takes_down": True} for pk in down] + [
        {"ci_id": pk, "takes_down": False} for pk in up
    ]
    return values


def create_change_from_form(actor: Actor, values: dict[str, Any]) -> ChangeRecord:
    return services.create_change(actor, _change_values(actor, values))


def update_change_from_form(
    actor: Actor, change: ChangeRecord, values: dict[str, Any], **kw: Any
) -> Any:
    return services.update_change(actor, change, _change_values(actor, values), **kw)


def _blackout_values(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    values["scope"] = resolve_ci_lines(actor.user, values.pop("scope_text", "") or "", "scope_text")
    return values


def create_blackout_from_form(actor: Actor, values: dict[str, Any]) -> BlackoutWindow:
    return services.create_blackout(actor, _blackout_values(actor, values))


def update_blackout_from_form(
    actor: Actor, window: BlackoutWindow, values: dict[str, Any], **kw: Any
) -> Any:
    return services.update_blackout(actor, window, _blackout_values(actor, values), **kw)


def change_window(obj: Any) -> str:
    start, end = getattr(obj, "planned_start", None), getattr(obj, "planned_end", None)
    if start is None:
        return ""
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M}" if end else f"{start:%Y-%m-%d %H:%M}"


def _get_change(request: AuthedRequest, pk: int, action: str = "view") -> ChangeRecord:
    try:
        queryset = ChangeRecord.objects.select_related(*CHANGE_RELATED).prefetch_related(
            *CHANGE_PREFETCH
        )
        return get_object_or_404(restrict(queryset, request.user), request.user, action, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
def change_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The change page: overview, CIs, lifecycle buttons, assessment and History."""
    change = _get_change(request, pk)
    visible_cis = restrict(CI.objects.all(), request.user, "view").values("pk")
    items = list(
        change.items.select_related("ci__ci_class")
        .filter(ci_id__in=visible_cis)
        .order_by("ci__name")
    )
    hidden_items = change.items.count() - len(items)
    can_change = has_perm(request.user, "changes.changerecord", "change")
    context = {
        "object": change,
        "fields": [
            ("Type", change.get_change_type_display()),
            ("State", change.get_state_display()),
            ("Planned window", change_window(change)),
            ("Actual start", change.actual_start),
            ("Actual end", change.actual_end),
            ("Requester", link(change.requester, "ui:org:person_detail")),
            ("Owner", link(change.owner, "ui:org:person_detail")),
            ("Team", link(change.team, "ui:org:department_detail")),
            ("Description", change.description),
            ("Outcome", change.outcome),
        ],
        "items": [
            {
                "url": reverse("ui:cmdb:ci_detail", args=[i.ci_id]),
                "name": i.ci.name,
                "cls": str(i.ci.ci_class),
                "down": i.takes_down,
            }
            for i in items
        ],
        "hidden_items": hidden_items,
        "assessment": assess_change(change, request.user),
        "risk_formula": RISK_FORMULA,
        "transitions": available_transitions(change.state, change.change_type)
        if can_change
        else [],
        "can_change": can_change and change.state in ("draft", "scheduled"),
        "can_delete": has_perm(request.user, "changes.changerecord", "delete")
        and change.state == "draft",
        "history_url": reverse("ui:changes:changerecord_history", args=[pk]),
        "edit_url": reverse("ui:changes:changerecord_edit", args=[pk]),
        "delete_url": reverse("ui:changes:changerecord_delete", args=[pk]),
        "list_url": reverse("ui:changes:changerecord_list"),
        "api_url": f"/api/impact/changes/{pk}/assess",
    }
    return render(request, "changes/change_detail.html", context)


@login_required
@require_POST
def change_transition(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    """Apply one lifecycle transition; refusals come back as a message naming the rule."""
    change = _get_change(request, pk, "change")
    try:
        services.transition_change(
            ui_actor(request), change, name, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{change.number}: {name.replace('_', ' ')} done.")
    return HttpResponseRedirect(reverse("ui:changes:changerecord_detail", args=[pk]))


@login_required
def lifecycle_help(request: AuthedRequest) -> HttpResponse:
    """The transition table, the risk formula and the rule for "only together" conflicts,
    as the docs state them."""
    if not has_perm(request.user, "changes.changerecord", "view"):
        raise PermissionDenied("you may not view changes")
    return render(
        request,
        "changes/lifecycle.html",
        {
            "table": transitions_markdown(),
            "risk_formula": RISK_FORMULA,
            "together_rule": TOGETHER_RULE,
        },
    )


def change_urls() -> list[URLPattern]:
    """The change pages that are not generic: the detail with its assessment, the lifecycle
    help and transitions (the generic list/form/delete/history come from resources.py)."""
    return [
        path("lifecycle/", lifecycle_help, name="changerecord_lifecycle"),
        path("<int:pk>/", change_detail, name="changerecord_detail"),
        path(
            "<int:pk>/transition/<slug:name>/",
            change_transition,
            name="changerecord_transition",
        ),
    ]


# ------------------------------------------------------------------------------ CI page
CI_CHANGES_CAP = 10


def ci_changes_section(request: HttpRequest, ci: CI) -> dict[str, Any] | None:
    """The CI page's "Changes" section: recent and planned changes touching it."""
    if not has_perm(request.user, "changes.changerecord", "view"):
        return None
    visible = (
        restrict(ChangeRecord.objects.filter(items__ci=ci), request.user, "view")
        .exclude(state="cancelled")
        .order_by("-planned_start", "-pk")
    )
    changes = list(visible[: CI_CHANGES_CAP + 1])
    if not changes:
        return None
    capped = len(changes) > CI_CHANGES_CAP
    changes = changes[:CI_CHANGES_CAP]
    return {
        "title": "Changes touching this CI",
        # Capped: "Showing 10 of N", the CI's changes in the change list and their export.
        "more_url": reverse("ui:changes:changerecord_list") + f"?ci_id={ci.pk}" if capped else None,
        "total": visible.count() if capped else len(changes),
        "export_url": f"/api/impact/changes/export?format=csv&ci_id={ci.pk}",
        "headers": ["Change", "State", "Planned window"],
        "rows": [
            [link(c, "ui:changes:changerecord_detail"), c.get_state_display(), change_window(c)]
            for c in changes
        ],
    }
