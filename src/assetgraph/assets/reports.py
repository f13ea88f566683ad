"""Read-only reports and alerts over assets (warranty, returns, end of life, leavers, audits;
counts by state, category, location, department, custodian; aging by purchase date).

Each function takes an already restricted queryset, so every surface (API, UI, CLI) applies
the caller's permissions before asking. Every count report is one grouped query (plus one to
hide labels of references the caller may not see), whatever the number of assets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, Q, QuerySet

from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Department, Location, Person

from .choices import AssetStateChoices
from .models import Asset, Category, add_months
from .querysets import ASSET_RELATED

ACTIVE = ~Q(state=AssetStateChoices.RETIRED)


def warranty_expiring(assets: QuerySet[Asset], days: int, today: dt.date) -> QuerySet[Asset]:
    """Assets in service whose warranty ends within ``days`` (today included)."""
    end = today + dt.timedelta(days=days)
    return (
        assets.filter(ACTIVE, warranty_end__gte=today, warranty_end__lte=end)
        .select_related(*ASSET_RELATED)
        .order_by("warranty_end", "pk")
    )


def overdue_returns(assets: QuerySet[Asset], today: dt.date) -> QuerySet[Asset]:
    """Assets in use whose expected return date has passed."""
    return (
        assets.filter(state=AssetStateChoices.IN_USE, expected_return__lt=today)
        .select_related(*ASSET_RELATED)
        .order_by("expected_return", "pk")
    )


def end_of_life_within(assets: QuerySet[Asset], months: int, today: dt.date) -> QuerySet[Asset]:
    """Assets in service reaching end of life within ``months`` (or already past it)."""
    return (
        assets.filter(ACTIVE, eol_date__lte=add_months(today, months))
        .select_related(*ASSET_RELATED)
        .order_by("eol_date", "pk")
    )


def leavers_with_assets(people: QuerySet[Person], assets: QuerySet[Asset]) -> list[Any]:
    """People who left or are leaving and still hold assets, with how many."""
    holders = assets.filter(custodian__isnull=False).values("custodian")
    return list(
        people.filter(
            status__in=[PersonStatusChoices.LEFT, PersonStatusChoices.LEAVING], pk__in=holders
        )
        .annotate(asset_count=Count("assets", filter=Q(assets__in=assets)))
        .order_by("end_date", "last_name", "pk")
    )


def counts_by_state(assets: QuerySet[Asset]) -> dict[str, int]:
    """How many assets are in each state."""
    rows = assets.order_by().values_list("state").annotate(n=Count("pk"))
    return dict(rows)


def audits_due(assets: QuerySet[Asset], days: int, today: dt.date) -> QuerySet[Asset]:
    """Assets in service never audited or whose next audit is due within ``days`` (or overdue).

    Never-audited assets come first (their due date is empty), then by due date.
    """
    end = today + dt.timedelta(days=days)
    return (
        assets.filter(ACTIVE)
        .filter(Q(next_audit_due__isnull=True) | Q(next_audit_due__lte=end))
        .select_related(*ASSET_RELATED)
        .order_by(models.F("next_audit_due").asc(nulls_first=True), "pk")
    )


def audits_overdue(assets: QuerySet[Asset], today: dt.date) -> QuerySet[Asset]:
    """Assets in service whose next audit date has passed."""
    return (
        assets.filter(ACTIVE, next_audit_due__lt=today)
        .select_related(*ASSET_RELATED)
        .order_by("next_audit_due", "pk")
    )


# --- count reports -------------------------------------------------------------------------

NONE_LABEL = "(none)"
HIDDEN_LABEL = "(hidden)"


@dataclass(frozen=True)
class ReportRow:
    """One line of a count report: a key (id or code), its label and the number of assets."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Report:
    """A count report: its name, title, the heading of its first column and the rows."""

    name: str
    title: str
    dimension: str
    rows: list[ReportRow]

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "dimension": self.dimension,
            "total": self.total,
            "rows": [{"key": r.key, "label": r.label, "count": r.count} for r in self.rows],
        }


def _grouped(
    assets: QuerySet[Asset], field: str, *labels: str
) -> list[tuple[Any, tuple[Any, ...], int]]:
    rows = assets.order_by().values_list(field, *labels).annotate(n=Count("pk"))
    return [(row[0], tuple(row[1:-1]), row[-1]) for row in rows]


def _visible_ids(model: type[models.Model], ids: list[Any], user: Any) -> set[Any] | None:
    """Ids among ``ids`` the user may see (``None``: everything, e.g. the CLI)."""
    if user is None:
        return None
    from assetgraph.accounts.permissions import restrict

    queryset = model._default_manager.filter(pk__in=[i for i in ids if i is not None])
    return set(restrict(queryset, user, "view").values_list("pk", flat=True))


