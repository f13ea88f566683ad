"""Contracts: documents with checked type and size, renewal alerts at the notice date,
monthly cost shares of the items a contract covers, and the coverage-gap report.

Renewal: a contract's *term end* is its end date, or — when it auto-renews — the end of the
renewal term running on the day asked (end date + k x renewal months, the first not before
that day). Its *notice date* is the term end minus ``notice_days``. The alert fires on the
notice date and stays up until the term end: :func:`renewal_alerts` lists every contract
whose notice date is on or before the day and whose term end is not yet past.

Cost share: a contract's monthly cost (cost per billing period ÷ months in the period) is
split equally among the items it covers (assets plus CIs that are not those assets' CIs),
for every month the contract is in force (start to term end).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.assets.models import add_months
from assetgraph.audit.services import record_event
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed

from .choices import DocumentKindChoices
from .models import Contract, ContractDocument

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Extension → (content type, magic prefixes the content must start with).
DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "txt": ("text/plain", (b"",)),
}


def attach_document(
    actor: Actor, contract: Contract, kind: str, filename: str, data: bytes
) -> ContractDocument:
    """Attach a file: PDF, PNG, JPEG, DOCX, XLSX or plain text, at most 10 MB, whose content
    matches its extension (a renamed executable is refused). Audited on the contract."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind not in DocumentKindChoices.values:
        raise ValidationFailed(
            f"kind: use one of {DocumentKindChoices.values}", fields={"kind": ["unknown"]}
        )
    if extension not in DOCUMENT_TYPES:
        allowed = ", ".join(sorted(DOCUMENT_TYPES))
        raise ValidationFailed(
            f"file: .{extension or '?'} is not accepted (use {allowed})", fields={"file": ["type"]}
        )
    if not data:
        raise ValidationFailed("file: the file is empty", fields={"file": ["empty"]})
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed("file: larger than 10 MB", fields={"file": ["too large"]})
    content_type, magics = DOCUMENT_TYPES[extension]
    if extension == "txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(
                "file: a .txt must be UTF-8 text", fields={"file": ["type"]}
            ) from None
    elif not any(data.startswith(magic) for magic in magics):
        raise ValidationFailed(
            f"file: the content is not a .{extension} file", fields={"file": ["type"]}
        )
    with transaction.atomic():
        authorize(actor, "change", contract)
        document = ContractDocument.objects.create(
            contract=contract,
            kind=kind,
            filename=filename[-200:],
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            uploaded_at=timezone.now(),
            uploaded_by=str(actor.display)[:150],
        )
        record_event(
            actor,
            "attach",
            contract,
            after={
                "document": document.pk,
                "filename": document.filename,
                "size": document.size,
                "kind": kind,
                "sha256": document.sha256,
            },
        )
    return document


def term_end(contract: Contract, on: dt.date) -> dt.date:
    """The end of the term running on ``on`` (auto-renewal rolls the end date on)."""
    end = contract.end_date
    if not contract.auto_renew:
        return end
    step = 0
    while end < on and step < 1200:
        step += 1
        end = add_months(contract.end_date, contract.renewal_months * step)
    return end


def notice_date(contract: Contract, on: dt.date) -> dt.date:
    """The last day to give notice for the term running on ``on``."""
    return term_end(contract, on) - dt.timedelta(days=contract.notice_days)


@dataclass(frozen=True)
class RenewalAlert:
    contract: Contract
    notice_date: dt.date
    term_end: dt.date

    def as_dict(self) -> dict[str, Any]:
        c = self.contract
        return {
            "id": c.pk,
            "name": c.name,
            "kind": c.kind,
            "supplier": str(c.supplier),
            "auto_renew": c.auto_renew,
            "notice_date": self.notice_date,
            "term_end": self.term_end,
            "cost_per_period": c.cost_per_period,
            "billing_period": c.billing_period,
            "currency": c.currency,
        }


def renewal_alerts(contracts: QuerySet[Contract], on: dt.date) -> list[RenewalAlert]:
    """Contracts whose notice date has come (on or before ``on``) and whose term has not
    ended, soonest notice first."""
    alerts = []
    for contract in (
        contracts.filter(start_date__lte=on)
        .filter(Q(auto_renew=True) | Q(end_date__gte=on))
        .select_related("supplier")
    ):
        end = term_end(contract, on)
        notice = end - dt.timedelta(days=contract.notice_days)
        if notice <= on <= end:
            alerts.append(RenewalAlert(contract, notice, end))
    return sorted(alerts, key=lambda a: (a.notice_date, a.contract.name))


def in_force(contract: Contract, on: dt.date) -> bool:
    """Whether the contract covers ``on`` (start to term end, auto-renewal included)."""
    return contract.start_date <= on <= term_end(contract, on)


def active_covered_asset_ids(on: dt.date, kinds: Iterable[str] | None = None) -> set[int]:
    """Assets covered on ``on`` by a contract in force (of the given kinds), directly or
    through their CI."""
    contracts = Contract.objects.filter(start_date__lte=on)
    if kinds is not None:
        contracts = contracts.filter(kind__in=list(kinds))
    covered: set[int] = set()
    for contract in contracts.prefetch_related("assets", "cis"):
        if not in_force(contract, on):
            continue
        covered.update(a.pk for a in contract.assets.all())
        covered.update(ci.asset_id for ci in contract.cis.all() if ci.asset_id)
    return covered


