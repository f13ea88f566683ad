"""Forms of the licences pages that the generic derivation cannot build: the licence form
(its key is a write-only password field) and the allocation form (devices by id, not a
select of every CI)."""

from __future__ import annotations

from typing import Any

from django import forms

from assetgraph.assets.models import Asset
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor

from . import services
from .models import Allocation, Entitlement

ENTITLEMENT_FIELDS = [
    "name",
    "product",
    "suite",
    "metric",
    "quantity",
    "term",
    "start_date",
    "end_date",
    "version_rights",
    "maintenance_end",
    "unit_cost",
    "total_cost",
    "currency",
    "supplier",
    "purchase_reference",
    "scope",
    "scope_department",
    "scope_location",
    "reassignable",
    "min_cores_per_processor",
    "min_cores_per_server",
    "core_pack_size",
    "core_factor_table",
    "virtual_cores",
    "min_users_per_processor",
    "min_users_per_server",
    "farm_exposure",
    "idle_days",
    "notes",
    "documents",
]


class EntitlementForm(forms.ModelForm[Entitlement]):
    """Every licence field; the key is write-only (left empty: the stored key is kept)."""

    licence_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted. Leave empty to keep the current key.",
    )

    class Meta:
        model = Entitlement
        fields = ENTITLEMENT_FIELDS
        widgets = {
            name: forms.DateInput(attrs={"type": "date"})
            for name in ("start_date", "end_date", "maintenance_end")
        }


def _without_empty_key(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if not values.get("licence_key"):
        values.pop("licence_key", None)
    return values


def create_entitlement_from_form(actor: Actor, values: dict[str, Any]) -> Entitlement:
    """The add page's write: an empty key field means no key."""
    return services.create_entitlement(actor, _without_empty_key(values))


def update_entitlement_from_form(
    actor: Actor, entitlement: Entitlement, values: dict[str, Any], **kwargs: Any
) -> Entitlement:
    """The edit page's write: an empty key field keeps the stored key."""
    return services.update_entitlement(actor, entitlement, _without_empty_key(values), **kwargs)


class AllocationForm(forms.ModelForm[Allocation]):
    """A seat to a person, or to a device given by CI id or asset id."""

    ci = forms.ModelChoiceField(
        queryset=CI.objects.current(),
        required=False,
        widget=forms.NumberInput,
        label="CI (id)",
    )
    asset = forms.ModelChoiceField(
        queryset=Asset.objects.all(), required=False, widget=forms.NumberInput, label="Asset (id)"
    )

    class Meta:
        model = Allocation
        fields = ["entitlement", "person", "ci", "asset", "quantity", "note"]


def create_allocation_from_form(actor: Actor, values: dict[str, Any]) -> Allocation:
    """The add page's write: allocate seats of the chosen licence."""
    values = {k: v for k, v in values.items() if v not in (None, "")}
    return services.create_allocation(actor, values)


def update_allocation_from_form(
    actor: Actor, allocation: Allocation, values: dict[str, Any], **kwargs: Any
) -> Allocation:
    """The edit page's write: only the note changes."""
    return services.update_allocation(actor, allocation, {"note": values.get("note", "")}, **kwargs)
