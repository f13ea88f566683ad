"""Measuring consumption from evidence, set-based, and assembling the position.

Evidence is what the estate shows: CMDB software installations (mapped to licensable products
by :class:`~assetgraph.licences.models.ProductMapping`), seat allocations, SaaS usage imported
from vendors' consoles and concurrency samples. Each metric is measured for all the products of
a (metric, scope) pair with one grouped query (``GROUP BY product``), never one query per
entitlement; per-core and per-processor rows ask :mod:`assetgraph.impact.licensing` for the hosts
the software runs on (the whole farm where the licence says so).

The position as of a past time T reads the entitlements as the audit trail had them at T (the
last event of each at or before T), allocations by their interval, CIs and relationships by
their validity interval, installations recorded by T and usage imported by T.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from assetgraph.assets.choices import AssetStateChoices
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI, SoftwareInstall
from assetgraph.impact.licensing import hosts_for
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import PATH_SEPARATOR, Department, Location

from .choices import MetricChoices
from .models import (
    Allocation,
    ConcurrencySample,
    CoreFactor,
    Entitlement,
    Product,
    ProductMapping,
    SaasUsage,
    Suite,
)
from .position import (
    ORG,
    CoreRule,
    EntitlementFact,
    HostCores,
    KeyParams,
    PositionRow,
    ProductFact,
    RowKey,
    compute_position,
    core_licences,
    required_keys,
    shares,
)
from .scan import LARGE_PRODUCT_SET, InstallScan

MAX_CANDIDATES = 100
DUPLICATE_METRICS = (MetricChoices.INSTALLATION, MetricChoices.DEVICE)
PEAK_WINDOW_DAYS = 90
LEAVER_STATES = (PersonStatusChoices.LEAVING, PersonStatusChoices.LEFT)


# ------------------------------------------------------------------------------ facts
def _scope_of(scope: str, department: int | None, location: int | None) -> str:
    if scope == "location" and location:
        return f"loc:{location}"
    if scope == "department" and department:
        return f"dept:{department}"
    return ORG


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):  # a row's value (20,000 of them at scale): as it is
        return value
    return None if value in (None, "") else Decimal(str(value))


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def fact_from_values(values: dict[str, Any]) -> EntitlementFact:
    """An :class:`EntitlementFact` from a row or an audit snapshot (FKs as ids)."""

    def ref(name: str) -> Any:
        return values.get(f"{name}_id", values.get(name))

    return EntitlementFact(
        id=int(values["id"]),
        name=str(values.get("name", "")),
        metric=str(values["metric"]),
        quantity=values.get("quantity"),
        product_id=ref("product"),
        suite_id=ref("suite"),
        scope=_scope_of(
            str(values.get("scope", "")), ref("scope_department"), ref("scope_location")
        ),
        start_date=_date(values.get("start_date")),
        end_date=_date(values.get("end_date")),
        version_rights=str(values.get("version_rights", "this")),
        unit_cost=_decimal(values.get("unit_cost")),
        total_cost=_decimal(values.get("total_cost")),
        currency=str(values.get("currency", "")),
        min_cores_per_processor=int(values.get("min_cores_per_processor") or 0),
        farm_exposure=bool(values.get("farm_exposure")),
        idle_days=int(values.get("idle_days") or 90),
        min_cores_per_server=int(values.get("min_cores_per_server") or 0),
        core_pack_size=int(values.get("core_pack_size") or 1),
        # Snapshots older than the setting: per-core licences then always used the table.
        core_factor_table=bool(
            values.get("core_factor_table", str(values["metric"]) == MetricChoices.CORE)
        ),
        virtual_cores=bool(values.get("virtual_cores")),
        min_users_per_processor=int(values.get("min_users_per_processor") or 0),
        min_users_per_server=int(values.get("min_users_per_server") or 0),
    )


FACT_FIELDS = (
    "id",
    "name",
    "metric",
    "quantity",
    "product_id",
    "suite_id",
    "scope",
    "scope_department_id",
    "scope_location_id",
    "start_date",
    "end_date",
    "version_rights",
    "unit_cost",
    "total_cost",
    "currency",
    "min_cores_per_processor",
    "farm_exposure",
    "idle_days",
    "min_cores_per_server",
    "core_pack_size",
    "core_factor_table",
    "virtual_cores",
    "min_users_per_processor",
    "min_users_per_server",
)


def entitlement_facts(
    entitlements: QuerySet[Entitlement], as_of: dt.datetime | None = None
) -> list[EntitlementFact]:
    """The entitlements now, or as the audit trail recorded them at ``as_of`` (the last event
    of each at or before it; deleted ones are gone, ones created later absent)."""
    if as_of is None:
        return [fact_from_values(v) for v in entitlements.values(*FACT_FIELDS)]
    visible = {str(pk) for pk in entitlements.values_list("pk", flat=True)}
    last = (
        AuditEvent.objects.filter(object_type="licences.entitlement", timestamp__lte=as_of)
        .exclude(action="set_licence_key")
        .values("object_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    facts = []
    for object_id, action, after in AuditEvent.objects.filter(pk__in=last).values_list(
        "object_id", "action", "after"
    ):
        if action == "delete" or not after:
            continue
        if object_id not in visible and Entitlement.objects.filter(pk=object_id).exists():
            continue  # hidden from this user (deleted ones have no constraint to evaluate)
        facts.append(fact_from_values({**after, "id": int(object_id)}))
    return facts


def product_facts(ids: Iterable[int] | None = None) -> dict[int, ProductFact]:
    """Every licensable product (name with edition and version); with ``ids``, those products
    and every member of their families (what downgrade rights can reach), not the whole
    catalogue (one product's position need not read 5,000 products)."""
    queryset = Product.objects.all()
    if ids is not None:
        wanted = list(ids)
        families = Product.objects.filter(pk__in=wanted, family__isnull=False).values("family")
        queryset = queryset.filter(Q(pk__in=wanted) | Q(family__in=families))
    result = {}
    for pk, name, edition, version, family, rank in queryset.values_list(
        "pk", "name", "edition", "version", "family_id", "version_rank"
    ):
        label = " ".join(p for p in (name, edition, version) if p)
        result[pk] = ProductFact(pk, label, family, rank)
    return result


def suite_members() -> dict[int, list[int]]:
    """``{suite id: [product ids]}``."""
    members: dict[int, list[int]] = defaultdict(list)
    for suite_id, product_id in Suite.products.through.objects.values_list(
        "suite_id", "product_id"
    ):
        members[suite_id].append(product_id)
    return members


# ------------------------------------------------------------------------------ scopes
def scope_label(scope: str, paths: dict[int, str], departments: dict[int, str]) -> str:
    """How a scope reads: "Whole organisation", a location path, a department name."""
    if scope.startswith("loc:"):
        return paths.get(int(scope[4:]), scope)
    if scope.startswith("dept:"):
        return departments.get(int(scope[5:]), scope)
    if scope == "unlicensed":
        return "no entitlement covers it"
    return "Whole organisation"


def location_paths() -> dict[int, str]:
    return dict(Location.objects.values_list("pk", "path"))


def _subtree(prefix: str, path: str) -> Q:
    return Q(**{prefix: path}) | Q(**{f"{prefix}__startswith": f"{path}{PATH_SEPARATOR}"})


def device_scope(scope: str, paths: dict[int, str], via: str = "ci__") -> Q:
    """Devices (CIs) in a scope: their own or their asset's location in the subtree; the
    owning team or the asset custodian's department."""
    if scope.startswith("loc:"):
        path = paths.get(int(scope[4:]), "\0")
        return _subtree(f"{via}location__path", path) | _subtree(
            f"{via}asset__location__path", path
        )
    if scope.startswith("dept:"):
        dept = int(scope[5:])
        return Q(**{f"{via}owning_team_id": dept}) | Q(
            **{f"{via}asset__custodian__department_id": dept}
        )
    return Q()


def person_scope(scope: str, paths: dict[int, str], via: str = "person__") -> Q:
    """People in a scope: their location in the subtree, or their department."""
    if scope.startswith("loc:"):
        return _subtree(f"{via}location__path", paths.get(int(scope[4:]), "\0"))
    if scope.startswith("dept:"):
        return Q(**{f"{via}department_id": int(scope[5:])})
    return Q()


# ------------------------------------------------------------------------------ measuring
@dataclass
class Measure:
    """What was measured: consumption per row, candidates and exposure paths per row."""

    consumed: dict[RowKey, int] = field(default_factory=dict)
    candidates: dict[RowKey, list[dict[str, Any]]] = field(default_factory=dict)
    candidate_counts: dict[RowKey, int] = field(default_factory=dict)
    exposure: dict[RowKey, list[dict[str, Any]]] = field(default_factory=dict)
    uncovered: dict[int, int] = field(default_factory=dict)


class Evidence:
    """The evidence of one position computation (now or as of ``as_of``).

    ``reference=True`` measures with the plain query shapes the position was first written
    with (one grouped query per metric, CIs filtered with ``ci IN (current CIs)``): slower on
    a large estate, kept as the oracle the tests compare the fast path against.
    """

    def __init__(self, as_of: dt.datetime | None = None, *, reference: bool = False) -> None:
        self.as_of = as_of
        self.reference = reference
        self.day = timezone.localdate(as_of) if as_of else timezone.localdate()
        self.paths = location_paths()
        self._org_counts: dict[int, tuple[int, int]] = {}
        self.scan = InstallScan() if as_of is None and not reference else None

    # --- base querysets
    def installs(self, product_ids: Iterable[int]) -> QuerySet[SoftwareInstall]:
        """Installations mapped to the products, on CIs existing at the time.

        Now, for a few products (one product's position), the query is shaped so that the
        database reads the installations of those products through the installation's product
        index and drops the few on retired CIs (``NOT IN``): written as ``ci IN (current
        CIs)``, SQLite's planner walks every current CI and probes the unique (ci, product)
        index for each, which reads the whole 2,000,000-row table even for one product. For
        many products that walk is the cheaper plan, and stays.
        """
        ids = list(product_ids)
        if self.scan is not None and len(ids) <= LARGE_PRODUCT_SET:
            software = ProductMapping.objects.filter(product_id__in=ids)
            retired = CI.objects.filter(valid_to__isnull=False).values("pk")
            return (
                SoftwareInstall.objects.filter(product_id__in=software.values("software_id"))
                .exclude(ci_id__in=retired)
                .order_by()
            )
        cis = CI.objects.as_of(self.as_of) if self.as_of else CI.objects.current()
        queryset = SoftwareInstall.objects.filter(
            product__licence_mapping__product_id__in=ids, ci__in=cis
        )
        if self.as_of:
            queryset = queryset.filter(created__lte=self.as_of)
        return queryset.order_by()

    def org_counts(self, products: Iterable[int]) -> dict[int, tuple[int, int]]:
        """``{product: (installations, devices)}`` over the whole organisation, measured once
        per computation: the device and installation metrics, the duplicate check and the
        unlicensed rows all read these two numbers, so each product's installations are read
        once, not once per question."""
        wanted = set(products)
        missing = wanted - self._org_counts.keys()
        if missing:
            self._org_counts.update(dict.fromkeys(missing, (0, 0)))
            if self.scan is not None and len(missing) > LARGE_PRODUCT_SET:
                self._org_counts.update(self.scan.counts(missing))
                missing &= self.scan.multi_entry_products()
            for row in (
                self.installs(missing)
                .values("product__licence_mapping__product_id")
                .annotate(n=Count("id"), d=Count("ci_id", distinct=True))
            ):
                self._org_counts[row["product__licence_mapping__product_id"]] = (
                    row["n"],
                    row["d"],
                )
        return {p: self._org_counts[p] for p in wanted}

    def _summarised(self, scope: str) -> bool:
        return scope == ORG and self.scan is not None

    def _scanned(self, products: set[int] | dict[int, Any], scope: str = ORG) -> bool:
        """Whether a question over these products is answered by :class:`InstallScan`."""
        return self._summarised(scope) and len(products) > LARGE_PRODUCT_SET

    def allocations(
        self, entitlement_ids: Iterable[int], *, selective: bool = False
    ) -> QuerySet[Allocation]:
        """Allocations active at the time. ``selective``: the caller adds selective conditions
        and skips the rows of other entitlements itself, so a long list of ids (20,000 at
        scale: costlier to compile and probe than the few rows it removes) is left out."""
        ids = list(entitlement_ids)
        if selective and self.scan is not None and len(ids) > LARGE_PRODUCT_SET:
            queryset = Allocation.objects.all()
        else:
            queryset = Allocation.objects.filter(entitlement_id__in=ids)
        if self.as_of is None:
            return queryset.filter(reclaimed_at__isnull=True).order_by()
        return queryset.filter(
            Q(reclaimed_at__isnull=True) | Q(reclaimed_at__gt=self.as_of),
            allocated_at__lte=self.as_of,
        ).order_by()

    def usage(self, product_ids: Iterable[int]) -> QuerySet[SaasUsage]:
        queryset = SaasUsage.objects.filter(product_id__in=list(product_ids))
        if self.as_of:
            queryset = queryset.filter(imported_at__lte=self.as_of)
        return queryset.order_by()

    # --- per metric, for all products of one (metric, scope) at once
    def devices(self, products: set[int], scope: str) -> dict[int, int]:
        if self._summarised(scope):
            return {p: d for p, (_, d) in self.org_counts(products).items() if d}
        rows = (
            self.installs(products)
            .filter(device_scope(scope, self.paths))
            .values("product__licence_mapping__product_id")
            .annotate(n=Count("ci_id", distinct=True))
        )
        return {r["product__licence_mapping__product_id"]: r["n"] for r in rows}

    def installations(self, products: set[int], scope: str) -> dict[int, int]:
        if self._summarised(scope):
            return {p: n for p, (n, _) in self.org_counts(products).items() if n}
        rows = (
            self.installs(products)
            .filter(device_scope(scope, self.paths))
            .values("product__licence_mapping__product_id")
            .annotate(n=Count("id"))
        )
        return {r["product__licence_mapping__product_id"]: r["n"] for r in rows}

    def device_allocations_without_install(
        self, keys: dict[RowKey, KeyParams], quantity: bool
    ) -> dict[RowKey, int]:
        """Seats allocated to devices that show no installation of the row's product (they
        hold a right anyway: counted on top of the installations)."""
        wanted = {e: k for k, p in keys.items() for e in p.entitlement_ids}
        rows = [
            row
            for row in self.allocations(wanted, selective=True)
            .filter(person__isnull=True)
            .values_list("entitlement_id", "ci_id", "asset__ci__id", "quantity")
            if row[0] in wanted
        ]
        ci_ids = {ci or aci for _, ci, aci, _ in rows if ci or aci}
        installed = set(
            self.installs({k.product_id for k in keys})
            .filter(ci_id__in=ci_ids)
            .values_list("product__licence_mapping__product_id", "ci_id")
        )
        extra: dict[RowKey, int] = defaultdict(int)
        for ent, ci, aci, qty in rows:
            key = wanted[ent]
            device = ci or aci
            if device is None or (key.product_id, device) not in installed:
                extra[key] += qty if quantity else 1
        return extra

    def users(
        self, products: set[int], scope: str, keys: dict[RowKey, KeyParams]
    ) -> dict[int, int]:
        """Distinct people: allocated a seat, custodian of a device with an installation, or
        listed in the SaaS console; a device with no custodian counts as one user."""
        installs = self.installs(products).filter(device_scope(scope, self.paths))
        counts: dict[int, int] = defaultdict(int)
        held: list[tuple[int, int, int]] | None = None
        if self.scan is not None and self._scanned(products, scope):
            held = self.scan.custodian_pairs(products)
            counts.update(_custodian_counts(held, self.org_counts(products)))
        else:
            for row in installs.values("product__licence_mapping__product_id").annotate(
                people=Count("ci__asset__custodian_id", distinct=True),
                devices=Count(
                    "ci_id", distinct=True, filter=Q(ci__asset__custodian_id__isnull=True)
                ),
            ):
                product = row["product__licence_mapping__product_id"]
                counts[product] = row["people"] + row["devices"]
        # People who hold a seat or are in a console, counted unless already a custodian.
        others: dict[int, set[str]] = defaultdict(set)
        ent_product = {e: k.product_id for k, p in keys.items() for e in p.entitlement_ids}
        for ent, person in (
            self.allocations(ent_product)
            .filter(person__isnull=False)
            .values_list("entitlement_id", "person_id")
        ):
            others[ent_product[ent]].add(f"p{person}")
        for product, person, name in (
            self.usage(products)
            .filter(person_scope(scope, self.paths))
            .values_list("product_id", "person_id", "user_name")
        ):
            others[product].add(f"p{person}" if person else f"u{name.lower()}")
        named = {int(t[1:]) for found in others.values() for t in found if t[0] == "p"}
        if held is not None:
            custodians = {(p, person) for p, person, _ in held if person in named}
        else:
            custodians = set(
                installs.filter(ci__asset__custodian_id__in=named)
                .values_list("product__licence_mapping__product_id", "ci__asset__custodian_id")
                .distinct()
            )
        for product, found in others.items():
            counts[product] += sum(
                1
                for token in found
                if token[0] != "p" or (product, int(token[1:])) not in custodians
            )
        return dict(counts)

    def subscriptions(
        self, products: set[int], scope: str, keys: dict[RowKey, KeyParams]
    ) -> dict[int, int]:
        """Seats held: every user the console lists, plus allocated people it does not list."""
        listed: dict[int, set[int]] = defaultdict(set)
        counts: dict[int, int] = defaultdict(int)
        for product, person in (
            self.usage(products)
            .filter(person_scope(scope, self.paths))
            .values_list("product_id", "person_id")
        ):
            counts[product] += 1
            if person:
                listed[product].add(person)
        ent_product = {e: k.product_id for k, p in keys.items() for e in p.entitlement_ids}
        for ent, person in (
            self.allocations(ent_product)
            .filter(person__isnull=False)
            .values_list("entitlement_id", "person_id")
        ):
            product = ent_product[ent]
            if person not in listed[product]:
                listed[product].add(person)
                counts[product] += 1
        return dict(counts)

    def concurrent_peak(self, products: set[int]) -> dict[int, int]:
        """The highest concurrency sample of the last :data:`PEAK_WINDOW_DAYS` days."""
        end = self.as_of or timezone.now()
        rows = (
            ConcurrencySample.objects.filter(
                product_id__in=products,
                measured_at__lte=end,
                measured_at__gt=end - dt.timedelta(days=PEAK_WINDOW_DAYS),
            )
            .values("product_id")
            .annotate(peak=Max("users"))
        )
        return {r["product_id"]: r["peak"] for r in rows}

    def hardware(
        self, keys: dict[RowKey, KeyParams], scope: str, *, cores: bool, nup: bool = False
    ) -> tuple[dict[RowKey, int], dict[RowKey, list[dict[str, Any]]]]:
        """Core licences (or processors) of the hosts each row's software runs on; with
        ``nup``, the named-user minimum those hosts impose (Oracle Named User Plus)."""
        products = {k.product_id for k in keys}
        by_product: dict[int, set[int]] = defaultdict(set)
        for product, ci in (
            self.installs(products)
            .filter(device_scope(scope, self.paths))
            .values_list("product__licence_mapping__product_id", "ci_id")
            .distinct()
        ):
            by_product[product].add(ci)
        exposures = hosts_for(
            set().union(*by_product.values()) if by_product else (), as_of=self.as_of
        )
        every_host = {h for e in exposures.values() for h in (*e.farm_hosts, *e.direct_hosts)}
        specs = _host_specs(every_host | {n for e in exposures.values() for n in e.path})
        factors = list(
            CoreFactor.objects.order_by("priority", "id").values_list("processor_pattern", "factor")
        )
        consumed: dict[RowKey, int] = {}
        paths: dict[RowKey, list[dict[str, Any]]] = {}
        for key, params in keys.items():
            hosts: set[int] = set()
            shown: list[dict[str, Any]] = []
            for ci in sorted(by_product.get(key.product_id, ())):
                exposure = exposures[ci]
                if params.farm_exposure:
                    found = exposure.farm_hosts
                elif cores and params.virtual_cores:
                    found = (_own_environment(exposure, specs),)
                else:
                    found = exposure.direct_hosts
                hosts.update(found)
                if params.farm_exposure and exposure.group is not None and len(shown) < 20:
                    shown.append(_exposure_dict(exposure, specs, factors, params))
            known = [specs.get(h, _UNKNOWN_HOST) for h in sorted(hosts)]
            if nup:
                processors = core_licences(
                    (s.host_cores(factors) for s in known), CoreRule(factor_table=True)
                )
                consumed[key] = (
                    params.min_users_per_processor * processors
                    + params.min_users_per_server * len(known)
                )
            elif cores:
                consumed[key] = core_licences(
                    (s.host_cores(factors) for s in known), params.core_rule
                )
            else:
                consumed[key] = sum(s.processors for s in known)
            paths[key] = shown
        return consumed, paths


def _own_environment(exposure: Any, specs: dict[int, _HostSpec]) -> int:
    """The server or VM the software itself runs in: the first CI on its hosting chain (the
    installed CI first) that has cores, before any farm; the CI itself when none has."""
    for node, edge in zip(exposure.path, exposure.edges, strict=False):
        if edge == "has member":
            break
        spec = specs.get(node)
        if spec is not None and spec.cores > 0:
            return int(node)
    return int(exposure.ci)


@dataclass(frozen=True)
class _HostSpec:
    name: str
    cores: int
    processors: int
    cpu_model: str

    def factor(self, factors: list[tuple[str, Decimal]]) -> Decimal:
        model = self.cpu_model.lower()
        for pattern, value in factors:
            if model and fnmatchcase(model, pattern.lower()):
                return value
        return Decimal(1)

    def host_cores(self, factors: list[tuple[str, Decimal]]) -> HostCores:
        return HostCores(self.cores, self.processors, self.factor(factors))


_UNKNOWN_HOST = _HostSpec("?", 0, 1, "")


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _host_specs(ci_ids: set[int]) -> dict[int, _HostSpec]:
    """Cores (``cpu_count``), processors (``cpu_sockets``, default 1) and ``cpu_model``."""
    specs = {}
    for pk, name, attributes in CI.objects.filter(pk__in=ci_ids).values_list(
        "pk", "name", "attributes"
    ):
        attrs = attributes or {}
        specs[pk] = _HostSpec(
            name,
            _as_int(attrs.get("cpu_count"), 0),
            max(1, _as_int(attrs.get("cpu_sockets"), 1)),
            str(attrs.get("cpu_model") or ""),
        )
    return specs


def _exposure_dict(
    exposure: Any,
    specs: dict[int, _HostSpec],
    factors: list[tuple[str, Decimal]],
    params: KeyParams,
) -> dict[str, Any]:
    names = [specs.get(n, _HostSpec(str(n), 0, 1, "")).name for n in exposure.path]
    steps = []
    for index, (name, edge) in enumerate(zip(names, exposure.edges, strict=True)):
        if edge == "has member":
            break
        steps.append(name if index == 0 else f"{edge} {name}")
    host_cores = sum(specs[h].cores for h in exposure.farm_hosts if h in specs)
    licences = core_licences(
        (specs[h].host_cores(factors) for h in exposure.farm_hosts if h in specs),
        params.core_rule,
    )
    return {
        "ci": exposure.ci,
        "ci_name": names[0] if names else str(exposure.ci),
        "group": exposure.group,
        "group_name": specs.get(exposure.group, _HostSpec("", 0, 1, "")).name
        if exposure.group
        else "",
        "path": " → ".join(steps) + f" → has member x{len(exposure.farm_hosts)} hosts",
        "hosts": [specs[h].name for h in exposure.farm_hosts if h in specs],
        "cores": host_cores,
        "licences": licences,
    }


# ------------------------------------------------------------------------------ the measure
def _group(keys: dict[RowKey, KeyParams]) -> dict[tuple[str, str], dict[RowKey, KeyParams]]:
    grouped: dict[tuple[str, str], dict[RowKey, KeyParams]] = defaultdict(dict)
    for key, params in keys.items():
        grouped[(key.metric, key.scope)][key] = params
    return grouped


def measure(evidence: Evidence, keys: dict[RowKey, KeyParams]) -> Measure:
    """Consumption of every row, one grouped query per (metric, scope) and evidence kind."""
    result = Measure()
    for (metric, scope), group in _group(keys).items():
        products = {k.product_id for k in group}
        if metric in (MetricChoices.DEVICE, MetricChoices.SITE, MetricChoices.ENTERPRISE):
            per = evidence.devices(products, scope)
            extra = (
                evidence.device_allocations_without_install(group, quantity=False)
                if metric == MetricChoices.DEVICE
                else {}
            )
            for key in group:
                result.consumed[key] = per.get(key.product_id, 0) + extra.get(key, 0)
        elif metric == MetricChoices.INSTALLATION:
            per = evidence.installations(products, scope)
            extra = evidence.device_allocations_without_install(group, quantity=True)
            for key in group:
                result.consumed[key] = per.get(key.product_id, 0) + extra.get(key, 0)
        elif metric == MetricChoices.USER:
            per = evidence.users(products, scope, group)
            floored = {
                k: p
                for k, p in group.items()
                if p.min_users_per_processor or p.min_users_per_server
            }
            minimum, _ = (
                evidence.hardware(floored, scope, cores=False, nup=True) if floored else ({}, {})
            )
            for key in group:
                result.consumed[key] = max(per.get(key.product_id, 0), minimum.get(key, 0))
        elif metric == MetricChoices.SUBSCRIPTION:
            per = evidence.subscriptions(products, scope, group)
            for key in group:
                result.consumed[key] = per.get(key.product_id, 0)
        elif metric == MetricChoices.CONCURRENT:
            per = evidence.concurrent_peak(products)
            for key in group:
                result.consumed[key] = per.get(key.product_id, 0)
        elif metric in (MetricChoices.CORE, MetricChoices.PROCESSOR):
            consumed, paths = evidence.hardware(group, scope, cores=metric == MetricChoices.CORE)
            result.consumed.update(consumed)
            result.exposure.update(paths)
    _candidates(evidence, keys, result)
    return result


def _add(result: Measure, key: RowKey, item: dict[str, Any]) -> None:
    result.candidate_counts[key] = result.candidate_counts.get(key, 0) + 1
    listed = result.candidates.setdefault(key, [])
    if len(listed) < MAX_CANDIDATES:
        listed.append(item)


def _candidates(evidence: Evidence, keys: dict[RowKey, KeyParams], result: Measure) -> None:
    """Reclaim candidates of every row, each with its reason (see docs/licences.md)."""
    ent_key = {e: k for k, p in keys.items() for e in p.entitlement_ids}
    # Seats held by leavers or retired devices.
    for pk, ent, person, status, name, ci, tag in (
        evidence.allocations(ent_key, selective=True)
        .filter(
            Q(person__status__in=LEAVER_STATES)
            | Q(ci__valid_to__isnull=False)
            | Q(asset__state=AssetStateChoices.RETIRED)
        )
        .values_list(
            "pk",
            "entitlement_id",
            "person_id",
            "person__status",
            "person__last_name",
            "ci_id",
            "asset__asset_tag",
        )
        .order_by("pk")
    ):
        if ent not in ent_key:
            continue
        reason = (
            f"allocated to a leaver ({name}, {status})"
            if person
            else f"allocated to a retired device ({tag or ci})"
        )
        _add(
            result,
            ent_key[ent],
            {
                "kind": "leaver" if person else "retired",
                "allocation": pk,
                "person": person,
                "reason": reason,
            },
        )
    by_product: dict[int, list[RowKey]] = defaultdict(list)
    for key in keys:
        by_product[key.product_id].append(key)
    products = set(by_product)
    if not products:
        return
    # Duplicate installations of one product on one device (only where a product has more
    # installations than devices: the grouped count over every installation is costly).
    doubled = _doubled(evidence, {k.product_id for k in keys if k.metric in DUPLICATE_METRICS})
    for product, ci, count in _duplicates(evidence, doubled):
        for key in by_product[product]:
            if key.metric in (MetricChoices.INSTALLATION, MetricChoices.DEVICE):
                _add(
                    result,
                    key,
                    {
                        "kind": "duplicate",
                        "ci": ci,
                        "reason": f"{count} installations on one device",
                    },
                )
    _unused_installs(evidence, keys, result)
    _idle_seats(evidence, keys, result)


def _custodian_counts(
    held: list[tuple[int, int, int]], counts: dict[int, tuple[int, int]]
) -> dict[int, int]:
    """Users per product from installations: the distinct custodians, plus the devices with
    no custodian (the product's devices less those with one)."""
    people: dict[int, set[int]] = defaultdict(set)
    with_custodian: dict[int, set[int]] = defaultdict(set)
    for product, person, ci in held:
        people[product].add(person)
        with_custodian[product].add(ci)
    result = {}
    for product, (_, devices) in counts.items():
        users = len(people[product]) + devices - len(with_custodian[product])
        if users:
            result[product] = users
    return result


def _duplicate_query(evidence: Evidence, products: Iterable[int]) -> list[tuple[int, int, int]]:
    return [
        (int(product), int(ci), int(count))
        for product, ci, count in evidence.installs(products)
        .values("product__licence_mapping__product_id", "ci_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("product__licence_mapping__product_id", "ci_id", "n")
    ]


def _duplicates(evidence: Evidence, doubled: list[int]) -> list[tuple[int, int, int]]:
    """``(product, CI, installations)`` for the devices holding a doubled product twice, by
    product and CI."""
    if evidence.scan is None:
        return _duplicate_query(evidence, doubled)
    if not evidence._scanned(set(doubled)):
        return sorted(_duplicate_query(evidence, doubled))
    multi = set(doubled) & evidence.scan.multi_entry_products()
    found = [(d.product_id, d.ci_id, d.installs) for d in evidence.scan.duplicates(doubled)]
    if multi:
        found += _duplicate_query(evidence, multi)
    return sorted(found)


def _doubled(evidence: Evidence, products: set[int]) -> list[int]:
    """Products with more installations than devices (some device has two)."""
    if evidence.scan is not None:
        return sorted(p for p, (n, d) in evidence.org_counts(products).items() if n > d)
    return [
        row["product__licence_mapping__product_id"]
        for row in evidence.installs(products)
        .values("product__licence_mapping__product_id")
        .annotate(n=Count("id"), d=Count("ci_id", distinct=True))
        .filter(n__gt=F("d"))
    ]


def _by_idle_days(
    keys: dict[RowKey, KeyParams], metrics: Iterable[str]
) -> dict[int, dict[int, list[RowKey]]]:
    """``{idle days: {product: [rows]}}`` for the rows of ``metrics`` (one query per distinct
    idle threshold, whatever the number of products)."""
    wanted = set(metrics)
    grouped: dict[int, dict[int, list[RowKey]]] = defaultdict(lambda: defaultdict(list))
    for key, params in keys.items():
        if key.metric in wanted:
            grouped[params.idle_days][key.product_id].append(key)
    return grouped


def _unused_installs(evidence: Evidence, keys: dict[RowKey, KeyParams], result: Measure) -> None:
    """Installed on a device discovery has not seen for N days (unused)."""
    metrics = (MetricChoices.DEVICE, MetricChoices.INSTALLATION, MetricChoices.USER)
    for days, by_product in _by_idle_days(keys, metrics).items():
        stale = timezone.make_aware(
            dt.datetime.combine(evidence.day - dt.timedelta(days=days), dt.time())
        )
        found: Iterable[tuple[int, int, str, dt.datetime | None]]
        if evidence.scan is not None and evidence._scanned(by_product):
            found = evidence.scan.stale(by_product, stale)
        else:
            found = _stale_query(evidence, by_product, stale)
        for product, ci, name, seen in found:
            reason = f"installed but unused for {days}+ days ({name} last seen {seen:%Y-%m-%d})"
            for key in by_product[product]:
                _add(result, key, {"kind": "unused", "ci": ci, "reason": reason})


def _stale_query(
    evidence: Evidence, by_product: dict[int, list[RowKey]], stale: dt.datetime
) -> list[tuple[int, int, str, dt.datetime | None]]:
    return list(
        evidence.installs(by_product)
        .filter(ci__last_seen__lt=stale)
        .values_list("product__licence_mapping__product_id", "ci_id", "ci__name", "ci__last_seen")
        .distinct()
        .order_by("product__licence_mapping__product_id", "ci_id")
    )


def _idle_seats(evidence: Evidence, keys: dict[RowKey, KeyParams], result: Measure) -> None:
    """SaaS seats idle for N days (or never active)."""
    metrics = (MetricChoices.SUBSCRIPTION, MetricChoices.USER)
    for days, by_product in _by_idle_days(keys, metrics).items():
        cutoff = evidence.day - dt.timedelta(days=days)
        for product, pk, user, person, last in (
            evidence.usage(by_product)
            .filter(Q(last_active__lt=cutoff) | Q(last_active__isnull=True))
            .values_list("product_id", "pk", "user_name", "person_id", "last_active")
            .order_by("product_id", "last_active", "user_name")
        ):
            when = f"last active {last}" if last else "never active"
            reason = f"SaaS seat idle for {days}+ days ({user}, {when})"
            for key in by_product[product]:
                _add(result, key, {"kind": "idle", "usage": pk, "person": person, "reason": reason})


def uncovered_devices(
    evidence: Evidence,
    facts: list[EntitlementFact],
    suites: dict[int, list[int]],
    products: dict[int, ProductFact],
    only: set[int] | None = None,
) -> dict[int, int]:
    """Devices with an installation of a product that no active entitlement's scope reaches:
    one grouped query for products with no rights at all, one per product with only scoped
    rights (an organisation-wide right of any metric covers every installation). ``products``
    is the whole catalogue (downgrade rights reach across a family); ``only`` narrows the
    answer to some products."""
    scopes: dict[int, set[str]] = defaultdict(set)
    family_rank = {p.id: (p.family_id, p.version_rank) for p in products.values()}
    by_family: dict[int, list[ProductFact]] = defaultdict(list)
    for p in products.values():
        if p.family_id is not None:
            by_family[p.family_id].append(p)
    for fact in facts:
        if not fact.active_on(evidence.day):
            continue
        covered = [fact.product_id] if fact.product_id else suites.get(fact.suite_id or 0, [])
        if fact.version_rights == "downgrade" and fact.product_id:
            family, rank = family_rank.get(fact.product_id, (None, 0))
            if family is not None:
                covered = [p.id for p in by_family[family] if p.version_rank <= rank]
        for product in covered:
            scopes[product].add(fact.scope)
    result: dict[int, int] = {}
    wanted = set(products) if only is None else only & set(products)
    scopes = defaultdict(set, {p: found for p, found in scopes.items() if p in wanted})
    unlicensed = [p for p in wanted if p not in scopes]
    if unlicensed and evidence._summarised(ORG):
        result.update(evidence.devices(set(unlicensed), ORG))
    elif unlicensed:
        for row in (
            evidence.installs(unlicensed)
            .values("product__licence_mapping__product_id")
            .annotate(n=Count("ci_id", distinct=True))
        ):
            result[row["product__licence_mapping__product_id"]] = row["n"]
    for product, product_scopes in scopes.items():
        if ORG in product_scopes:
            continue
        inside = Q()
        for scope in product_scopes:
            inside |= device_scope(scope, evidence.paths)
        outside = evidence.installs([product]).exclude(inside).values("ci_id").distinct().count()
        if outside:
            result[product] = outside
    return result


@dataclass
class Position:
    """A computed position: its rows and when it was taken."""

    rows: list[PositionRow]
    as_of: dt.datetime | None
    day: dt.date


def compute(
    entitlements: QuerySet[Entitlement],
    *,
    as_of: dt.datetime | None = None,
    product_ids: set[int] | None = None,
    reference: bool = False,
) -> Position:
    """The position over ``entitlements`` (already restricted to what the caller may see),
    now or as of a past time; ``product_ids`` narrows it to some products. ``reference``
    measures with the plain queries (see :class:`Evidence`), for tests."""
    evidence = Evidence(as_of, reference=reference)
    products = product_facts(product_ids)
    suites = suite_members()
    related: set[int] = set()
    if product_ids is not None:
        # Only the entitlements that can cover these products: their own, their family's
        # (downgrade rights) and their suites'.
        families = {products[p].family_id for p in product_ids if p in products} - {None}
        related = set(product_ids) | {p.id for p in products.values() if p.family_id in families}
        suite_ids = [s for s, members in suites.items() if related.intersection(members)]
        entitlements = entitlements.filter(Q(product_id__in=related) | Q(suite_id__in=suite_ids))
    facts = entitlement_facts(entitlements, as_of)
    row_shares = shares(facts, suites, evidence.day)
    keys = required_keys(row_shares, products)
    if product_ids is not None:
        # The product's family is measured too: what a newer version lends an older one by
        # downgrade rights is its surplus, known only from its own consumption.
        keys = {k: p for k, p in keys.items() if k.product_id in related}
        row_shares = {k: v for k, v in row_shares.items() if k.product_id in related}
    measured = measure(evidence, keys)
    uncovered = uncovered_devices(evidence, facts, suites, products, product_ids)
    rows = compute_position(row_shares, products, measured.consumed, uncovered)
    if product_ids is not None:
        rows = [r for r in rows if r.product_id in product_ids]
    departments = dict(Department.objects.values_list("pk", "name"))
    for row in rows:
        row.scope_label = scope_label(row.scope, evidence.paths, departments)
        key = RowKey(row.product_id, row.metric, row.scope)
        row.candidates = measured.candidates.get(key, [])
        row.candidate_count = measured.candidate_counts.get(key, 0)
        row.exposure = measured.exposure.get(key, [])
    return Position(rows, as_of, evidence.day)
