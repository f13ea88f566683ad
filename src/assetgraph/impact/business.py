"""Business facts on an impact answer: the flags of every CI on the path and the money at
stake (docs/both-layers.md).

The facts come from the apps that own them through their declarations
(:mod:`assetgraph.framework.flags`): ITAM (warranty, end of life), the CMDB (planned
decommissioning), finance (support contracts, replacement, service costs, book values) and
licences (unlicensed software). Nothing is copied into the CMDB.

Which CIs: the failed CIs, then the visible affected infrastructure nearest the failure (by
hop depth), at most :data:`FLAG_SCAN_CAP` of them (``business_flags`` is then listed in
``truncated``); end-user devices are not on the path (their users are counted instead).
Money: the monthly cost of each listed business service and the total of those that go
down; the net book value of each failed CI's hardware and their total. Amounts are in the
base currency, or per currency when a rate is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.utils import timezone

from assetgraph.cmdb.models import CI
from assetgraph.framework.flags import (
    Money,
    book_values,
    business_flags,
    money_totals,
    service_monthly_costs,
)

from .affected import Affected
from .report import FlaggedCI, ImpactMoney, ImpactReport, ListedCI, ServiceCost, ValuedCI

FLAG_SCAN_CAP = 2000


def _day(affected: Affected) -> dt.date:
    """The day the facts are judged on: the analysis time's day (today when current)."""
    return timezone.localdate(affected.as_of) if affected.as_of else timezone.localdate()


def flag_rows(
    user: Any, states: dict[int, str], day: dt.date, values: dict[int, Money] | None = None
) -> list[FlaggedCI]:
    """The flagged CIs among ``states`` (``{pk: failed | down | degraded}``), failed first,
    then down, then degraded, by name; ``values`` adds book values."""
    flags = business_flags(user, list(states), day)
    flagged = [pk for pk in states if pk in flags]
    cis = CI.objects.select_related("ci_class").in_bulk(flagged) if flagged else {}
    values = values or {}
    order = {"failed": 0, "down": 1, "degraded": 2}
    rows = [
        FlaggedCI(cis[pk], states[pk], flags[pk], values.get(pk)) for pk in flagged if pk in cis
    ]
    rows.sort(key=lambda r: (order.get(r.state, 3), r.ci.name))
    return rows


def money_at_stake(
    user: Any,
    services: Sequence[tuple[CI | ListedCI, str]],
    failed: Sequence[CI],
    day: dt.date,
    values: dict[int, Money] | None = None,
) -> ImpactMoney:
    """Each service's monthly cost (``services``: (CI, state)), the total of those down, and
    the failed CIs' net book values."""
    costs = service_monthly_costs(user, [ci.pk for ci, _ in services], day)
    listed = [ServiceCost(ci, state, costs[ci.pk]) for ci, state in services if ci.pk in costs]
    if values is None:
        values = book_values(user, [ci.pk for ci in failed], day)
    failed_values = [ValuedCI(ci, values[ci.pk]) for ci in failed if ci.pk in values]
    return ImpactMoney(
        services=listed,
        down_monthly_cost=money_totals([s.monthly_cost for s in listed if s.state == "down"]),
        failed=failed_values,
        failed_book_value=money_totals([v.book_value for v in failed_values]),
    )


def add_business_facts(affected: Affected, report: ImpactReport) -> None:
    """Fill ``report.business_flags`` and ``report.money`` (a few queries per source)."""
    user = affected.viewer.user
    day = _day(affected)
    nearest = np.flatnonzero(~affected.endpoint)
    if not affected.depth_ordered:  # the engine's BFS order is by depth: rarely taken
        nearest = nearest[np.argsort(affected.depths[nearest], kind="stable")]
    if nearest.size > FLAG_SCAN_CAP:
        report.truncated.append("business_flags")
        nearest = nearest[:FLAG_SCAN_CAP]
    states = {ci.pk: "failed" for ci in report.failed}
    down = affected.down[nearest].tolist()  # infrastructure: down or degraded
    for pk, is_down in zip(affected.pks_at(nearest).tolist(), down, strict=True):
        states.setdefault(pk, "down" if is_down else "degraded")
    values = book_values(user, [ci.pk for ci in report.failed], day)
    report.business_flags = flag_rows(user, states, day, values)
    report.money = money_at_stake(
        user, [(item.ci, item.state) for item in report.services], report.failed, day, values
    )
