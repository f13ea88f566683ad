"""End of life: importing release cycles in endoflife.date's format and flagging software,
operating systems and hardware models as supported, nearing end of life or past it.

endoflife.date's per-product document is a list of cycles:
``{"cycle": "22.04", "releaseDate": "2022-04-21", "support": "2027-04-01"|false,
"eol": "2032-04-01"|true|false, "latest": "22.04.5", ...}``. ``eol: true`` means ended (no
date), ``false`` means no end announced. A CI's OS is its ``os``/``os_version`` attributes;
software is an install whose product name is one of the product's names; the cycle is the
longest cycle equal to the version or a dotted prefix of it (``9.4`` is in cycle ``9``).
Hardware uses the ITAM asset's ``eol_date`` (from its model's end-of-life months).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.audit.services import EventSpec, record_events
from assetgraph.cmdb.models import CI, SoftwareInstall
from assetgraph.core.actor import Actor
from assetgraph.core.errors import PermissionDenied, ValidationFailed

from .models import EndOfLifeCycle, EndOfLifeProduct

DEFAULT_WARNING_DAYS = 180
# Names that mean an endoflife.date product when an import does not say (case-insensitive).
KNOWN_NAMES = {
    "ubuntu": ["Ubuntu"],
    "rhel": ["Red Hat Enterprise Linux", "RHEL", "RedHat"],
    "debian": ["Debian", "Debian GNU/Linux"],
    "windows-server": ["Windows Server", "Microsoft Windows Server"],
    "centos": ["CentOS", "CentOS Linux"],
    "esxi": ["VMware ESXi", "ESXi"],
    "postgresql": ["PostgreSQL"],
    "python": ["Python", "CPython"],
    "nodejs": ["Node.js", "nodejs"],
}


def _date(value: Any, where: str, name: str) -> tuple[dt.date | None, bool]:
    """(date, reached) of an endoflife.date field: a date, true (ended) or false/absent."""
    if value is None or value is False:
        return None, False
    if value is True:
        return None, True
    if isinstance(value, dt.date):
        return value, False
    try:
        return dt.date.fromisoformat(str(value)), False
    except ValueError:
        raise ValidationFailed(
            f"{where}: {name}: not a date, true or false", fields={f"{where}.{name}": ["invalid"]}
        ) from None


def parse_cycles(data: bytes | str | list[Any]) -> list[dict[str, Any]]:
    """The cycles of an endoflife.date document; every bad row named (all or nothing)."""
    try:
        doc = json.loads(data) if isinstance(data, bytes | str) else data
    except ValueError as exc:
        raise ValidationFailed(
            f"file: not valid JSON ({exc})", fields={"file": ["invalid JSON"]}
        ) from None
    if not isinstance(doc, list):
        raise ValidationFailed(
            "file: a list of release cycles expected", fields={"file": ["not a list"]}
        )
    rows, errors = [], {}
    for number, item in enumerate(doc):
        where = f"row {number + 1}"
        try:
            if not isinstance(item, dict) or not str(item.get("cycle") or "").strip():
                raise ValidationFailed(
                    f"{where}: cycle: required", fields={f"{where}.cycle": ["required"]}
                )
            release, _ = _date(item.get("releaseDate"), where, "releaseDate")
            support, _support_over = _date(item.get("support"), where, "support")
            eol, reached = _date(item.get("eol"), where, "eol")
            rows.append(
                {
                    "cycle": str(item["cycle"]).strip()[:50],
                    "release_date": release,
                    "support_end": support,
                    "eol": eol,
                    "eol_reached": reached,
                    "latest": str(item.get("latest") or "")[:100],
                }
            )
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(
            f"{len(errors)} bad row(s); nothing imported. First: {first}", fields=errors
        )
    return rows


def import_cycles(
    actor: Actor, product: str, rows: Sequence[dict[str, Any]], names: Iterable[str] = ()
) -> tuple[int, int]:
    """Create or update a product's cycles (by cycle); returns (created, updated)."""
    if not actor.is_system and not has_perm(actor.user, "security.endoflifecycle", "add"):
        raise PermissionDenied("you may not add security.endoflifecycle")
    slug = slugify(product)[:100]
    if not slug:
        raise ValidationFailed("product: required", fields={"product": ["required"]})
    created = updated = 0
    with transaction.atomic():
        record, new = EndOfLifeProduct.objects.get_or_create(
            slug=slug, defaults={"names": list(names) or KNOWN_NAMES.get(slug, [product])}
        )
        if names and not new:
            record.names = sorted({*record.names, *names})
            record.save(update_fields=["names", "updated"])
        existing = {c.cycle: c for c in EndOfLifeCycle.objects.filter(product=record)}
        specs = []
        for row in rows:
            cycle = existing.get(row["cycle"])
            if cycle is None:
                cycle = EndOfLifeCycle.objects.create(product=record, **row)
                created += 1
                specs.append(
                    EventSpec(
                        "security.endoflifecycle",
                        cycle.pk,
                        "create",
                        None,
                        _view(cycle),
                        str(cycle),
                    )
                )
                continue
            before = _view(cycle)
            for name, value in row.items():
                setattr(cycle, name, value)
            if _view(cycle) != before:
                cycle.save()
                updated += 1
                specs.append(
                    EventSpec(
                        "security.endoflifecycle",
                        cycle.pk,
                        "update",
                        before,
                        _view(cycle),
                        str(cycle),
                    )
                )
        record_events(actor, specs)
    return created, updated


