"""Audit evidence: the reports an auditor asks for, each computed as of a past date from
timestamped rows and the audit trail, exported as a zip with a manifest and SHA-256 checksums
(docs/security.md, "Evidence").

Reports (CSV unless noted): ``custody.csv`` who held which device when; ``devices.csv``
devices (CIs linked to an asset) that were unmanaged or unencrypted, from their attributes as
of the date; ``changes.csv`` changes that touched an in-scope CI (tier 1 or 2) in the period;
``policies.csv`` each policy's latest run at the date, with failing CIs; ``audit-chain.json``
the audit chain up to the date (event count, head position and hash). The same date gives the
same report bytes, so the checksums prove an export unchanged; the manifest adds when and by
whom it was generated, and ``audit verify`` of the whole chain at that time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict_related
from assetgraph.assets.models import Asset, CustodyRecord
from assetgraph.audit.models import AuditEvent
from assetgraph.audit.services import record_event, verify_chain
from assetgraph.changes.models import ChangeCI, ChangeRecord
from assetgraph.cmdb.history import states_at
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.core.errors import PermissionDenied, ValidationFailed
from assetgraph.core.tabular import write_csv

from .models import EvidencePackage, Policy, PolicyResult
from .policies import runs_as_of
from .reads import visible

REPORTS = ("custody.csv", "devices.csv", "changes.csv", "policies.csv", "audit-chain.json")
IN_SCOPE_TIERS = (1, 2)


def _iso(value: dt.datetime | dt.date | None) -> str:
    return value.isoformat() if value else ""


def custody_report(user: Any, as_of: dt.datetime) -> bytes:
    """Every custody period started by ``as_of``, as it stood then."""
    records = CustodyRecord.objects.filter(checked_out_at__lte=as_of).select_related(
        "asset", "person", "location", "parent"
    )
    if user is not None:
        records = restrict_related(records, "asset", Asset, user)
    records = records.order_by("asset__asset_tag", "checked_out_at", "pk")
    rows = []
    for record in records:
        returned = (
            record.checked_in_at if record.checked_in_at and record.checked_in_at <= as_of else None
        )
        holder = record.person or record.location or record.parent
        rows.append(
            [
                record.asset.asset_tag,
                str(record.asset),
                str(holder or ""),
                "person" if record.person_id else "location" if record.location_id else "asset",
                _iso(record.checked_out_at),
                _iso(returned),
                "yes" if returned is None else "no",
            ]
        )
    header = ["asset_tag", "asset", "holder", "holder_kind", "from", "to", "held_at_date"]
    return write_csv(header, rows)


def devices_report(user: Any, as_of: dt.datetime) -> bytes:
    """Devices (CIs linked to an asset) that existed at ``as_of`` and were unmanaged
    (``managed`` attribute not true) or unencrypted (``encrypted`` not true) then."""
    cis = visible(CI.objects.as_of(as_of).filter(asset__isnull=False), user)
    ids = list(cis.values_list("pk", flat=True))
    states = states_at("cmdb.ci", ids, as_of)
    names = dict(cis.values_list("pk", "name"))
    rows = []
    for pk in sorted(ids, key=lambda p: (names[p], p)):
        attributes = (states.get(str(pk)) or {}).get("attributes") or {}
        managed = attributes.get("managed") is True
        encrypted = attributes.get("encrypted") is True
        if managed and encrypted:
            continue
        rows.append([pk, names[pk], "yes" if managed else "no", "yes" if encrypted else "no"])
    return write_csv(["ci_id", "device", "managed", "encrypted"], rows)


def changes_report(user: Any, start: dt.datetime, as_of: dt.datetime) -> bytes:
    """Changes recorded by ``as_of`` whose CIs include a tier 1-2 CI and whose work (actual,
    else planned, start) fell in the period."""
    visible_changes = visible(ChangeRecord.objects.all(), user)
    visible_cis = visible(CI.objects.all(), user)
    items = (
        ChangeCI.objects.filter(
            change__in=visible_changes,
            ci__in=visible_cis,
            change__created__lte=as_of,
            ci__criticality__in=IN_SCOPE_TIERS,
        )
        .filter(
            Q(change__actual_start__range=(start, as_of))
            | Q(change__actual_start__isnull=True, change__planned_start__range=(start, as_of))
        )
        .select_related("change", "ci")
    )
    rows = [
        [
            item.change_id,
            item.change.title,
            item.ci.name,
            item.ci.criticality,
            _iso(item.change.actual_start or item.change.planned_start),
            item.change.state,
        ]
        for item in items.order_by("change_id", "ci__name")
    ]
    return write_csv(["change_id", "change", "ci", "ci_tier", "start", "state"], rows)


def policies_report(user: Any, as_of: dt.datetime) -> bytes:
    """Each policy's latest run at ``as_of`` and the CIs failing it then."""
    policies = list(visible(Policy.objects.all(), user).order_by("name"))
    runs = runs_as_of(policies, as_of)
    rows: list[list[Any]] = []
    for policy in policies:
        run = runs[policy.pk]
        if run is None:
            rows.append([policy.name, "", "", "", "", "", "", "not evaluated by this date"])
            continue
        results = PolicyResult.objects.filter(run=run).select_related("ci").order_by("ci__name")
        rows.append(
            [
                policy.name,
                _iso(run.evaluated_at),
                run.in_scope,
                run.passed,
                run.failed,
                run.exempt,
                "",
                "",
            ]
        )
        for result in results:
            rows.append(
                [
                    policy.name,
                    _iso(run.evaluated_at),
                    "",
                    "",
                    "",
                    "",
                    result.ci.name,
                    f"{result.outcome}: {result.detail}",
                ]
            )
    header = ["policy", "evaluated_at", "in_scope", "passed", "failed", "exempt", "ci", "result"]
    return write_csv(header, rows)


