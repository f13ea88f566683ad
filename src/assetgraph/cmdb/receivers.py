"""The CMDB's half of one record: it follows its asset's lifecycle (docs/both-layers.md).

When an asset is retired (``retire``, ``decommission``, ``report_lost_or_stolen``), its
current CI retires in the same transaction, with an audit event on each.
"""

from __future__ import annotations

from typing import Any

from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor

from .models import CI
from .services import retire_ci


def retire_ci_with_asset(
    sender: Any, *, actor: Actor, asset: Asset, transition: str, **_: Any
) -> None:
    """Retire the asset's current CI (``asset_retired`` receiver)."""
    ci = CI.objects.current().filter(asset=asset).first()
    if ci is not None:
        retire_ci(actor, ci, with_asset=transition)
