"""Assets meet discovery: hardware discovered with no asset (unmanaged), and registered
assets discovery stopped seeing (missing).

* **Unmanaged**: a current CI of a hardware class (its class has a ``serial_number``
  attribute: servers, endpoints, network devices, storage, power) that some source has seen
  and that no asset is linked to. One action makes it an asset (of a chosen model, with the
  CI's name and serial number) or links it to the registered asset with its serial number.
* **Missing**: an asset (not retired) whose linked CI discovery has seen before but no
  source has seen for ``days`` days (default 30): the list physical audits start from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import restrict
from assetgraph.assets.models import Asset, AssetModel
from assetgraph.assets.services.register import create_asset
from assetgraph.cmdb.import_base import ClassCache
from assetgraph.cmdb.models import CI
from assetgraph.cmdb.services import update_ci
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed

from .models import Sighting

MISSING_AFTER_DAYS = 30


def hardware_class_ids() -> list[int]:
    """Classes whose CIs are physical things (they carry a serial number)."""
    classes = ClassCache()
    return [pk for pk, keys in classes.keys.items() if "serial_number" in keys]


def unmanaged(user: Any) -> QuerySet[CI]:
    """Discovered hardware CIs without an asset, that the user may see."""
    seen = Sighting.objects.values("ci_id")
    queryset = (
        CI.objects.current()
        .filter(asset__isnull=True, ci_class_id__in=hardware_class_ids(), pk__in=seen)
        .select_related("ci_class")
        .order_by("name_key", "pk")
    )
    return restrict(queryset, user, "view")


def missing(user: Any, days: int = MISSING_AFTER_DAYS, now: dt.datetime | None = None) -> list[Any]:
    """``(asset, ci, last seen)`` for registered assets discovery has not seen for ``days``."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    seen = dict(
        Sighting.objects.filter(ci__asset__isnull=False)
        .values("ci_id")
        .annotate(last=Max("last_seen"))
        .values_list("ci_id", "last")
    )
    late = [ci for ci, last in seen.items() if last < cutoff]
    cis = {ci.asset_id: ci for ci in CI.objects.current().filter(pk__in=late, asset__isnull=False)}
    assets = restrict(
        Asset.objects.filter(pk__in=list(cis))
        .exclude(state="retired")
        .select_related("model", "location"),
        user,
        "view",
    )
    return sorted(((a, cis[a.pk], seen[cis[a.pk].pk]) for a in assets), key=lambda row: row[2])


def make_asset(actor: Actor, ci: CI, model: AssetModel) -> Asset:
    """Register the discovered CI as an asset of ``model`` and link the two (one action)."""
    if ci.asset_id is not None:
        raise Conflict("this CI already has an asset")
    serial = str(ci.attributes.get("serial_number") or "")
    with transaction.atomic():
        asset = create_asset(
            actor, {"model": model, "name": ci.name[:200], "serial_number": serial[:100]}
        )
        update_ci(actor, ci, {"asset": asset})
        return asset


def link_by_serial(actor: Actor, ci: CI) -> Asset:
    """Link the CI to the one registered asset with its serial number."""
    if ci.asset_id is not None:
        raise Conflict("this CI already has an asset")
    serial = str(ci.attributes.get("serial_number") or "").strip()
    if not serial:
        raise ValidationFailed(
            "serial_number: the CI has no serial number",
            fields={"serial_number": ["the CI has no serial number"]},
        )
    found = list(restrict(Asset.objects.filter(serial_number=serial), actor.user, "view")[:2])
    if actor.is_system:
        found = list(Asset.objects.filter(serial_number=serial)[:2])
    if not found:
        raise ValidationFailed(
            f"serial_number: no asset has serial number {serial!r}",
            fields={"serial_number": [f"no asset has serial number {serial!r}"]},
        )
    if len(found) > 1:
        raise Conflict(f"several assets have serial number {serial!r}; link one by hand")
    if CI.objects.filter(asset=found[0]).exists():
        raise Conflict(f"{found[0]} is already linked to another CI")
    update_ci(actor, ci, {"asset": found[0]})
    return found[0]
