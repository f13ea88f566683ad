"""Drift between a hardware CI and its asset: the one record's two halves disagreeing
(docs/both-layers.md). The services keep them aligned (:mod:`.receivers`); this finds what
older data, imports or direct edits left behind, and fixes it through the same services.

Rules, for every current CI linked to an asset:

- ``retired_asset``: the asset is retired but the CI is current → retire the CI;
- ``location``: the asset has a registered location and the CI's differs → the CI takes the
  asset's (the asset is the physical record);
- ``repair``: the asset is in repair but the CI is *live* → the CI goes to *maintenance*.

Names are not drift: an asset's own name is optional (its tag identifies it) and the CI's
names the system. Queries are set-based; fixing writes one audited update per CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q

from assetgraph.assets.choices import AssetStateChoices
from assetgraph.core.actor import Actor

from .choices import OperationalStatusChoices
from .models import CI
from .services import follow_asset, retire_ci

KINDS = ("retired_asset", "location", "repair")


@dataclass(frozen=True)
class Drift:
    """One disagreement, and the change that fixes it."""

    ci: CI
    kind: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        tag = self.ci.asset.asset_tag if self.ci.asset else ""
        return {
            "ci": {"id": self.ci.pk, "display": self.ci.name},
            "asset": {"id": self.ci.asset_id, "display": tag},
            "kind": self.kind,
            "detail": self.detail,
        }


def _tag(ci: CI) -> str:
    return ci.asset.asset_tag if ci.asset is not None else ""


def _path(location: Any) -> str:
    return location.path if location is not None else "no location"


def find_drift(limit: int | None = None) -> list[Drift]:
    """Every drift of the module docstring (at most ``limit``), by kind then CI name."""
    hardware = (
        CI.objects.current()
        .filter(asset__isnull=False)
        .select_related("asset__location", "location")
    )
    found: list[Drift] = []
    for ci in hardware.filter(asset__state=AssetStateChoices.RETIRED).order_by("name_key", "pk"):
        found.append(Drift(ci, "retired_asset", f"asset {_tag(ci)} is retired"))
    moved = hardware.filter(asset__location__isnull=False).filter(
        Q(location__isnull=True) | ~Q(location_id=F("asset__location_id"))
    )
    for ci in moved.order_by("name_key", "pk"):
        asset_at = _path(ci.asset.location if ci.asset is not None else None)
        found.append(Drift(ci, "location", f"CI at {_path(ci.location)}, asset at {asset_at}"))
    repair = hardware.filter(
        asset__state=AssetStateChoices.IN_REPAIR, operational_status=OperationalStatusChoices.LIVE
    )
    for ci in repair.order_by("name_key", "pk"):
        found.append(Drift(ci, "repair", f"asset {_tag(ci)} is in repair, CI live"))
    return found[:limit] if limit is not None else found


def fix_drift(actor: Actor) -> dict[str, int]:
    """Fix every drift through the services (audited); counts by kind."""
    counts = dict.fromkeys(KINDS, 0)
    for item in find_drift():
        if item.kind == "retired_asset":
            retire_ci(actor, item.ci, with_asset="drift fix: its asset was retired")
        elif item.kind == "location":
            location = item.ci.asset.location_id if item.ci.asset else None
            follow_asset(actor, item.ci, {"location_id": location}, "drift fix: asset location")
        else:
            follow_asset(
                actor,
                item.ci,
                {"operational_status": OperationalStatusChoices.MAINTENANCE},
                "drift fix: asset in repair",
            )
        counts[item.kind] += 1
    return counts
