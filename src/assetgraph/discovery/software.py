"""Software of a discovered item: installs compared with what the source reported last time.

A source's report of a host's packages (or an SBOM's components) is complete for that
source: an install it reported before and no longer does is removed (an audited delete of
the install row, never of a CI); a new (product, version) is an install created; a product
at a new version is the old install removed and the new one created. Installs another
source or a person recorded are left alone. Raw names map to catalogue products with the
CMDB's normaliser (:func:`assetgraph.cmdb.software.normalise_product`). Package URL,
licences and hashes go to :class:`~.models.PackageEvidence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from assetgraph.cmdb.models import SoftwareProduct
from assetgraph.cmdb.software import NormalisedProduct, normalise_product
from assetgraph.core.batching import in_batches

from .connectors.base import SoftwareItem
from .models import DataSource, PackageEvidence

Wanted = tuple[str, str, str, str, str, str, str, list[str], dict[str, str]]


@dataclass
class SoftwarePlan:
    """Installs to create and delete, products to create, evidence to write."""

    wanted: list[tuple[int, list[Wanted], dict[tuple[int, str], int]]] = field(default_factory=list)
    new_products: list[tuple[str, str, str]] = field(default_factory=list)  # publisher, name, key
    creates: list[tuple[int, str, str, str, str, str]] = field(default_factory=list)
    # ci, product key, version, source, raw publisher, raw name
    evidence_new: list[tuple[int, str, list[str], dict[str, str]]] = field(default_factory=list)
    # index into creates, purl, licences, hashes
    evidence_changed: list[tuple[int, int, str, list[str], dict[str, str]]] = field(
        default_factory=list
    )  # evidence pk (0: none yet), install id, purl, licences, hashes
    deletes: list[int] = field(default_factory=list)
    product_ids: dict[str, int] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)  # CIs whose installs change

    def count(self) -> int:
        return len(self.creates) + len(self.deletes)


@lru_cache(maxsize=65_536)
def _product(publisher: str, name: str) -> NormalisedProduct:
    return normalise_product(publisher, name)


_NONE: tuple[list[str], dict[str, str]] = ([], {})


@lru_cache(maxsize=262_144)
def _entry(publisher: str, name: str, version: str, purl: str) -> Wanted:
    """A package's planned entry (a fleet installs the same packages at the same versions:
    each distinct one is normalised once). Its empty licences and hashes are shared, never
    mutated."""
    product = _product(publisher, name)
    return (
        product.key[:400],
        product.publisher[:200],
        product.name[:200],
        version[:100],
        publisher[:200],
        name[:200],
        purl[:500],
        *_NONE,
    )


def plan_software(
    plan: SoftwarePlan,
    ci: int,
    items: list[SoftwareItem],
    source: DataSource,
    existing: dict[tuple[int, str], int],
) -> None:
    """Record what the source reports for one CI (resolved later by :func:`finish`)."""
    wanted: dict[tuple[str, str], Wanted] = {}
    for item in items:
        entry = _entry(item.publisher, item.name, item.version, item.purl)
        if item.licences or item.hashes:
            entry = (*entry[:7], item.licences, item.hashes)
        wanted.setdefault((entry[0], entry[3]), entry)
    plan.wanted.append((ci, list(wanted.values()), existing))
    del source


def finish(plan: SoftwarePlan, source: DataSource) -> None:
    """Resolve product keys, then decide each CI's creates, deletes and evidence."""
    keys = sorted({w[0] for _, wanted, _ in plan.wanted for w in wanted})
    for chunk in in_batches(keys):
        plan.product_ids.update(
            SoftwareProduct.objects.filter(key__in=chunk).values_list("key", "pk")
        )
    names: dict[str, tuple[str, str]] = {}
    for _, wanted, _ in plan.wanted:
        for w in wanted:
            if w[0] not in plan.product_ids:
                names.setdefault(w[0], (w[1], w[2]))
    plan.new_products = [(pub, name, key) for key, (pub, name) in names.items()]
    evidence = _evidence(plan)
    for ci, wanted, existing in plan.wanted:
        reported: set[tuple[int, str]] = set()
        for key, _pub, _name, version, raw_pub, raw_name, purl, licences, hashes in wanted:
            product = plan.product_ids.get(key)
            install = existing.get((product, version)) if product is not None else None
            if install is None:
                plan.evidence_new.append((len(plan.creates), purl, licences, hashes))
                plan.creates.append((ci, key, version, source.name[:50], raw_pub, raw_name))
                plan.touched.add(ci)
                continue
            reported.add((product, version))  # type: ignore[arg-type]
            found = evidence.get(install)
            if found is None and not (purl or licences or hashes):
                continue  # nothing to record, as on the first run
            if found is None or found[1:] != (purl, licences, hashes):
                pk = found[0] if found is not None else 0
                plan.evidence_changed.append((pk, install, purl, licences, hashes))
        gone = [pk for pair, pk in existing.items() if pair not in reported]
        if gone:
            plan.deletes.extend(gone)
            plan.touched.add(ci)


def _evidence(plan: SoftwarePlan) -> dict[int, tuple[int, str, list[str], dict[str, str]]]:
    """Stored evidence of the installs the plan keeps. Licences and hashes (JSON) are read
    only for installs whose report carries some: package managers report neither, and
    decoding them for every package of a fleet is most of a re-run's time."""
    installs: set[int] = set()
    detailed: set[int] = set()
    for _, wanted, existing in plan.wanted:
        for w in wanted:
            pk = existing.get((plan.product_ids.get(w[0], -1), w[3]))
            if pk is not None:
                installs.add(pk)
                if w[7] or w[8]:
                    detailed.add(pk)
    found: dict[int, tuple[int, str, list[str], dict[str, str]]] = {}
    empty: tuple[list[str], dict[str, str]] = ([], {})
    for chunk in in_batches(sorted(installs)):
        rows = PackageEvidence.objects.filter(install_id__in=chunk).values_list(
            "pk", "install_id", "purl"
        )
        for pk, install, purl in rows:
            found[install] = (pk, purl, *empty)
    for chunk in in_batches(sorted(detailed)):
        details = PackageEvidence.objects.filter(install_id__in=chunk).values_list(
            "install_id", "licences", "hashes"
        )
        for owner, stored_licences, stored_hashes in details:
            pk, purl = found[owner][0], found[owner][1]
            found[owner] = (pk, purl, list(stored_licences), dict(stored_hashes))
    return found


def summary(plan: SoftwarePlan) -> dict[str, Any]:
    """Counts for the run's messages."""
    return {
        "installs_created": len(plan.creates),
        "installs_removed": len(plan.deletes),
        "products_created": len(plan.new_products),
    }
