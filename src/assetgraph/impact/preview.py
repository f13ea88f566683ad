"""What a business action breaks before it is taken (docs/both-layers.md): retiring,
disposing of or repairing an asset takes its CI out of service.

The answer is the objective impact of taking the CIs down (:func:`.objective.impact_of`, the
whole estate, as the change assessment uses it), named as far as the caller may see:

- the business services that go down or degrade, with their tier;
- how many people hold an end-user device the action affects alone (custodians of the assets
  behind the CIs it takes down or degrades);
- the redundancy groups left degraded, with members down of members and the failures they
  tolerate ("Farm A: 1 of 4 down, tolerates 1": one more host failing takes it down).

CIs already out of service (status *maintenance*, or an asset *in repair* or *missing*) count
as down before and after the action, and only what the action makes worse is listed: a
service newly affected or going from degraded to down, a group with more members down.

**Confirmation rule**: the action needs an explicit confirmation when a tier-1 business
service would go down, or when a redundancy group would be left with no spare capacity (its
members down reach the failures it tolerates, so one more failure takes it down). The
reasons are counted over the whole estate, so a caller who cannot see the service is still
asked to confirm ("tier-1 service you may not see goes down").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db.models import Q

from assetgraph.accounts.permissions import restrict
from assetgraph.assets.choices import AssetStateChoices
from assetgraph.assets.models import Asset
from assetgraph.cmdb.choices import OperationalStatusChoices
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI
from assetgraph.framework.flags import OutagePreview, chunked
from assetgraph.org.models import Person

from .objective import DOWN, asset_ids_of, groups_left_degraded, impact_of, service_pks


def _people(user: Any, touched: np.ndarray[Any, Any]) -> int:
    """Custodians (people) of the assets behind the affected CIs, as far as visible."""
    custodians: set[int] = set()
    for chunk in chunked(asset_ids_of(touched).tolist()):
        rows = Asset.objects.filter(pk__in=chunk, custodian__isnull=False)
        custodians.update(rows.values_list("custodian_id", flat=True))
    visible = 0
    for chunk in chunked(sorted(custodians)):
        visible += restrict(Person.objects.filter(pk__in=chunk), user, "view").count()
    return visible


def out_of_service() -> list[int]:
    """Current CIs already out of service: status maintenance, or an asset in repair or
    missing. They count as down before and after the action (a farm with a host in repair
    has less spare capacity than its member count says)."""
    rows = CI.objects.current().filter(
        Q(operational_status=OperationalStatusChoices.MAINTENANCE)
        | Q(asset__state__in=[AssetStateChoices.IN_REPAIR, AssetStateChoices.MISSING])
    )
    return list(rows.values_list("pk", flat=True))


def outage_preview(user: Any, ci_pks: Sequence[int]) -> OutagePreview:
    """The preview of taking ``ci_pks`` out of service (see the module docstring)."""
    already = [pk for pk in out_of_service() if pk not in set(ci_pks)]
    before = impact_of(already)
    impact = impact_of([*already, *ci_pks])
    service_ids = set(service_class_ids())
    services = service_pks(impact, service_ids)
    states = impact.state_of(services)
    earlier = before.state_of(services)
    # only what the action makes worse: newly affected, or degraded → down
    states = {pk: st for pk, st in states.items() if earlier.get(pk, 0) < st}
    facts = dict(CI.objects.filter(pk__in=list(states)).values_list("pk", "criticality"))
    down_before = {pk: down for pk, _, down, _ in groups_left_degraded(before)}
    groups = [g for g in groups_left_degraded(impact) if g[2] > down_before.get(g[0], 0)]
    reasons: list[str] = []
    visible = restrict(CI.objects.filter(pk__in=list(states) + [g[0] for g in groups]), user)
    names = dict(visible.values_list("pk", "name"))
    tier1_down = [pk for pk, state in states.items() if state == DOWN and facts.get(pk) == 1]
    for pk in sorted(tier1_down, key=lambda p: names.get(p, "")):
        name = names.get(pk, "you may not see")
        reasons.append(f"tier-1 service {name} goes down")
    for pk, members, down, tolerates in groups:
        if down >= tolerates:
            name = names.get(pk, "a redundancy group you may not see")
            reasons.append(
                f"{name} is left with no spare capacity ({down} of {members} members down, "
                f"tolerates {tolerates}): one more failure takes it down"
            )
    listed = sorted(
        (
            (pk, names[pk], facts.get(pk, 3), "down" if states[pk] == DOWN else "degraded")
            for pk in states
            if pk in names
        ),
        key=lambda row: (row[3] != "down", row[2], row[1]),
    )
    alone = impact_of(ci_pks)
    return OutagePreview(
        services=listed,
        people=_people(user, alone.touched()),
        redundancy=[
            (pk, names[pk], members, down, tolerates)
            for pk, members, down, tolerates in groups
            if pk in names
        ],
        reasons=reasons,
        affected=int(alone.affected.size),
    )
