"""Bulk pages of lists: edit common fields, and the shared flow of every bulk action.

A list's selected rows (``ids``) arrive by POST from the list's toolbar. The first POST shows
the rows and a form; the second (with ``apply``) runs the resource's own service once per row
through :func:`assetgraph.framework.bulk.apply_each`: one audit event per object, one
transaction, and on any refusal nothing changes and every refused row is listed with its field
and reason. Rows the user may view but not change are refused before anything runs (403); rows
they may not see read as not found, like rows that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import ServiceError, ValidationFailed
from assetgraph.framework.bulk import MAX_BULK, BulkFailed, RowFailure, apply_each
from assetgraph.framework.spec import Resource

from .generic import prepare_form, selected_ids


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The list to go back to (``next``), only when it is on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def select_for_bulk(
    request: AuthedRequest, resource: Resource, action: str
) -> tuple[list[Any], list[RowFailure], int]:
    """The selected objects the user may ``action``, and the refused ones with the status.

    A selected row the user can see but may not ``action`` is refused by name (403); one they
    cannot see, or that does not exist, is "not found" by id (422: a bad value of ``ids``; the
    answer is the same for hidden and absent rows).
    """
    ids = selected_ids(request, MAX_BULK)
    if not ids:
        return [], [RowFailure("", "selection", "ids", "select at least one row")], 422
    visible = {o.pk: o for o in resource.queryset(request, "view").filter(pk__in=ids)}
    allowed = set(
        restrict(
            resource.model._default_manager.filter(pk__in=list(visible)), request.user, action
        ).values_list("pk", flat=True)
    )
    failures: list[RowFailure] = []
    status = 200
    for pk in ids:
        if pk not in visible:
            failures.append(RowFailure(pk, f"#{pk}", "ids", "not found"))
            status = 422
        elif pk not in allowed:
            failures.append(RowFailure(pk, str(visible[pk]), "", f"you may not {action} this"))
            status = 403 if status == 200 else status
    chosen = [visible[pk] for pk in ids if pk in allowed]
    return chosen, failures, status


def run_bulk(
    request: AuthedRequest,
    resource: Resource,
    *,
    action: str,
    title: str,
    form: forms.Form,
    apply: Callable[[Any, dict[str, Any]], Any],
    done: str,
    immediate: bool = False,
) -> HttpResponse:
    """The shared flow of a bulk page: select, show the form, apply per row all or nothing.

    ``apply(obj, cleaned_data)`` calls the service for one object. ``immediate``: the list's
    button applies at once (no form step; check-in needs no input).
    """
    if not has_perm(request.user, resource.key, action):
        raise PermissionDenied(f"you may not {action} {resource.model._meta.verbose_name_plural}")
    back = safe_next(request, resource.url("list"))
    objects, failures, status = select_for_bulk(request, resource, action)
    applying = immediate or "apply" in request.POST
    if applying and not failures and form.is_valid():
        try:
            apply_each(objects, lambda obj: apply(obj, form.cleaned_data))
        except BulkFailed as exc:
            failures, status = exc.failures, exc.status
        except ServiceError as exc:  # refused as a whole (no field chosen)
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, done.format(count=len(objects)))
            return HttpResponseRedirect(back)
    elif applying and form.errors:
        status = 422
    context = {
        "title": title,
        "resource": resource,
        "meta": resource.model._meta,
        "objects": objects,
        "failures": failures,
        "form": form,
        "back": back,
        "action_url": request.path,
    }
    return render(request, "ui/bulk_form.html", context, status=status)


def bulk_edit_form(resource: Resource, data: Any = None) -> forms.Form:
    """A form of the resource's ``bulk_edit_fields``, every one optional (blank: unchanged)."""
    fields: dict[str, forms.Field] = {}
    for name in resource.bulk_edit_fields:
        model_field = resource.model._meta.get_field(name)
        form_field = model_field.formfield(required=False)  # type: ignore[union-attr]
        if form_field is not None:
            form_field.help_text = ""
            fields[name] = form_field
    form_class = type("BulkEditForm", (forms.Form,), fields)
    return form_class(data)  # type: ignore[no-any-return]


def _changes(form: forms.Form) -> dict[str, Any]:
    """The fields given a value; an empty bulk form changes nothing and is refused."""
    chosen = {
        name: value
        for name, value in form.cleaned_data.items()
        if value is not None and value != "" and value != []
    }
    if not chosen:
        raise ValidationFailed("choose at least one field to change")
    return chosen


@login_required
@require_POST
def bulk_edit_view(request: AuthedRequest, resource: Resource) -> HttpResponse:
    """Set the same values on every selected row through the resource's update service."""
    form = bulk_edit_form(resource, request.POST if "apply" in request.POST else None)
    prepare_form(form, request)
    update = resource.service("form_update")
    actor = ui_actor(request)

    def apply(obj: Any, data: dict[str, Any]) -> Any:
        return update(actor, obj, _changes(form))

    if "apply" in request.POST and form.is_valid():
        try:
            _changes(form)
        except ServiceError as exc:
            form.add_error(None, exc.message)
    return run_bulk(
        request,
        resource,
        action="change",
        title=f"Edit selected {resource.model._meta.verbose_name_plural}",
        form=form,
        apply=apply,
        done="Saved {count} " + str(resource.model._meta.verbose_name_plural) + ".",
    )


__all__ = ["bulk_edit_form", "bulk_edit_view", "run_bulk", "safe_next", "select_for_bulk"]
