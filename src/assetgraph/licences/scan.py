"""Reading the installation table of a large estate in as few passes as possible.

Why: the position over the whole catalogue asks the same questions of every product (how many
installations, on how many devices, which devices hold two, which are stale, who holds them).
Asked as one grouped query per metric through the licensable-product mapping, each question
reads the 2,000,000-row installation table again, with three index look-ups per row; at the
issue's scale that is a minute on SQLite. Here each question is answered from the
installation table's own indexes, without joins, and mapped to licensable products in Python:

- installations per catalogue entry: one pass over the ``product`` index;
- devices per catalogue entry: installations minus the extra versions on one device, found by
  one pass over the unique ``(ci, product, version)`` index (only devices with two versions of
  an entry come back);
- installations on retired CIs are subtracted (read from the CIs' ``valid_to`` side: few);
- a licensable product fed by several catalogue entries cannot be counted this way (one device
  may hold two of its entries): :class:`InstallScan` leaves those to the caller's grouped query.

The results are exactly the grouped queries' (``tests/licences/test_scale_paths.py`` compares
both on a generated estate); only "now" is read this way: the position as of a past date keeps
the grouped queries (installations recorded by then, CIs valid then).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from assetgraph.cmdb.models import CI, SoftwareInstall

from .models import ProductMapping

# Above this many products a question is answered by a pass over the whole table; below it,
# by the installations of those products (read through the installation's product index).
LARGE_PRODUCT_SET = 200


@dataclass(frozen=True)
class Duplicate:
    """One device holding a licensable product more than once."""

    product_id: int
    ci_id: int
    installs: int


class InstallScan:
    """Per-product installation facts for the current estate (no past dates), memoised."""

    def __init__(self) -> None:
        self._mapping: dict[int, int] | None = None
        self._per_entry: dict[int, tuple[int, int]] | None = None
        self._duplicates: list[tuple[int, int, int]] | None = None

    # --- the catalogue mapping
    @property
    def mapping(self) -> dict[int, int]:
        """``{catalogue entry (SoftwareProduct) id: licensable product id}``."""
        if self._mapping is None:
            self._mapping = dict(ProductMapping.objects.values_list("software_id", "product_id"))
        return self._mapping

    def multi_entry_products(self) -> set[int]:
        """Licensable products fed by several catalogue entries (counted by the caller)."""
        entries = Counter(self.mapping.values())
        return {product for product, count in entries.items() if count > 1}

    # --- the passes
    def _entry_duplicates(self) -> list[tuple[int, int, int]]:
        """``(catalogue entry, current CI, installations)`` where a CI holds an entry at more
        than one version: one pass over the unique (ci, product, version) index."""
        if self._duplicates is None:
            rows = list(
                SoftwareInstall.objects.values("ci_id", "product_id")
                .annotate(n=Count("id"))
                .filter(n__gt=1)
                .order_by()
                .values_list("product_id", "ci_id", "n")
            )
            current = set(
                CI.objects.filter(pk__in={ci for _, ci, _ in rows}, valid_to__isnull=True)
                .order_by()
                .values_list("pk", flat=True)
            )
            self._duplicates = [row for row in rows if row[1] in current]
        return self._duplicates

    def _entry_counts(self) -> dict[int, tuple[int, int]]:
        """``{catalogue entry: (installations, devices)}`` on current CIs."""
        if self._per_entry is None:
            totals = dict(
                SoftwareInstall.objects.values("product_id")
                .annotate(n=Count("id"))
                .order_by()
                .values_list("product_id", "n")
            )
            retired: dict[int, tuple[int, int]] = {
                entry: (n, d)
                for entry, n, d in SoftwareInstall.objects.filter(
                    ci_id__in=CI.objects.filter(valid_to__isnull=False).order_by().values("pk")
                )
                .values("product_id")
                .annotate(n=Count("id"), d=Count("ci_id", distinct=True))
                .order_by()
                .values_list("product_id", "n", "d")
            }
            extra: dict[int, int] = defaultdict(int)
            for entry, _ci, count in self._entry_duplicates():
                extra[entry] += count - 1
            counts = {}
            for entry, total in totals.items():
                installs = total - retired.get(entry, (0, 0))[0]
                counts[entry] = (installs, installs - extra.get(entry, 0))
            self._per_entry = counts
        return self._per_entry

    # --- the answers, per licensable product
    def counts(self, products: Iterable[int]) -> dict[int, tuple[int, int]]:
        """``{product: (installations, devices)}`` for the products fed by one catalogue
        entry (the others are absent: see :meth:`multi_entry_products`)."""
        wanted = set(products) - self.multi_entry_products()
        per_entry = self._entry_counts()
        result: dict[int, tuple[int, int]] = {}
        for entry, product in self.mapping.items():
            if product in wanted:
                result[product] = per_entry.get(entry, (0, 0))
        return result

    def duplicates(self, products: Iterable[int]) -> list[Duplicate]:
        """Devices holding a single-entry product at several versions, by product and CI."""
        wanted = set(products) - self.multi_entry_products()
        found = [
            Duplicate(self.mapping[entry], ci, count)
            for entry, ci, count in self._entry_duplicates()
            if self.mapping.get(entry) in wanted
        ]
        return sorted(found, key=lambda d: (d.product_id, d.ci_id))

    def custodian_pairs(self, products: Iterable[int]) -> list[tuple[int, int, int]]:
        """``(product, custodian, CI)`` for the installations on current CIs whose asset has a
        custodian, read from the CIs' side (devices with a custodian, then their
        installations through the unique (ci, …) index)."""
        wanted = set(products)
        held = CI.objects.filter(valid_to__isnull=True, asset__custodian__isnull=False).order_by()
        custodian = dict(held.values_list("pk", "asset__custodian_id"))
        if not custodian:
            return []
        pairs = set()
        for entry, ci in SoftwareInstall.objects.filter(ci_id__in=held.values("pk")).values_list(
            "product_id", "ci_id"
        ):
            product, person = self.mapping.get(entry), custodian.get(ci)
            # (a CI that changed between the two reads is skipped, not an error)
            if product in wanted and person is not None:
                pairs.add((product, person, ci))
        return sorted(pairs)

    def stale(
        self, products: Iterable[int], before: dt.datetime
    ) -> list[tuple[int, int, str, dt.datetime | None]]:
        """``(product, CI, CI name, last seen)`` for the products installed on current CIs
        not seen since ``before``, by product and CI (read from the CIs' side)."""
        wanted = set(products)
        cis = CI.objects.filter(valid_to__isnull=True, last_seen__lt=before).order_by()
        seen = {pk: (name, last) for pk, name, last in cis.values_list("pk", "name", "last_seen")}
        if not seen:
            return []
        found = set()
        for entry, ci in SoftwareInstall.objects.filter(ci_id__in=cis.values("pk")).values_list(
            "product_id", "ci_id"
        ):
            product = self.mapping.get(entry)
            if product in wanted and ci in seen:
                found.add((product, ci))
        return [(product, ci, *seen[ci]) for product, ci in sorted(found)]