def monthly_contract_costs(
    month: dt.date,
) -> tuple[dict[int, dict[str, Decimal]], dict[int, dict[str, Decimal]]]:
    """Each covered item's share of the contracts in force in ``month`` (its first day):
    ``({asset id: {currency: amount}}, {ci id: {currency: amount}})``, unrounded; a CI that
    is a covered asset's CI is counted once, through the asset."""
    assets: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    cis: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for contract in Contract.objects.filter(
        start_date__lte=month + dt.timedelta(days=31)
    ).prefetch_related("assets", "cis"):
        if not in_force(contract, month) and not in_force(
            contract, add_months(month, 1) - dt.timedelta(days=1)
        ):
            continue
        asset_ids = {a.pk for a in contract.assets.all()}
        ci_ids = {ci.pk for ci in contract.cis.all() if ci.asset_id not in asset_ids}
        items = len(asset_ids) + len(ci_ids)
        if not items:
            continue
        share = contract.monthly_cost / items
        for pk in asset_ids:
            assets[pk][contract.currency] += share
        for pk in ci_ids:
            cis[pk][contract.currency] += share
    return assets, cis


@dataclass(frozen=True)
class CoverageGap:
    """Hardware some tier-1/2 business service needs, with no support or warranty."""

    asset: Any
    ci_pk: int
    services: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset.pk,
            "asset_tag": self.asset.asset_tag,
            "name": str(self.asset),
            "ci_id": self.ci_pk,
            "warranty_end": self.asset.warranty_end,
            "services": self.services,
        }


SUPPORT_KINDS = ("maintenance", "warranty")


def coverage_gaps(
    on: dt.date, visible_assets: QuerySet[Any], max_tier: int = 2
) -> list[CoverageGap]:
    """Hardware on the dependency path of a tier-1/2 business service (the graph answers
    which CIs each service needs) whose warranty has ended (or is unknown) and that no
    maintenance or warranty contract in force covers, directly or through its CI."""
    from assetgraph.cmdb.context import service_class_ids
    from assetgraph.cmdb.models import CI
    from assetgraph.impact.costs import needed_by

    services = dict(
        CI.objects.current()
        .filter(ci_class__in=service_class_ids(), criticality__lte=max_tier)
        .values_list("pk", "name")
    )
    needs = needed_by(services)
    by_ci: dict[int, list[str]] = defaultdict(list)
    for service_pk, cis in needs.items():
        for ci_pk in cis:
            by_ci[ci_pk].append(services[service_pk])
    hardware = dict(
        CI.objects.filter(pk__in=list(by_ci), asset__isnull=False).values_list("asset_id", "pk")
    )
    covered = active_covered_asset_ids(on, SUPPORT_KINDS)
    candidates = visible_assets.filter(pk__in=list(hardware)).exclude(pk__in=covered)
    candidates = candidates.filter(Q(warranty_end__isnull=True) | Q(warranty_end__lt=on))
    return [
        CoverageGap(asset, hardware[asset.pk], sorted(set(by_ci[hardware[asset.pk]])))
        for asset in candidates.select_related("model").order_by("asset_tag")
    ]


def covered_ci_pks(contract: Contract) -> list[int]:
    """The current CIs a contract covers: its CIs and its assets' CIs."""
    from assetgraph.cmdb.models import CI

    assets = [a.pk for a in contract.assets.all()]
    cis = {ci.pk for ci in contract.cis.all() if ci.valid_to is None}
    cis.update(CI.objects.current().filter(asset_id__in=assets).values_list("pk", flat=True))
    return sorted(cis)


def lapse_section(request: Any, contract: Contract) -> dict[str, Any] | None:
    """The contract page's "If it lapses" section: what depends on what it covers, from the
    impact engine (the covered CIs taken out of service together: the worst case of losing
    support; docs/both-layers.md)."""
    from django.urls import reverse

    from assetgraph.framework.flags import outage_preview

    def page(pk: int) -> str:
        return reverse("ui:cmdb:ci_detail", args=[pk])

    pks = covered_ci_pks(contract)
    preview = outage_preview(getattr(request, "user", None), pks) if pks else None
    if preview is None:
        return None
    rows: list[list[Any]] = [
        [{"text": name, "url": page(pk)}, f"tier {tier}", state]
        for pk, name, tier, state in preview.services
    ]
    rows += [
        [
            {"text": name, "url": page(pk)},
            "redundancy group",
            f"{down} of {members} members down (tolerates {tolerates})",
        ]
        for pk, name, members, down, tolerates in preview.redundancy
    ]
    return {
        "title": "If it lapses: what depends on what it covers",
        "fields": [
            ("Covered CIs", str(len(pks))),
            ("Tier-1 impact", "; ".join(preview.reasons) or "none"),
        ],
        "headers": ["Depends on the covered items", "Tier / kind", "If they all failed"],
        "rows": rows,
    }
