"""Writes of discovery: runs, the reconciliation queue, provenance releases, assets for
discovered hardware, and the rules (sources, identification rules, policies, compliance).

A run is all-or-nothing: the file is parsed whole, every item planned, and only a plan with
no error is written (one transaction, the bulk path, audit events attributed to the source
with ``source = discovery`` and the run's job id).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from assetgraph.accounts.permissions import authorize, has_perm
from assetgraph.cmdb.import_cis import CIImporter
from assetgraph.cmdb.models import CI
from assetgraph.cmdb.services import update_ci
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import Conflict, PermissionDenied, ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, update_instance
from assetgraph.framework.importing.base import collector_paused

from .connectors.ansible import parse_ansible, read_output, read_tree, read_zip
from .connectors.base import DiscoveredItem, ParseError
from .connectors.cyclonedx import parse_cyclonedx
from .connectors.ec2 import DEFAULT_TAG_RULES, parse_ec2
from .connectors.nmap import parse_nmap
from .engine import Planner
from .hooks import run_written
from .identify import fingerprint as _fingerprint
from .models import (
    AttributeObservation,
    ClassPolicy,
    ComplianceRule,
    ConnectorChoices,
    DataSource,
    DiscoveryRun,
    IdentificationRule,
    QueueStateChoices,
    ReconciliationItem,
    RunStateChoices,
    Sighting,
)
from .writer import apply, mark_absent

Progress = Callable[[int, int | None], None]


# --- reading files ---------------------------------------------------------------------------


def parse_file(
    connector: str,
    data: bytes | Path,
    source: DataSource,
    scope: str = "",
) -> list[DiscoveredItem]:
    """The items of one file (or, for Ansible, a ``--tree`` folder), or :class:`ParseError`."""
    if isinstance(data, Path) and not (connector == ConnectorChoices.ANSIBLE and data.is_dir()):
        data = data.read_bytes()
    if connector == ConnectorChoices.NMAP:
        assert isinstance(data, bytes)
        return parse_nmap(data)
    if connector == ConnectorChoices.ANSIBLE:
        if isinstance(data, Path):
            return parse_ansible(read_tree(data))
        if data[:4] == b"PK\x03\x04":
            return parse_ansible(read_zip(data))
        hosts = read_output(data, scope or "file")
        return parse_ansible(hosts)
    if connector == ConnectorChoices.CYCLONEDX:
        assert isinstance(data, bytes)
        # cyclonedx-py environment writes no metadata.component: the scope, else the source
        return parse_cyclonedx(data, application=scope or source.name)
    if connector == ConnectorChoices.EC2:
        assert isinstance(data, bytes)
        return parse_ec2(data, source.tag_rules or DEFAULT_TAG_RULES)
    raise ParseError(f"unknown connector {connector!r}")


# --- runs ------------------------------------------------------------------------------------


def check_may_run(actor: Actor) -> None:
    if actor.is_system:
        return
    if not has_perm(actor.user, "discovery.discoveryrun", "add"):
        raise PermissionDenied("you may not run discovery")


def run_discovery(
    actor: Actor,
    source: DataSource,
    data: bytes | Path,
    *,
    connector: str | None = None,
    scope: str = "",
    full_scan: bool = False,
    dry_run: bool = False,
    filename: str = "",
    progress: Progress | None = None,
    run: DiscoveryRun | None = None,
) -> DiscoveryRun:
    """Ingest one file from ``source``: parse, identify, reconcile, write (unless a dry
    run or any error). Returns the run with its counts, diff and messages."""
    check_may_run(actor)
    connector = connector or source.connector
    scope = scope or source.default_scope
    if run is None:
        run = DiscoveryRun.objects.create(
            source=source,
            connector=connector,
            scope=scope,
            full_scan=full_scan,
            dry_run=dry_run,
            filename=filename[:255],
            created_by=actor.user,
        )
    job_actor = actor.for_job(run.job_id.hex, Source.DISCOVERY)
    if connector == ConnectorChoices.CSV:
        return _run_generic(job_actor, run, data, filename, dry_run)
    with collector_paused():
        return _run_connector(
            job_actor, run, source, data, connector, scope, full_scan, dry_run, progress
        )


def _run_connector(
    job_actor: Actor,
    run: DiscoveryRun,
    source: DataSource,
    data: bytes | Path,
    connector: str,
    scope: str,
    full_scan: bool,
    dry_run: bool,
    progress: Progress | None,
) -> DiscoveryRun:
    try:
        items = parse_file(connector, data, source, scope)
    except ParseError as exc:
        return _finish(run, errors=[str(exc)])
    now = timezone.now()
    planner = Planner(source, now)
    plan = planner.run(items, progress)
    run.items = len(items)
    counts = plan.counts()
    if plan.errors:
        return _finish(run, errors=plan.errors, counts=counts, diff=plan.diff)
    events = 0
    absent = 0
    if not dry_run:
        try:
            events = apply(job_actor, source, plan, scope, now)
            with transaction.atomic():
                _queue(run, source, plan)
                if full_scan and scope:
                    absent = mark_absent(source, scope, plan.seen, now)
            retired = retire_absent(job_actor, now) if full_scan and scope else []
        except PermissionDenied as exc:
            return _finish(run, errors=[str(exc)], counts=counts, diff=plan.diff)
        run_written(run, plan.changed | set(retired))
    software_changed = len(
        {c for c in plan.software.touched if c > 0} - {u[0] for u in plan.updates}
    )
    counts["updated"] += software_changed
    counts["unchanged"] = max(0, counts["unchanged"] - software_changed)
    messages = [*plan.skipped]
    if plan.software.creates or plan.software.deletes:
        messages.append(
            f"software: {len(plan.software.creates)} installs added, "
            f"{len(plan.software.deletes)} removed"
        )
    if plan.relations:
        messages.append(f"relationships: {len(plan.relations)} added")
    if not dry_run and full_scan and scope and retired:
        messages.append(f"retired: {len(retired)} absent CIs (class policy rule)")
    return _finish(
        run, counts=counts, diff=plan.diff, events=events, absent=absent, messages=messages
    )


def retire_absent(actor: Actor, now: Any) -> list[int]:
    """Retire the CIs a class policy's rule says to: current CIs of a class with
    ``retire_absent_after_days`` that a full scan found absent and that no source has seen
    for that many days. Each goes through the CMDB's ``retire_ci`` (audited, its
    relationships ended); without a rule nothing is ever retired. Returns their ids."""
    import datetime as dt

    from django.db.models import Count, Max

    from assetgraph.cmdb.services import retire_ci

    retired: list[int] = []
    rules = ClassPolicy.objects.filter(retire_absent_after_days__isnull=False)
    for class_id, days in rules.values_list("ci_class_id", "retire_absent_after_days"):
        cutoff = now - dt.timedelta(days=days or 0)
        ids = (
            Sighting.objects.filter(ci__ci_class_id=class_id, ci__valid_to__isnull=True)
            .values("ci_id")
            .annotate(last=Max("last_seen"), absent=Count("absent_since"))
            .filter(last__lte=cutoff, absent__gt=0)
            .values_list("ci_id", flat=True)
        )
        for ci in CI.objects.filter(pk__in=list(ids)).order_by("pk"):
            retire_ci(actor, ci, now)
            retired.append(ci.pk)
    return retired


def _queue(run: DiscoveryRun, source: DataSource, plan: Any) -> None:
    """One open queue item per ambiguous thing (an open one is not repeated)."""
    for item, class_id, rule, candidates in plan.queued:
        fingerprint = _fingerprint(item)
        if ReconciliationItem.objects.filter(
            source=source, fingerprint=fingerprint, state=QueueStateChoices.OPEN
        ).exists():
            continue
        try:
            with transaction.atomic():
                entry = ReconciliationItem.objects.create(
                    run=run,
                    source=source,
                    ci_class_id=class_id,
                    name=item.name[:200],
                    rule=rule[:200],
                    item=item.as_dict(),
                    fingerprint=fingerprint,
                )
                entry.candidates.set(candidates)
        except IntegrityError:
            continue  # queued by a concurrent run


def _finish(
    run: DiscoveryRun,
    *,
    errors: list[str] | None = None,
    counts: Mapping[str, int] | None = None,
    diff: list[dict[str, Any]] | None = None,
    events: int = 0,
    absent: int = 0,
    messages: list[str] | None = None,
) -> DiscoveryRun:
    counts = counts or {}
    run.created = counts.get("created", 0)
    run.updated = counts.get("updated", 0)
    run.unchanged = counts.get("unchanged", 0)
    run.queued = counts.get("queued", 0)
    run.errors = len(errors) if errors else 0
    run.absent = absent
    run.events = events
    run.diff = diff or []
    run.messages = (errors or [])[:1_000] + (messages or [])
    run.state = RunStateChoices.FAILED if errors else RunStateChoices.SUCCEEDED
    run.finished = timezone.now()
    run.save()
    return run


class _DiscoveryCIImporter(CIImporter):
    """The generic CI import, attributed to discovery."""

    def job_actor(self, job_id: str) -> Actor:
        return self.actor.for_job(job_id, Source.DISCOVERY)


def _run_generic(
    actor: Actor, run: DiscoveryRun, data: bytes | Path, filename: str, dry_run: bool
) -> DiscoveryRun:
    raw = data.read_bytes() if isinstance(data, Path) else data
    report = _DiscoveryCIImporter(actor).run(
        io.BytesIO(raw), filename or "cis.csv", dry_run=dry_run, job_id=run.job_id.hex
    )
    counts = report.counts()
    result = report.as_dict()
    errors = list(report.file_errors) + [
        f"row {r['row']}: {'; '.join(r['errors'])}"
        for r in result["rows"]
        if r.get("action") == "error"
    ]
    run.items = len(report.rows)
    return _finish(
        run,
        errors=errors,
        counts={
            "created": counts.get("create", 0),
            "updated": counts.get("update", 0),
            "unchanged": counts.get("unchanged", 0),
        },
        diff=[r for r in result["rows"] if r.get("action") != "error"][:1_000],
    )


# --- the reconciliation queue ----------------------------------------------------------------


def resolve_item(actor: Actor, item: ReconciliationItem, ci: CI) -> ReconciliationItem:
    """A person says which CI the queued item is: the item's attribute values are written to
    it (through the CMDB's service, audited) and the item is closed."""
    authorize(actor, "change", item)
    if item.state != QueueStateChoices.OPEN:
        raise Conflict("this item is already settled")
    if not item.candidates.filter(pk=ci.pk).exists():
        raise ValidationFailed(
            "ci: not one of the candidates", fields={"ci": ["not one of the candidates"]}
        )
    with transaction.atomic():
        attributes = {
            k: v
            for k, v in (item.item.get("attributes") or {}).items()
            if k in {d.key for d in ci.attribute_definitions()}
        }
        if attributes:
            update_ci(actor, ci, {"attributes": attributes})
        updated = ReconciliationItem.objects.filter(
            pk=item.pk, state=QueueStateChoices.OPEN
        ).update(state=QueueStateChoices.RESOLVED, resolved_ci=ci, updated=timezone.now())
        if not updated:
            raise Conflict("this item is already settled")
        item.refresh_from_db()
        from assetgraph.audit.services import record_event

        record_event(
            actor,
            "resolve",
            item,
            before={"state": "open"},
            after={"state": item.state, "ci": ci.pk},
        )
        return item


def dismiss_item(actor: Actor, item: ReconciliationItem) -> ReconciliationItem:
    """Close a queued item without writing anything (a false alarm)."""
    if item.state != QueueStateChoices.OPEN:
        raise Conflict("this item is already settled")
    return update_instance(actor, item, {"state": QueueStateChoices.DISMISSED}, action="dismiss")


def release_manual(actor: Actor, ci: CI, key: str) -> int:
    """An administrator lets discovery write ``key`` of ``ci`` again (a manual value no
    longer wins). Returns how many observations were released."""
    authorize(actor, "change", ci)
    if not actor.is_system and not has_perm(actor.user, "discovery.datasource", "change"):
        raise PermissionDenied("you may not release manual values")
    with transaction.atomic():
        # The value stays; it is no longer a person's and the next source to report wins.
        released = AttributeObservation.objects.filter(ci=ci, key=key, manual=True).update(
            manual=False, source=None
        )
        if released:
            from assetgraph.audit.services import record_event

            record_event(actor, "release", ci, before={"manual": [key]}, after={"manual": []})
        return released


# --- rules as data ---------------------------------------------------------------------------


def create_source(actor: Actor, values: Mapping[str, Any]) -> DataSource:
    """Register a data source (with its attribute priorities and tag rules)."""
    return create_instance(actor, DataSource, values)


def update_source(
    actor: Actor, source: DataSource, changes: Mapping[str, Any], expected_etag: str | None = None
) -> DataSource:
    """Change a source's priorities, scope or tag rules."""
    return update_instance(actor, source, changes, expected_etag=expected_etag)


def delete_source(actor: Actor, source: DataSource) -> None:
    """Delete a source that never ran."""
    if DiscoveryRun.objects.filter(source=source).exists():
        raise Conflict("this source has runs; it stays for their history")
    delete_instance(actor, source)


def create_rule(actor: Actor, values: Mapping[str, Any]) -> IdentificationRule:
    """Add an identification rule to a class."""
    return create_instance(actor, IdentificationRule, values)


def update_rule(
    actor: Actor,
    rule: IdentificationRule,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> IdentificationRule:
    """Change a rule's attributes, priority or whether it is active."""
    return update_instance(actor, rule, changes, expected_etag=expected_etag)


def delete_rule(actor: Actor, rule: IdentificationRule) -> None:
    """Remove an identification rule."""
    delete_instance(actor, rule)


def create_policy(actor: Actor, values: Mapping[str, Any]) -> ClassPolicy:
    """Set a class's staleness and orphan rules."""
    return create_instance(actor, ClassPolicy, values)


def update_policy(
    actor: Actor, policy: ClassPolicy, changes: Mapping[str, Any], expected_etag: str | None = None
) -> ClassPolicy:
    """Change a class's staleness or orphan rule."""
    return update_instance(actor, policy, changes, expected_etag=expected_etag)


def delete_policy(actor: Actor, policy: ClassPolicy) -> None:
    """Back to the defaults for that class."""
    delete_instance(actor, policy)


def create_compliance_rule(actor: Actor, values: Mapping[str, Any]) -> ComplianceRule:
    """Add a CMDB compliance rule."""
    return create_instance(actor, ComplianceRule, values)


def update_compliance_rule(
    actor: Actor,
    rule: ComplianceRule,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> ComplianceRule:
    """Change a compliance rule."""
    return update_instance(actor, rule, changes, expected_etag=expected_etag)


def delete_compliance_rule(actor: Actor, rule: ComplianceRule) -> None:
    """Remove a compliance rule."""
    delete_instance(actor, rule)


def new_job_id() -> uuid.UUID:
    """A fresh run id (background runs know it before they start)."""
    return uuid.uuid4()