def _view(cycle: EndOfLifeCycle) -> dict[str, Any]:
    return {
        "cycle": cycle.cycle,
        "release_date": cycle.release_date.isoformat() if cycle.release_date else None,
        "support_end": cycle.support_end.isoformat() if cycle.support_end else None,
        "eol": cycle.eol.isoformat() if cycle.eol else None,
        "eol_reached": cycle.eol_reached,
        "latest": cycle.latest,
    }


def status_of(
    eol: dt.date | None, reached: bool, today: dt.date, warning_days: int = DEFAULT_WARNING_DAYS
) -> tuple[str, int | None]:
    """(status, days left): past when the date has passed or ``eol`` is true; nearing within
    ``warning_days``; supported otherwise; unknown without a date."""
    if reached:
        return "past", None
    if eol is None:
        return "supported", None
    days = (eol - today).days
    if days < 0:
        return "past", days
    if days <= warning_days:
        return "nearing", days
    return "supported", days


@dataclass(frozen=True)
class EolRow:
    """One thing flagged: software, an OS or a hardware asset."""

    kind: str  # "software" | "os" | "hardware"
    ci: CI | None
    asset: Asset | None
    product: str
    version: str
    cycle: str
    eol: dt.date | None
    status: str
    days_left: int | None


def _visible(queryset: Any, user: Any) -> Any:
    """``queryset`` as ``user`` may view it; everything for the system (user None)."""
    return queryset if user is None else restrict(queryset, user, "view")


def _cycle_for(version: str, cycles: Sequence[EndOfLifeCycle]) -> EndOfLifeCycle | None:
    best = None
    for cycle in cycles:
        matches = version == cycle.cycle or version.startswith(f"{cycle.cycle}.")
        if matches and (best is None or len(cycle.cycle) > len(best.cycle)):
            best = cycle
    return best


def _catalogue() -> dict[str, tuple[str, list[EndOfLifeCycle]]]:
    """Lower-cased name → (product slug, cycles)."""
    found: dict[str, tuple[str, list[EndOfLifeCycle]]] = {}
    for product in EndOfLifeProduct.objects.prefetch_related("cycles"):
        cycles = list(product.cycles.all())
        for name in [product.slug, *product.names]:
            found[str(name).lower()] = (product.slug, cycles)
    return found


def eol_report(
    user: Any,
    *,
    today: dt.date | None = None,
    warning_days: int = DEFAULT_WARNING_DAYS,
    ci_ids: Iterable[int] | None = None,
) -> list[EolRow]:
    """Everything the user may see with an end-of-life date: CIs' operating systems,
    installed software, and hardware assets (their model's end of life)."""
    today = today or timezone.localdate()
    catalogue = _catalogue()
    rows: list[EolRow] = []
    cis = _visible(CI.objects.current(), user).select_related("ci_class")
    if ci_ids is not None:
        cis = cis.filter(pk__in=list(ci_ids))
    if catalogue:
        for ci in cis.filter(attributes__has_key="os"):
            os_name = str(ci.attributes.get("os") or "")
            version = str(ci.attributes.get("os_version") or "")
            entry = catalogue.get(os_name.lower())
            if entry is None or not version:
                continue
            cycle = _cycle_for(version, entry[1])
            if cycle is None:
                continue
            status, days = status_of(cycle.eol, cycle.eol_reached, today, warning_days)
            rows.append(
                EolRow("os", ci, None, os_name, version, cycle.cycle, cycle.eol, status, days)
            )
        installs = _visible(SoftwareInstall.objects.filter(ci__in=cis), user)
        for install in installs.select_related("product", "ci"):
            entry = catalogue.get(install.product.name.lower())
            if entry is None or not install.version:
                continue
            cycle = _cycle_for(install.version, entry[1])
            if cycle is None:
                continue
            status, days = status_of(cycle.eol, cycle.eol_reached, today, warning_days)
            rows.append(
                EolRow(
                    "software",
                    install.ci,
                    None,
                    install.product.name,
                    install.version,
                    cycle.cycle,
                    cycle.eol,
                    status,
                    days,
                )
            )
    assets = _visible(Asset.objects.filter(eol_date__isnull=False), user).select_related("model")
    ci_of_asset = dict(
        CI.objects.current().filter(asset__isnull=False).values_list("asset_id", "pk")
    )
    visible_cis = {ci.pk: ci for ci in cis.filter(pk__in=list(ci_of_asset.values()))}
    for asset in assets:
        status, days = status_of(asset.eol_date, False, today, warning_days)
        if status == "supported":
            continue
        ci = visible_cis.get(ci_of_asset.get(asset.pk, 0))
        if ci_ids is not None and ci is None:
            continue
        rows.append(
            EolRow("hardware", ci, asset, str(asset.model), "", "", asset.eol_date, status, days)
        )
    order = {"past": 0, "nearing": 1, "supported": 2, "unknown": 3}
    return sorted(rows, key=lambda r: (order[r.status], r.eol or dt.date.max, r.product))


def eol_counts(rows: Iterable[EolRow]) -> dict[str, int]:
    """Rows by status."""
    counts = {"past": 0, "nearing": 0, "supported": 0}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts
