"""Editing a kit's lines (a model and its quantity) in the UI, through ``update_kit``.

The service replaces the lines in one transaction and appends one ``update`` event on the kit
with the lines before and after, so the kit's History tab shows every change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from assetgraph.accounts.http import AuthedRequest
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import ServiceError
from assetgraph.ui.generic import prepare_form

from . import services
from .forms import KitItemFormSet
from .models import Kit
from .resources import KIT
from .views import _fetch


def _lines(formset: Any) -> list[dict[str, Any]]:
    """The kit's lines as the service takes them: kept rows that name a model."""
    lines = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("remove") or data.get("model") is None:
            continue
        lines.append({"model_id": data["model"].pk, "quantity": data.get("quantity") or 1})
    return lines


@login_required
def kit_items(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add, change and remove a kit's lines; blank rows add new lines."""
    kit: Kit = _fetch(request, Kit.objects.all(), "change", pk)
    initial = [{"model": item.model, "quantity": item.quantity} for item in kit.items.all()]
    formset = KitItemFormSet(request.POST or None, initial=initial, prefix="items")
    for form in formset.forms:
        prepare_form(form, request)
    status = 200
    if request.method == "POST":
        if formset.is_valid():
            try:
                services.update_kit(
                    Actor.from_request(request, Source.UI), kit, {"items": _lines(formset)}
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Saved the items of {kit}.")
                return HttpResponseRedirect(KIT.url("detail", pk))
        else:
            status = 422
    context = {"object": kit, "formset": formset, "cancel_url": KIT.url("detail", pk)}
    return render(request, "assets/kit_items.html", context, status=status)
