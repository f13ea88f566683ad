"""The compliance position: a pure calculation from entitlement facts and measured consumption.

Nothing here touches the database: :mod:`assetgraph.licences.evidence` measures consumption
with set-based queries and hands plain numbers in, so the rules below can be checked by hand
(docs/licences.md works an example of each) and tested without fixtures.

**Rows.** One row per *(product, metric, scope)*: the rights of every active entitlement that
covers the product with that metric in that scope, against what is consumed there. A scope is
``org`` (the whole organisation), ``loc:<id>`` (a location subtree) or ``dept:<id>``.

**Coverage.** An entitlement covers its product; a suite entitlement covers each member
product with the same quantity (one suite seat = one right to each member; its price is split
evenly over the members); with downgrade rights it also covers older members of the product's
family (lower ``version_rank``), but only with what its own product does not consume:
surplus flows down the family, newest first, to the rows that are short (``received``/``lent``).

**Numbers.** ``available = entitled + received - lent``; ``balance = available - consumed``;
``shortfall = max(0, -balance)``. Unlimited metrics (site, enterprise) have no quantity: their
balance is empty and they are compliant.

**Status.** *unlicensed*: consumption with no rights at all; *under-licensed*: balance < 0;
*over-licensed*: balance > 0 and less than 90 % of the available rights are consumed;
*compliant*: otherwise.

**Per core.** Each licensed server or VM counts ``max(cores, minimum per processor x
processors, minimum per server)`` cores, rounded up to a whole number of core packs; with the
core factor table (Oracle) the counted cores of all the row's hosts with the same factor are
added up, multiplied by the factor and rounded up once per factor (:func:`core_licences`).

**Money.** ``true-up cost = shortfall x unit price`` (the unit price of the most recently started
priced entitlement of the row: what buying more would cost today); ``money on unused rights =
max(0, balance) x average unit cost`` (total cost / quantity over the row's priced own rights).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .choices import UNLIMITED_METRICS, StatusChoices, VersionRightsChoices

ORG = "org"
UNLICENSED_METRIC = "device"
USED_SHARE_FOR_OVER = Decimal("0.9")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class EntitlementFact:
    """What the position needs of one entitlement (now, or as the audit trail had it at T)."""

    id: int
    name: str
    metric: str
    quantity: int | None
    product_id: int | None = None
    suite_id: int | None = None
    scope: str = ORG
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    version_rights: str = VersionRightsChoices.THIS
    unit_cost: Decimal | None = None
    total_cost: Decimal | None = None
    currency: str = ""
    min_cores_per_processor: int = 0
    farm_exposure: bool = False
    idle_days: int = 90
    min_cores_per_server: int = 0
    core_pack_size: int = 1
    core_factor_table: bool = False
    virtual_cores: bool = False
    min_users_per_processor: int = 0
    min_users_per_server: int = 0

    def active_on(self, day: dt.date) -> bool:
        """Whether the term covers ``day``."""
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or day <= self.end_date
        )

    @property
    def unlimited(self) -> bool:
        return self.metric in UNLIMITED_METRICS or self.quantity is None

    @property
    def priced_total(self) -> Decimal | None:
        if self.total_cost is not None:
            return self.total_cost
        if self.unit_cost is not None and self.quantity is not None:
            return self.unit_cost * self.quantity
        return None

    @property
    def unit_price(self) -> Decimal | None:
        if self.unit_cost is not None:
            return self.unit_cost
        if self.total_cost is not None and self.quantity:
            return self.total_cost / self.quantity
        return None


@dataclass(frozen=True)
class ProductFact:
    """A licensable product: its name, family and rank in the family."""

    id: int
    name: str
    family_id: int | None = None
    version_rank: int = 0


@dataclass(frozen=True)
class RowKey:
    """One position row: a product, a metric, a scope."""

    product_id: int
    metric: str
    scope: str = ORG


@dataclass(frozen=True)
class KeyParams:
    """How consumption of a row is measured: per-core minimums, packs and farm exposure (the
    strictest of the row's entitlements: the highest minimums and pack, farm exposure if any
    says so, the factor table and virtual cores only if all say so), the idle threshold, and
    the entitlements' ids."""

    min_cores_per_processor: int = 0
    farm_exposure: bool = False
    idle_days: int = 90
    entitlement_ids: tuple[int, ...] = ()
    min_cores_per_server: int = 0
    core_pack_size: int = 1
    core_factor_table: bool = False
    virtual_cores: bool = False
    min_users_per_processor: int = 0
    min_users_per_server: int = 0

    @property
    def core_rule(self) -> CoreRule:
        return CoreRule(
            self.min_cores_per_processor,
            self.min_cores_per_server,
            self.core_pack_size,
            self.core_factor_table,
        )


