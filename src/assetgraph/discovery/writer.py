"""Applying a plan: one transaction, bulk writes through the engine's planned tables, one
audit event per created or changed CI, relationship, product, install and evidence row
(tagged with the run's job id, source ``discovery``). Provenance (observations, sightings)
is bookkeeping written alongside, unaudited, like an import job's row.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections import Counter
from typing import Any

from django.db import transaction

from assetgraph.accounts.permissions import restrict
from assetgraph.cmdb.import_cis import PLANNED
from assetgraph.cmdb.import_cis import TABLE as CI_TABLE
from assetgraph.cmdb.models import CI, Relationship, SoftwareInstall, SoftwareProduct
from assetgraph.core.actor import Actor
from assetgraph.core.batching import in_batches
from assetgraph.core.errors import PermissionDenied
from assetgraph.core.registry import object_type_key
from assetgraph.framework.importing import AuditRows, PlannedTable, large_cache
from assetgraph.framework.importing.writes import dumps, update_rows

from .engine import Plan, install_counts
from .models import AttributeObservation, DataSource, PackageEvidence, Sighting
from .software import finish

RELATIONSHIPS = PlannedTable(Relationship, ("source_id", "target_id", "type_id", "description"))
PRODUCTS = PlannedTable(SoftwareProduct, ("publisher", "name", "key"))
INSTALLS = PlannedTable(
    SoftwareInstall, ("ci_id", "product_id", "version", "source", "raw_publisher", "raw_name")
)
EVIDENCE = PlannedTable(PackageEvidence, ("install_id", "purl", "licences", "hashes"))
OBSERVATIONS = PlannedTable(
    AttributeObservation, ("ci_id", "key", "value", "source_id", "manual", "fact", "since")
)
OBSERVED = ("value", "source_id", "manual", "fact", "since")
SIGHTINGS = PlannedTable(
    Sighting, ("ci_id", "source_id", "scope", "first_seen", "last_seen", "digest")
)


def _verify(actor: Actor, model: Any, pks: list[int], action: str) -> None:
    """Object permissions (with constraints) hold for every written row, or roll back."""
    if actor.is_system or not pks:
        return
    for chunk in in_batches(sorted(set(pks))):
        allowed = restrict(model.objects.filter(pk__in=chunk), actor.user, action).count()
        if allowed != len(chunk):
            plural = model._meta.verbose_name_plural
            raise PermissionDenied(f"your permissions do not allow writing some of these {plural}")


def apply(actor: Actor, source: DataSource, plan: Plan, scope: str, now: dt.datetime) -> int:
    """Write the plan; returns the number of audit events written."""
    audit = AuditRows(actor, now)
    events = 0
    with transaction.atomic(), large_cache():
        finish(plan.software, source)
        ids = list(CI_TABLE.insert([row for _, row in plan.creates], now))
        real = {-(slot + 1): pk for slot, pk in enumerate(ids)}

        def resolve(ci: int) -> int:
            return real.get(ci, ci)

        CI_TABLE.update(((pk, row) for pk, _, row, _ in plan.updates), now, only=PLANNED)
        _verify(actor, CI, ids, "add")
        _verify(actor, CI, [pk for pk, _, _, _ in plan.updates], "change")
        ci_type = object_type_key(CI)
        events += audit.write(
            itertools.chain(
                CI_TABLE.create_events(
                    audit, ids, [row for _, row in plan.creates], now, operator.itemgetter(0)
                ),
                (
                    audit.update_row(ci_type, pk, name, changes)
                    for pk, name, _, changes in plan.updates
                ),
            )
        )
        relations = [(resolve(s), resolve(t), ty, "") for s, t, ty in plan.relations]
        rel_ids = RELATIONSHIPS.insert(relations, now)
        events += audit.write(
            RELATIONSHIPS.create_events(audit, rel_ids, relations, now, lambda r: "discovered")
        )
        events += _software(audit, plan, now, resolve)
        _observations(plan, now, resolve)
        _sightings(source, plan, scope, now, resolve, ids)
        plan.seen = {resolve(ci) for ci in plan.item_ci.values()}
        plan.changed = (
            set(ids)
            | {pk for pk, _, _, _ in plan.updates}
            | {resolve(ci) for ci in plan.software.touched}
            | {resolve(s) for s, _, _ in plan.relations}
        )
    return events


def _software(audit: AuditRows, plan: Plan, now: dt.datetime, resolve: Any) -> int:
    software = plan.software
    events = 0
    products = software.new_products
    product_ids = PRODUCTS.insert(products, now)
    software.product_ids.update({p[2]: pk for p, pk in zip(products, product_ids, strict=True)})
    events += audit.write(
        PRODUCTS.create_events(audit, product_ids, products, now, lambda r: f"{r[0]} {r[1]}")
    )
    installs = [
        (resolve(ci), software.product_ids[key], version, src, pub, name)
        for ci, key, version, src, pub, name in software.creates
    ]
    install_ids = INSTALLS.insert(installs, now)
    events += audit.write(
        INSTALLS.create_events(audit, install_ids, installs, now, lambda r: f"{r[5]} {r[2]}")
    )
    evidence = [
        (install_ids[index], purl, licences, hashes)
        for index, purl, licences, hashes in software.evidence_new
        if purl or licences or hashes
    ]
    evidence += [
        (install, purl, licences, hashes)
        for pk, install, purl, licences, hashes in software.evidence_changed
        if not pk
    ]
    evidence_ids = EVIDENCE.insert(evidence, now)
    events += audit.write(
        EVIDENCE.create_events(audit, evidence_ids, evidence, now, lambda r: r[1] or "evidence")
    )
    changed = [e for e in software.evidence_changed if e[0]]
    if changed:
        EVIDENCE.update(((pk, (i, p, lic, h)) for pk, i, p, lic, h in changed), now)
        events += audit.write(
            audit.row(
                object_type_key(PackageEvidence),
                pk,
                purl or "evidence",
                "update",
                None,
                dumps({"purl": purl, "licences": licences, "hashes": hashes}),
                dumps(["hashes", "licences", "purl"]),
            )
            for pk, _i, purl, licences, hashes in changed
        )
    if software.deletes:
        events += _delete_installs(audit, software.deletes)
    return events


def _delete_installs(audit: AuditRows, pks: list[int]) -> int:
    install_type = object_type_key(SoftwareInstall)
    rows: list[tuple[Any, ...]] = []
    for chunk in in_batches(sorted(pks)):
        for pk, ci, product, version, raw in SoftwareInstall.objects.filter(
            pk__in=chunk
        ).values_list("pk", "ci_id", "product_id", "version", "raw_name"):
            before = {"id": pk, "ci": ci, "product": product, "version": version}
            rows.append(
                audit.row(install_type, pk, f"{raw} {version}", "delete", dumps(before), None, "[]")
            )
        PackageEvidence.objects.filter(install_id__in=chunk).delete()
        SoftwareInstall.objects.filter(pk__in=chunk).delete()
    return audit.write(rows)


def _observations(plan: Plan, now: dt.datetime, resolve: Any) -> None:
    """Provenance rows as plain tuples through the bulk path (a first load of a fleet
    writes a dozen per host)."""
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[int, tuple[Any, ...]]] = []
    for write in plan.observations:
        row = (
            resolve(write.ci),
            write.key[:100],
            write.value,
            write.source_id,
            write.manual,
            write.fact,
            now,
        )
        if write.existing:
            changed.append((write.existing, row))
        else:
            new.append(row)
    OBSERVATIONS.insert(new, now)
    if changed:
        OBSERVATIONS.update(changed, now, only=OBSERVED)


def _sightings(
    source: DataSource,
    plan: Plan,
    scope: str,
    now: dt.datetime,
    resolve: Any,
    created: list[int],
) -> None:
    """Every CI the run saw is seen now (one set-based UPDATE per batch: staleness and the
    last-seen time of the source's values follow from it, skipped CIs included); the
    reconciled ones keep their report's digest, or none when some value was declined."""
    installs = Counter(resolve(ci) for ci, *_ in plan.software.creates if ci < 0)
    reconciled = [ci for ci in plan.digests if ci > 0 and ci not in plan.same]
    installs.update(install_counts(reconciled))
    digests = {
        resolve(ci): f"{digest}:{installs.get(resolve(ci), 0)}"
        for ci, digest in plan.digests.items()
        if ci not in plan.same
    }
    seen = sorted({resolve(ci) for ci in plan.item_ci.values()})
    existing: dict[int, int] = {}
    for chunk in in_batches(seen):
        existing.update(
            Sighting.objects.filter(source=source, ci_id__in=chunk).values_list("ci_id", "pk")
        )
    SIGHTINGS.insert(
        [
            (ci, source.pk, scope[:200], now, now, digests.get(ci, ""))
            for ci in seen
            if ci not in existing
        ],
        now,
    )
    for chunk in in_batches(sorted(existing.values())):
        Sighting.objects.filter(pk__in=chunk).update(last_seen=now, scope=scope, absent_since=None)
    update_rows(
        Sighting,
        ["digest"],
        ((digests.get(ci, ""), pk) for ci, pk in existing.items() if ci not in plan.same),
    )
    del created


def mark_absent(source: DataSource, scope: str, seen: set[int], now: dt.datetime) -> int:
    """A full scan of ``scope`` did not see these CIs: mark their sightings absent (the CIs
    themselves are untouched). Returns how many became absent."""
    missing = [
        pk
        for pk, ci in Sighting.objects.filter(
            source=source, scope=scope, absent_since__isnull=True
        ).values_list("pk", "ci_id")
        if ci not in seen
    ]
    for chunk in in_batches(missing):
        Sighting.objects.filter(pk__in=chunk).update(absent_since=now)
    return len(missing)
