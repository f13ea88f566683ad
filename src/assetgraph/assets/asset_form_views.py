"""The asset create/edit page: identity and purchase data plus typed custom-field inputs.

The custom fields shown are those of the chosen model's category (fields without a category
apply to all). Changing the model re-renders that block over HTMX (no inline script: the
select carries ``hx-get``), and the server validates every custom field with the same
``clean_attributes`` the API and imports use, showing each error next to its input.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import ServiceError, ValidationFailed
from assetgraph.ui.generic import apply_service_errors, prepare_form

from . import services
from .forms import ATTRIBUTE_PREFIX, AssetForm, CustomFieldsForm
from .models import Asset, AssetModel, CustomField
from .querysets import ASSET_RELATED
from .resources import ASSET
from .services.register import definitions_for
from .views import _asset


def _chosen_model(request: HttpRequest, raw: Any) -> AssetModel | None:
    """The model picked in the form, if it is an id of a model the user may see."""
    if not raw or not str(raw).isdigit():
        return None
    visible = restrict(AssetModel.objects.all(), request.user, "view")
    return visible.filter(pk=int(raw)).first()


def _definitions(model: AssetModel | None) -> list[CustomField]:
    return definitions_for(model.category_id if model is not None else None)


@login_required
def asset_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None) or edit an asset through ``create_asset``/``update_asset``."""
    asset: Asset | None = None
    if pk is not None:
        asset = _asset(request, pk, "change")
    elif not has_perm(request.user, "assets.asset", "add"):
        if has_perm(request.user, "assets.asset", "view"):
            raise PermissionDenied("you may not add assets")
        raise Http404
    data = request.POST if request.method == "POST" else None
    fields_url = reverse("ui:assets:asset_custom_fields")
    form = AssetForm(data, instance=asset, fields_url=fields_url)
    prepare_form(form, request)
    if data is not None:
        model = _chosen_model(request, data.get("model"))
    elif asset is not None:
        model = asset.model
    else:
        model = _chosen_model(request, request.GET.get("model"))
        if model is not None:
            form.initial["model"] = model.pk
    custom = CustomFieldsForm(
        data,
        definitions=_definitions(model),
        current=asset.attributes if asset is not None and asset.model == model else None,
    )
    prepare_form(custom, request)
    if data is not None and form.is_valid() & custom.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        values["attributes"] = custom.raw_values
        actor = Actor.from_request(request, Source.UI)
        try:
            if asset is None:
                saved = services.create_asset(actor, values)
                messages.success(request, f"Created {saved}.")
            else:
                saved = services.update_asset(actor, asset, values)
                messages.success(request, f"Saved {saved}.")
            return HttpResponseRedirect(reverse("ui:assets:asset_detail", args=[saved.pk]))
        except ServiceError as exc:
            placed = custom.add_service_errors(exc.fields)
            others = {k: v for k, v in exc.fields.items() if not k.startswith(ATTRIBUTE_PREFIX)}
            if others or not placed:
                apply_service_errors(form, ValidationFailed(exc.message, fields=others))
    context = {
        "resource": ASSET,
        "meta": Asset._meta,
        "form": form,
        "custom": custom,
        "chosen_model": model,
        "object": asset,
        "cancel_url": reverse("ui:assets:asset_detail", args=[asset.pk])
        if asset is not None
        else ASSET.url("list"),
    }
    invalid = bool(form.errors or custom.errors)
    return render(request, "assets/asset_form.html", context, status=422 if invalid else 200)


@login_required
def asset_custom_fields(request: AuthedRequest) -> HttpResponse:
    """The custom fields block for the model in ``?model=`` (HTMX, when the model changes).

    Values already typed for keys the new category shares are kept (``attributes.<key>``
    parameters); an asset's stored values fill the rest when ``?asset=`` is given.
    """
    if not (
        has_perm(request.user, "assets.asset", "add")
        or has_perm(request.user, "assets.asset", "change")
    ):
        raise Http404
    model = _chosen_model(request, request.GET.get("model"))
    current: dict[str, Any] = {}
    asset_pk = request.GET.get("asset", "")
    if asset_pk.isdigit():
        asset = restrict(Asset.objects.select_related(*ASSET_RELATED), request.user, "view")
        found = asset.filter(pk=int(asset_pk)).first()
        current = dict(found.attributes) if found is not None else {}
    typed = {
        name: value
        for name, value in request.GET.items()
        if name.startswith(ATTRIBUTE_PREFIX) and value != ""
    }
    custom = CustomFieldsForm(definitions=_definitions(model), current=current, initial=typed)
    prepare_form(custom, request)
    return render(
        request, "assets/partials/custom_fields.html", {"custom": custom, "chosen_model": model}
    )