def _reference_report(
    assets: QuerySet[Asset],
    user: Any,
    *,
    name: str,
    title: str,
    dimension: str,
    field: str,
    model: type[models.Model],
    labels: tuple[str, ...],
    label: Callable[[tuple[Any, ...]], str],
    none_label: str = NONE_LABEL,
) -> Report:
    grouped = _grouped(assets, field, *labels)
    visible = _visible_ids(model, [key for key, _, _ in grouped], user)
    rows = []
    for key, values, count in grouped:
        if key is None:
            rows.append(ReportRow("", none_label, count))
        elif visible is not None and key not in visible:
            rows.append(ReportRow("", HIDDEN_LABEL, count))
        else:
            rows.append(ReportRow(str(key), label(values), count))
    return Report(name, title, dimension, _merge(rows))


def _merge(rows: list[ReportRow]) -> list[ReportRow]:
    """Merge rows with the same key and label (the hidden ones), biggest first."""
    merged: dict[tuple[str, str], int] = {}
    for row in rows:
        merged[(row.key, row.label)] = merged.get((row.key, row.label), 0) + row.count
    result = [ReportRow(k, label, n) for (k, label), n in merged.items()]
    return sorted(result, key=lambda r: (-r.count, r.label.lower()))


def by_state(assets: QuerySet[Asset], user: Any = None) -> Report:
    """Assets per lifecycle state and substate."""
    from .lifecycle import state_label

    rows = [
        ReportRow(f"{state}.{substate}" if substate else state, state_label(state, substate), n)
        for state, (substate,), n in _grouped(assets, "state", "substate")
    ]
    order = list(AssetStateChoices.values)
    rows.sort(key=lambda r: (order.index(r.key.split(".")[0]), r.key))
    return Report("state", "Assets by state", "State", rows)


def by_category(assets: QuerySet[Asset], user: Any = None) -> Report:
    """Assets per category (catalogue data: visible to everyone who sees assets)."""
    return _reference_report(
        assets,
        None,
        name="category",
        title="Assets by category",
        dimension="Category",
        field="model__category",
        model=Category,
        labels=("model__category__name",),
        label=lambda v: str(v[0]),
    )


def by_location(assets: QuerySet[Asset], user: Any = None) -> Report:
    """Assets per registered location."""
    return _reference_report(
        assets,
        user,
        name="location",
        title="Assets by location",
        dimension="Location",
        field="location",
        model=Location,
        labels=("location__path",),
        label=lambda v: str(v[0]),
    )


def by_department(assets: QuerySet[Asset], user: Any = None) -> Report:
    """Assets per department of their custodian (assets not held by a person: none)."""
    return _reference_report(
        assets,
        user,
        name="department",
        title="Assets by department",
        dimension="Department",
        field="custodian__department",
        model=Department,
        labels=("custodian__department__name",),
        label=lambda v: str(v[0]),
        none_label="(not held by someone in a department)",
    )


def by_custodian(assets: QuerySet[Asset], user: Any = None) -> Report:
    """Assets per custodian (people holding assets)."""
    return _reference_report(
        assets.filter(custodian__isnull=False),
        user,
        name="custodian",
        title="Assets by custodian",
        dimension="Custodian",
        field="custodian",
        model=Person,
        labels=("custodian__first_name", "custodian__last_name", "custodian__employee_number"),
        label=lambda v: f"{v[0]} {v[1]} ({v[2]})".strip(),
    )


AGING_BUCKETS: list[tuple[str, str, int, int | None]] = [
    ("lt1", "Under 1 year", 0, 12),
    ("1to2", "1-2 years", 12, 24),
    ("2to3", "2-3 years", 24, 36),
    ("3to4", "3-4 years", 36, 48),
    ("4to5", "4-5 years", 48, 60),
    ("5plus", "5 years or more", 60, None),
]


def aging(assets: QuerySet[Asset], user: Any = None, today: dt.date | None = None) -> Report:
    """Assets in service by age since purchase, in yearly buckets (one aggregate query)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    active = assets.filter(ACTIVE)
    aggregates: dict[str, Any] = {}
    for key, _label, low, high in AGING_BUCKETS:
        condition = Q(purchase_date__lte=add_months(today, -low))
        if high is not None:
            condition &= Q(purchase_date__gt=add_months(today, -high))
        aggregates[key] = Count("pk", filter=condition)
    aggregates["unknown"] = Count("pk", filter=Q(purchase_date__isnull=True))
    aggregates["future"] = Count("pk", filter=Q(purchase_date__gt=today))
    counts = active.order_by().aggregate(**aggregates)
    rows = [ReportRow(key, label, counts[key] or 0) for key, label, _, _ in AGING_BUCKETS]
    rows[0] = ReportRow("lt1", rows[0].label, rows[0].count + (counts["future"] or 0))
    rows.append(ReportRow("unknown", "Purchase date unknown", counts["unknown"] or 0))
    return Report("aging", "Assets in service by age (purchase date)", "Age", rows)


REPORTS: dict[str, Callable[..., Report]] = {
    "state": by_state,
    "category": by_category,
    "location": by_location,
    "department": by_department,
    "custodian": by_custodian,
    "aging": aging,
}


def report_columns() -> list[tuple[str, Callable[[Any], Any]]]:
    """Export columns of a count report (``core.exporting`` escapes formula-like cells)."""
    return [
        ("key", lambda r: r.key),
        ("label", lambda r: r.label),
        ("count", lambda r: r.count),
    ]
