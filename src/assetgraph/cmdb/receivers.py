"""The CMDB's half of one record: it follows its asset (docs/both-layers.md), in the same
transaction, with an audit event on each side:

- the asset is retired (``retire``, ``decommission``, ``report_lost_or_stolen``): its current
  CI retires;
- the asset is sent for repair: its CI goes to *maintenance*; back from repair: a CI in
  maintenance goes back to *live*;
- the asset's registered location changes: the CI's location follows.
"""

from __future__ import annotations

from typing import Any

from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor

from .choices import OperationalStatusChoices
from .models import CI
from .services import follow_asset, retire_ci


def retire_ci_with_asset(
    sender: Any, *, actor: Actor, asset: Asset, transition: str, **_: Any
) -> None:
    """Retire the asset's current CI (``asset_retired`` receiver)."""
    ci = CI.objects.current().filter(asset=asset).first()
    if ci is not None:
        retire_ci(actor, ci, with_asset=transition)


def ci_follows_repair(
    sender: Any, *, actor: Actor, asset: Asset, transition: str, **_: Any
) -> None:
    """Maintenance while the asset is in repair (``asset_transitioned`` receiver)."""
    ci = CI.objects.current().filter(asset=asset).first()
    if ci is None:
        return
    if transition == "send_to_repair":
        status = OperationalStatusChoices.MAINTENANCE
    elif transition == "return_from_repair" and ci.operational_status == "maintenance":
        status = OperationalStatusChoices.LIVE
    else:
        return
    follow_asset(actor, ci, {"operational_status": status}, f"its asset: {transition}")


def ci_follows_location(sender: Any, *, actor: Actor, asset: Asset, **_: Any) -> None:
    """The CI moves with its asset (``asset_relocated`` receiver)."""
    ci = CI.objects.current().filter(asset=asset).first()
    if ci is not None and asset.location_id is not None:
        follow_asset(actor, ci, {"location_id": asset.location_id}, "its asset moved")