@dataclass(frozen=True)
class CoreRule:
    """How a per-core licence counts one server or VM (docs/licences.md, "Per core").

    Microsoft SQL Server: ``CoreRule(4, 0, 2)`` on a physical server, ``CoreRule(0, 4, 2)``
    per VM; Windows Server: ``CoreRule(8, 16, 2)``; Oracle Processor metric:
    ``CoreRule(factor_table=True)``.
    """

    min_per_processor: int = 0
    min_per_server: int = 0
    pack_size: int = 1
    factor_table: bool = False


@dataclass(frozen=True)
class HostCores:
    """One licensed server or VM: its cores, processors and core factor (1 when unknown)."""

    cores: int
    processors: int = 1
    factor: Decimal = Decimal(1)


def counted_cores(host: HostCores, rule: CoreRule) -> int:
    """The cores one server or VM counts: ``max(cores, minimum per processor x processors,
    minimum per server)`` rounded up to a whole number of packs."""
    counted = max(host.cores, rule.min_per_processor * host.processors, rule.min_per_server)
    pack = max(1, rule.pack_size)
    return -(-counted // pack) * pack


def core_licences(hosts: Iterable[HostCores], rule: CoreRule) -> int:
    """Core licences for a set of servers or VMs (each counted once).

    Without the factor table: the sum of :func:`counted_cores`. With it (Oracle: "all cores
    on all multicore chips for each licensed program are aggregated before multiplying by the
    core processor licensing factor, and all fractions are rounded up"): the counted cores are
    added up per factor, each sum multiplied by its factor and rounded up to a whole number.
    """
    if not rule.factor_table:
        return sum(counted_cores(h, rule) for h in hosts)
    per_factor: dict[Decimal, int] = defaultdict(int)
    for host in hosts:
        per_factor[host.factor] += counted_cores(host, rule)
    return sum(math.ceil(total * factor) for factor, total in per_factor.items())


@dataclass(frozen=True)
class Share:
    """Rights one entitlement contributes to one row (a suite's split price included)."""

    entitlement: EntitlementFact
    quantity: int | None
    unit_price: Decimal | None
    total: Decimal | None
    downgrade: bool


@dataclass
class PositionRow:
    """One row of the position (see the module docstring for every number)."""

    product_id: int
    product: str
    metric: str
    scope: str
    entitled: int | None
    consumed: int
    scope_label: str = ""
    received: int = 0
    lent: int = 0
    balance: int | None = None
    shortfall: int = 0
    status: str = StatusChoices.COMPLIANT.value
    unit_price: Decimal | None = None
    currency: str = ""
    true_up_cost: Decimal | None = None
    unused_cost: Decimal | None = None
    entitlement_ids: list[int] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    candidate_count: int = 0
    exposure: list[dict[str, Any]] = field(default_factory=list)

    @property
    def available(self) -> int | None:
        if self.entitled is None:
            return None
        return self.entitled + self.received - self.lent


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def shares(
    entitlements: Iterable[EntitlementFact],
    suites: Mapping[int, Sequence[int]],
    on: dt.date,
) -> dict[RowKey, list[Share]]:
    """The rights of every entitlement active on ``on``, per row (suites expanded)."""
    result: dict[RowKey, list[Share]] = defaultdict(list)
    for ent in entitlements:
        if not ent.active_on(on):
            continue
        downgrade = ent.version_rights == VersionRightsChoices.DOWNGRADE
        if ent.product_id is not None:
            members = [ent.product_id]
        else:
            members = list(suites.get(ent.suite_id or 0, ()))
        if not members:
            continue
        split = Decimal(len(members))
        unit = ent.unit_price / split if ent.unit_price is not None else None
        total = ent.priced_total / split if ent.priced_total is not None else None
        quantity = None if ent.unlimited else ent.quantity
        for product_id in members:
            key = RowKey(product_id, ent.metric, ent.scope)
            result[key].append(Share(ent, quantity, unit, total, downgrade))
    return result


def required_keys(
    row_shares: Mapping[RowKey, list[Share]], products: Mapping[int, ProductFact]
) -> dict[RowKey, KeyParams]:
    """Every row whose consumption must be measured: the rows with rights, and the older
    family members that downgrade rights reach (they may have consumption and no rights)."""
    family: dict[int, list[ProductFact]] = defaultdict(list)
    for product in products.values():
        if product.family_id is not None:
            family[product.family_id].append(product)
    params: dict[RowKey, KeyParams] = {}
    for key, items in row_shares.items():
        ents = [s.entitlement for s in items]
        params[key] = KeyParams(
            min_cores_per_processor=max(e.min_cores_per_processor for e in ents),
            farm_exposure=any(e.farm_exposure for e in ents),
            idle_days=min(e.idle_days for e in ents),
            entitlement_ids=tuple(sorted({e.id for e in ents})),
            min_cores_per_server=max(e.min_cores_per_server for e in ents),
            core_pack_size=max(e.core_pack_size for e in ents),
            core_factor_table=all(e.core_factor_table for e in ents),
            virtual_cores=all(e.virtual_cores for e in ents),
            min_users_per_processor=max(e.min_users_per_processor for e in ents),
            min_users_per_server=max(e.min_users_per_server for e in ents),
        )
    for key, items in list(row_shares.items()):
        newer = products.get(key.product_id)
        if newer is None or newer.family_id is None:
            continue
        if not any(s.downgrade for s in items):
            continue
        for older in family[newer.family_id]:
            if older.version_rank < newer.version_rank:
                lower = RowKey(older.id, key.metric, key.scope)
                params.setdefault(lower, replace(params[key], entitlement_ids=()))
    return params


def _status(entitled: int | None, available: int | None, consumed: int) -> str:
    if entitled is None:
        return StatusChoices.COMPLIANT.value
    assert available is not None
    if available <= 0:
        return (StatusChoices.UNLICENSED if consumed > 0 else StatusChoices.COMPLIANT).value
    if consumed > available:
        return StatusChoices.UNDER.value
    if consumed < available and Decimal(consumed) < USED_SHARE_FOR_OVER * available:
        return StatusChoices.OVER.value
    return StatusChoices.COMPLIANT.value


def _flow_downgrades(
    rows: dict[RowKey, PositionRow],
    row_shares: Mapping[RowKey, list[Share]],
    products: Mapping[int, ProductFact],
) -> None:
    """Let the unused downgradable rights of newer family members cover older members'
    shortfall, newest first (a greedy pass: each older row takes what it lacks)."""
    groups: dict[tuple[int, str, str], list[RowKey]] = defaultdict(list)
    for key in rows:
        product = products.get(key.product_id)
        if product is not None and product.family_id is not None:
            groups[(product.family_id, key.metric, key.scope)].append(key)
    for keys in groups.values():
        keys.sort(key=lambda k: -products[k.product_id].version_rank)
        donors: list[tuple[RowKey, int]] = []  # (row, downgradable surplus left)
        for key in keys:
            row = rows[key]
            if row.entitled is None:
                continue
            need = max(0, row.consumed - row.entitled)
            for index, (donor, spare) in enumerate(donors):
                if need == 0:
                    break
                if products[donor.product_id].version_rank <= products[key.product_id].version_rank:
                    continue
                take = min(spare, need)
                if take:
                    rows[donor].lent += take
                    row.received += take
                    donors[index] = (donor, spare - take)
                    need -= take
            own_down = sum(
                s.quantity or 0 for s in row_shares.get(key, ()) if s.downgrade and s.quantity
            )
            spare = min(own_down, max(0, row.entitled - row.consumed))
            if spare:
                donors.append((key, spare))


def _price(row: PositionRow, items: Sequence[Share]) -> None:
    priced = [s for s in items if s.quantity and s.total is not None]
    latest = sorted(
        (s for s in items if s.unit_price is not None),
        key=lambda s: (s.entitlement.start_date or dt.date.min, s.entitlement.id),
    )
    if latest:
        row.unit_price = _money(latest[-1].unit_price)
        row.currency = latest[-1].entitlement.currency
    elif items:
        row.currency = items[0].entitlement.currency
    if row.shortfall and row.unit_price is not None:
        row.true_up_cost = _money(row.unit_price * row.shortfall)
    elif row.unit_price is not None:
        row.true_up_cost = Decimal("0.00")
    quantity = sum(s.quantity or 0 for s in priced)
    if quantity and row.balance is not None:
        average = sum((s.total for s in priced if s.total is not None), Decimal(0)) / quantity
        row.unused_cost = _money(average * max(0, row.balance))


def compute_position(
    row_shares: Mapping[RowKey, list[Share]],
    products: Mapping[int, ProductFact],
    consumed: Mapping[RowKey, int],
    uncovered: Mapping[int, int] | None = None,
) -> list[PositionRow]:
    """The position rows: entitled, consumed, downgrade flows, balance, status and money.

    ``consumed`` is what :mod:`evidence` measured for every key of :func:`required_keys`;
    ``uncovered`` the devices per product that no entitlement's scope reaches (rows of status
    unlicensed, metric ``device``).
    """
    rows: dict[RowKey, PositionRow] = {}
    keys = set(row_shares) | set(consumed)
    for key in keys:
        items = row_shares.get(key, [])
        unlimited = any(s.quantity is None for s in items)
        entitled = None if unlimited else sum(s.quantity or 0 for s in items)
        product = products.get(key.product_id)
        rows[key] = PositionRow(
            product_id=key.product_id,
            product=product.name if product else str(key.product_id),
            metric=key.metric,
            scope=key.scope,
            entitled=entitled,
            consumed=int(consumed.get(key, 0)),
            entitlement_ids=sorted({s.entitlement.id for s in items}),
        )
    _flow_downgrades(rows, row_shares, products)
    for key, row in rows.items():
        available = row.available
        row.balance = None if available is None else available - row.consumed
        row.shortfall = max(0, -(row.balance or 0))
        row.status = _status(row.entitled, available, row.consumed)
        _price(row, row_shares.get(key, []))
    for product_id, devices in (uncovered or {}).items():
        if devices <= 0:
            continue
        key = RowKey(product_id, UNLICENSED_METRIC, "unlicensed")
        product = products.get(product_id)
        rows[key] = PositionRow(
            product_id=product_id,
            product=product.name if product else str(product_id),
            metric=UNLICENSED_METRIC,
            scope="unlicensed",
            entitled=0,
            consumed=devices,
            balance=-devices,
            shortfall=devices,
            status=StatusChoices.UNLICENSED.value,
        )
    # Rows only measured for downgrade reach with nothing consumed and no rights say nothing.
    return sorted(
        (r for r in rows.values() if r.entitlement_ids or r.consumed or r.received),
        key=lambda r: (r.product.lower(), r.metric, r.scope),
    )


def totals(rows: Iterable[PositionRow]) -> dict[str, Any]:
    """Dashboard figures: rows per status, true-up and unused money per currency."""
    by_status: dict[str, int] = defaultdict(int)
    true_up: dict[str, Decimal] = defaultdict(Decimal)
    unused: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        by_status[row.status] += 1
        if row.true_up_cost:
            true_up[row.currency or "?"] += row.true_up_cost
        if row.unused_cost:
            unused[row.currency or "?"] += row.unused_cost
    return {"by_status": dict(by_status), "true_up": dict(true_up), "unused": dict(unused)}
