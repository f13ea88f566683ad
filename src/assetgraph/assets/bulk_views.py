"""Bulk actions of the asset list: change state and check in (edit is the generic one).

Both go through :func:`assetgraph.ui.bulk.run_bulk`: the lifecycle service
(``transition_asset``) or the custody service (``check_in_asset``) once per selected asset, one
audit event each, all in one transaction; any refusal (a transition not allowed from that
state, a missing reason) undoes every row and lists each refused asset with field and reason.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from assetgraph.accounts.http import AuthedRequest
from assetgraph.core.actor import ui_actor
from assetgraph.ui.bulk import run_bulk

from . import forms, services
from .lifecycle import TRANSITIONS
from .models import Asset
from .resources import ASSET


def bulk_transition_names() -> list[str]:
    """Transitions offered in bulk: every one but check-out/in (those record custody)."""
    return [t.name for t in TRANSITIONS.values() if not t.custody_only]


@login_required
@require_POST
def bulk_transition(request: AuthedRequest) -> HttpResponse:
    """Move every selected asset along the same lifecycle transition (all or nothing)."""
    data = request.POST if "apply" in request.POST else None
    form = forms.TransitionForm(data, names=bulk_transition_names())
    actor = ui_actor(request)

    def apply(asset: Asset, values: dict[str, Any]) -> Asset:
        disposal = (
            {
                "recipient": values["recipient"],
                "certificate_number": values["certificate_number"],
                "proceeds": values["proceeds"],
                "currency": values["currency"].upper(),
            }
            if values["recipient"]
            else None
        )
        return services.transition_asset(
            actor,
            asset,
            values["transition"],
            substate=values["substate"],
            reason=values["reason"],
            disposal=disposal,
            confirm_impact=values["confirm_impact"],
        )

    return run_bulk(
        request,
        ASSET,
        action="change",
        title="Change the state of selected assets",
        form=form,
        apply=apply,
        done="Changed the state of {count} asset(s).",
    )


class BulkCheckinForm(django_forms.Form):
    """Check-in notes shared by every selected asset."""

    condition_notes = django_forms.CharField(
        required=False, max_length=2000, widget=django_forms.Textarea(attrs={"rows": 2})
    )


@login_required
@require_POST
def bulk_checkin(request: AuthedRequest) -> HttpResponse:
    """Check in the assets selected on the list, all or nothing (applies at once)."""
    form = BulkCheckinForm(request.POST)
    actor = ui_actor(request)

    def apply(asset: Asset, values: dict[str, Any]) -> Asset:
        return services.check_in_asset(actor, asset, condition_notes=values["condition_notes"])

    return run_bulk(
        request,
        ASSET,
        action="checkin",
        title="Check in selected",
        form=form,
        apply=apply,
        done="Checked in {count} asset(s).",
        immediate=True,
    )