def verify_report(as_of: dt.datetime) -> tuple[bytes, dict[str, Any]]:
    """The audit chain up to ``as_of`` (events, and the last sealed event's position and
    hash, which anyone can check against the trail), and ``audit verify`` of the whole chain
    now (in the manifest: it grows with the trail, so it is not part of the dated report)."""
    events = AuditEvent.objects.filter(timestamp__lte=as_of)
    head = (
        events.filter(chain_seq__isnull=False)
        .order_by("-chain_seq")
        .values_list("chain_seq", "hash")
        .first()
    )
    body = {
        "as_of": as_of.isoformat(),
        "events_up_to_as_of": events.count(),
        "chain_head_seq": head[0] if head else None,
        "chain_head_hash": head[1] if head else None,
    }
    result = verify_chain()
    now = {
        "ok": result.ok,
        "checked": result.checked,
        "unsealed": result.unsealed,
        "broken_event_id": result.broken_event_id,
        "reason": result.reason,
    }
    return json.dumps(body, indent=2, sort_keys=True).encode(), now


def build_reports(
    user: Any, as_of: dt.datetime, start: dt.datetime | None = None
) -> dict[str, bytes]:
    """Every report as of a date (the period for changes defaults to the 90 days before)."""
    start = start or as_of - dt.timedelta(days=90)
    if start > as_of:
        raise ValidationFailed(
            "period_start: after as_of", fields={"period_start": ["after as_of"]}
        )
    return {
        "custody.csv": custody_report(user, as_of),
        "devices.csv": devices_report(user, as_of),
        "changes.csv": changes_report(user, start, as_of),
        "policies.csv": policies_report(user, as_of),
        "audit-chain.json": verify_report(as_of)[0],
    }


def manifest_of(
    reports: dict[str, bytes], as_of: dt.datetime, start: dt.datetime | None, who: str
) -> dict[str, Any]:
    """The manifest: parameters, ``audit verify`` now, and each file's size and SHA-256."""
    return {
        "generated_at": timezone.now().isoformat(),
        "audit_verify": verify_report(as_of)[1],
        "as_of": as_of.isoformat(),
        "period_start": start.isoformat() if start else None,
        "generated_by": who,
        "files": [
            {"name": name, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            for name, body in sorted(reports.items())
        ],
    }


def export_evidence(
    actor: Actor, as_of: dt.datetime, start: dt.datetime | None = None
) -> tuple[bytes, EvidencePackage]:
    """Build the reports, zip them with ``manifest.json`` and ``SHA256SUMS``, and record the
    package (audited)."""
    user = actor.user
    if not actor.is_system and not has_perm(user, "security.evidencepackage", "add"):
        raise PermissionDenied("you may not export evidence")
    reports = build_reports(user, as_of, start)
    manifest = manifest_of(reports, as_of, start, actor.display)
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
    sums = "".join(f"{f['sha256']}  {f['name']}\n" for f in manifest["files"]).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in sorted(reports.items()):
            archive.writestr(name, body)
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("SHA256SUMS", sums)
    with transaction.atomic():
        package = EvidencePackage.objects.create(
            as_of=as_of,
            period_start=start,
            reports=sorted(reports),
            manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
            requested_by=user,
        )
        record_event(
            actor,
            "export",
            package,
            after={
                "as_of": as_of.isoformat(),
                "manifest_sha256": package.manifest_sha256,
                "files": manifest["files"],
            },
        )
    return buffer.getvalue(), package
