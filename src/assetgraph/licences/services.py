"""Writes of the licences app: one transaction each, validated, audited.

Catalogue objects use the generic audited CRUD. Entitlements keep their ``allocated`` counter
out of ordinary edits (only the allocation services move it, with conditional updates) and their
licence key out of the audit trail: setting a key records an event that says a key was set,
never what it is. Allocation is race-safe on both databases: the seat is taken by
``UPDATE … SET allocated = allocated + n WHERE allocated + n <= quantity``; a request that finds
no seat left is a 409 naming how many remain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.assets.models import Asset
from assetgraph.audit.services import EventSpec, record_event, record_events, snapshot
from assetgraph.cmdb.models import CI, SoftwareProduct
from assetgraph.core.actor import Actor
from assetgraph.core.errors import (
    Conflict,
    MissingReference,
    PreconditionFailed,
    ValidationFailed,
)
from assetgraph.core.registry import object_type_key
from assetgraph.framework.crud import (
    assign_editable,
    create_instance,
    delete_instance,
    full_clean,
    save_or_conflict,
    update_instance,
)
from assetgraph.framework.etags import etag_for
from assetgraph.org.models import Person

from .choices import DEVICE_METRICS, HARDWARE_METRICS, PERSON_METRICS, UNLIMITED_METRICS
from .crypto import encrypt_key
from .models import (
    Allocation,
    CoreFactor,
    Entitlement,
    NormalisationRule,
    Product,
    ProductFamily,
    ProductMapping,
    Publisher,
    Suite,
)
from .reclaim_checks import reclaim_warnings

KEY_REDACTED = "(redacted)"


# ------------------------------------------------------------------------------ catalogue
def create_publisher(actor: Actor, values: Mapping[str, Any]) -> Publisher:
    """Add a publisher."""
    return create_instance(actor, Publisher, values)


def update_publisher(
    actor: Actor, publisher: Publisher, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Publisher:
    """Rename or annotate a publisher."""
    return update_instance(actor, publisher, changes, expected_etag=expected_etag)


def delete_publisher(actor: Actor, publisher: Publisher) -> None:
    """Delete a publisher nothing refers to."""
    delete_instance(actor, publisher)


def create_family(actor: Actor, values: Mapping[str, Any]) -> ProductFamily:
    """Add a product family (the versions that downgrade rights flow between)."""
    return create_instance(actor, ProductFamily, values)


def update_family(
    actor: Actor,
    family: ProductFamily,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> ProductFamily:
    """Rename a product family."""
    return update_instance(actor, family, changes, expected_etag=expected_etag)


def delete_family(actor: Actor, family: ProductFamily) -> None:
    """Delete a family no product belongs to."""
    delete_instance(actor, family)


def create_product(actor: Actor, values: Mapping[str, Any]) -> Product:
    """Add a licensable product (publisher, name, edition, version, family)."""
    return create_instance(actor, Product, values)


def update_product(
    actor: Actor, product: Product, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Product:
    """Change a product's name, edition, version or family."""
    return update_instance(actor, product, changes, expected_etag=expected_etag)


def delete_product(actor: Actor, product: Product) -> None:
    """Delete a product no entitlement refers to (its mappings and rules go with it)."""
    delete_instance(actor, product)


def _suite_snapshot(suite: Suite) -> dict[str, Any]:
    data = snapshot(suite)
    data["products"] = sorted(suite.products.values_list("pk", flat=True)) if suite.pk else []
    return data


def _product_ids(raw: Iterable[Any] | None) -> list[int] | None:
    if raw is None:
        return None
    ids = [item.pk if isinstance(item, Product) else item for item in raw]
    for i, pk in enumerate(ids):
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValidationFailed(
                f"products[{i}]: expected a product id",
                fields={f"products[{i}]": ["expected a product id"]},
            )
    found = set(Product.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        message = f"product {', '.join(map(str, missing))} not found"
        raise MissingReference(f"products: {message}", fields={"products": [message]})
    return sorted(set(ids))


def create_suite(actor: Actor, values: Mapping[str, Any]) -> Suite:
    """Add a suite or bundle with its member products."""
    values = dict(values)
    members = _product_ids(values.pop("products", None)) or []
    with transaction.atomic():
        suite = Suite()
        assign_editable(suite, values)
        authorize(actor, "add", suite)
        full_clean(suite)
        save_or_conflict(suite)
        suite.products.set(members)
        authorize(actor, "add", suite, after=True)
        record_event(actor, "create", suite, after=_suite_snapshot(suite))
        return suite


def update_suite(
    actor: Actor, suite: Suite, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Suite:
    """Rename a suite or change its members."""
    changes = dict(changes)
    members = _product_ids(changes.pop("products", None))
    with transaction.atomic():
        current = Suite.objects.select_for_update().get(pk=suite.pk)
        if expected_etag is not None and etag_for(current) != expected_etag:
            raise PreconditionFailed("the object changed since you read it; reload and retry")
        authorize(actor, "change", current)
        before = _suite_snapshot(current)
        assign_editable(current, changes)
        full_clean(current)
        save_or_conflict(current)
        if members is not None:
            current.products.set(members)
        authorize(actor, "change", current, after=True)
        after = _suite_snapshot(current)
        if after != before:
            record_event(actor, "update", current, before=before, after=after)
        return current


def delete_suite(actor: Actor, suite: Suite) -> None:
    """Delete a suite no entitlement refers to."""
    delete_instance(actor, suite)


def create_rule(actor: Actor, values: Mapping[str, Any]) -> NormalisationRule:
    """Add a normalisation rule (apply the rules to take it into account)."""
    return create_instance(actor, NormalisationRule, values)


def update_rule(
    actor: Actor,
    rule: NormalisationRule,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> NormalisationRule:
    """Change a normalisation rule."""
    return update_instance(actor, rule, changes, expected_etag=expected_etag)


def delete_rule(actor: Actor, rule: NormalisationRule) -> None:
    """Delete a normalisation rule (mappings it made stay until the rules are applied)."""
    delete_instance(actor, rule)


def create_core_factor(actor: Actor, values: Mapping[str, Any]) -> CoreFactor:
    """Add a row of the core-factor table."""
    return create_instance(actor, CoreFactor, values)


def update_core_factor(
    actor: Actor, factor: CoreFactor, changes: Mapping[str, Any], expected_etag: str | None = None
) -> CoreFactor:
    """Change a row of the core-factor table."""
    return update_instance(actor, factor, changes, expected_etag=expected_etag)


def delete_core_factor(actor: Actor, factor: CoreFactor) -> None:
    """Delete a row of the core-factor table."""
    delete_instance(actor, factor)


# The main rows of Oracle's Processor Core Factor Table, as (priority, glob on the CI's
# ``cpu_model``, factor). Globs are tried lowest priority first, so the specific spellings
# ("sparc64 vii+") come before the general ones ("sparc64 vii"); anything unmatched counts 1.0
# (Oracle: single-core chips and every multicore chip not listed). docs/licences.md lists them.
ORACLE_CORE_FACTORS: tuple[tuple[int, str, str], ...] = (
    (10, "*xeon*", "0.5"),
    (10, "*opteron*", "0.5"),
    (10, "*epyc*", "0.5"),
    (11, "*intel*core*", "0.5"),
    (11, "*ryzen*", "0.5"),
    (20, "*ultrasparc t2+*", "0.5"),
    (20, "*sparc64 vii+*", "0.5"),
    (20, "*sparc64 x*", "0.5"),
    (20, "*sparc t4*", "0.5"),
    (20, "*sparc t5*", "0.5"),
    (20, "*sparc t7*", "0.5"),
    (20, "*sparc t8*", "0.5"),
    (20, "*sparc m5*", "0.5"),
    (20, "*sparc m6*", "0.5"),
    (20, "*sparc m7*", "0.5"),
    (20, "*sparc m8*", "0.5"),
    (20, "*sparc s7*", "0.5"),
    (30, "*ultrasparc t2*", "0.75"),
    (30, "*sparc64 vi*", "0.75"),
    (30, "*ultrasparc iv*", "0.75"),
    (30, "*pa-risc*", "0.75"),
    (30, "*power5*", "0.75"),
    (40, "*power*", "1.0"),
    (40, "*itanium*", "1.0"),
)


def load_oracle_core_factors(actor: Actor) -> int:
    """Add the rows of Oracle's core factor table the table does not have yet (matched on
    the pattern), each audited; returns how many were added. Administrators edit or extend
    them afterwards like any other row: the table is data."""
    have = set(CoreFactor.objects.values_list("processor_pattern", flat=True))
    added = 0
    with transaction.atomic():
        for priority, pattern, factor in ORACLE_CORE_FACTORS:
            if pattern in have:
                continue
            create_core_factor(
                actor, {"processor_pattern": pattern, "factor": factor, "priority": priority}
            )
            added += 1
    return added


def apply_normalisation_rules(actor: Actor) -> dict[str, int]:
    """Map every CMDB catalogue entry to the product of the first active rule matching it.

    Entries no rule matches lose their mapping (they become "not licensable"). One audit event
    per mapping created, changed or removed, written in bulk. Returns the counts.
    """
    rules = list(NormalisationRule.objects.filter(active=True).order_by("priority", "id"))
    if rules and not actor.is_system:
        authorize(actor, "change", rules[0])
    current = {m.software_id: m for m in ProductMapping.objects.all()}
    counts = {"mapped": 0, "changed": 0, "unmapped": 0}
    specs: list[EventSpec] = []
    with transaction.atomic():
        for software_id, publisher, name in SoftwareProduct.objects.values_list(
            "pk", "publisher", "name"
        ).iterator(chunk_size=2000):
            rule = next((r for r in rules if r.matches(publisher, name)), None)
            mapping = current.get(software_id)
            if rule is None:
                if mapping is not None:
                    mapping_id = mapping.pk
                    mapping.delete()
                    counts["unmapped"] += 1
                    specs.append(
                        _mapping_event(mapping_id, software_id, "delete", mapping.product_id, None)
                    )
                continue
            if mapping is None:
                made = ProductMapping.objects.create(
                    software_id=software_id, product_id=rule.product_id, rule=rule
                )
                counts["mapped"] += 1
                specs.append(_mapping_event(made.pk, software_id, "create", None, rule.product_id))
            elif mapping.product_id != rule.product_id or mapping.rule_id != rule.pk:
                before = mapping.product_id
                mapping.product_id, mapping.rule = rule.product_id, rule
                mapping.save(update_fields=["product", "rule"])
                counts["changed"] += 1
                specs.append(
                    _mapping_event(mapping.pk, software_id, "update", before, rule.product_id)
                )
        record_events(actor, specs)
    return counts


def _mapping_event(
    mapping_id: int, software_id: int, action: str, before: int | None, after: int | None
) -> EventSpec:
    # The event is about the mapping row (its own id, as the audit log's visibility filter
    # and History expect), naming the catalogue entry it maps.
    return EventSpec(
        object_type=object_type_key(ProductMapping),
        object_id=mapping_id,
        action=action,
        before=None if before is None else {"software": software_id, "product": before},
        after=None if after is None else {"software": software_id, "product": after},
        object_repr=f"software {software_id}",
    )


# ------------------------------------------------------------------------------ entitlements
def _key_event(actor: Actor, entitlement: Entitlement, had_key: bool) -> None:
    """Record that the key changed, never its value (before/after read "(redacted)")."""
    record_event(
        actor,
        "set_licence_key",
        entitlement,
        before={"licence_key": KEY_REDACTED if had_key else ""},
        after={"licence_key": KEY_REDACTED if entitlement.licence_key else ""},
    )


def create_entitlement(actor: Actor, values: Mapping[str, Any]) -> Entitlement:
    """Record a licence (its key, if given, is stored encrypted and audited as redacted)."""
    values = dict(values)
    key = values.pop("licence_key", None)
    with transaction.atomic():
        entitlement = create_instance(actor, Entitlement, values)
        if key:
            entitlement.licence_key = encrypt_key(str(key))
            entitlement.save(update_fields=["licence_key"])
            _key_event(actor, entitlement, had_key=False)
        return entitlement


def update_entitlement(
    actor: Actor,
    entitlement: Entitlement,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> Entitlement:
    """Edit a licence; the allocated counter is never written here (only allocations move it),
    and lowering the quantity below the seats allocated is a 422."""
    changes = dict(changes)
    key = changes.pop("licence_key", None)
    with transaction.atomic():
        current = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
        if expected_etag is not None and etag_for(current) != expected_etag:
            raise PreconditionFailed("the object changed since you read it; reload and retry")
        authorize(actor, "change", current)
        before = snapshot(current)
        assign_editable(current, changes)
        full_clean(current)
        after = snapshot(current)
        if after != before:
            fields = [
                f.attname
                for f in Entitlement._meta.concrete_fields
                if f.editable and not f.primary_key
            ]
            updated = Entitlement.objects.filter(
                pk=current.pk,
                **({"allocated__lte": current.quantity} if current.quantity is not None else {}),
            ).update(**{name: getattr(current, name) for name in fields}, updated=timezone.now())
            if updated != 1:
                raise Conflict("seats were allocated meanwhile; reload and retry")
            current.refresh_from_db()
            authorize(actor, "change", current, after=True)
            record_event(actor, "update", current, before=before, after=snapshot(current))
        if key is not None:
            had_key = bool(current.licence_key)
            current.licence_key = encrypt_key(str(key))
            current.save(update_fields=["licence_key"])
            _key_event(actor, current, had_key)
        return current


def delete_entitlement(actor: Actor, entitlement: Entitlement) -> None:
    """Delete a licence recorded by mistake; one with allocations (even past) is a 409."""
    delete_instance(actor, entitlement)


# ------------------------------------------------------------------------------ allocations
def _target(values: Mapping[str, Any]) -> tuple[Person | None, CI | None, Asset | None]:
    person = values.get("person", values.get("person_id"))
    ci = values.get("ci", values.get("ci_id"))
    asset = values.get("asset", values.get("asset_id"))
    if isinstance(person, int) and not isinstance(person, bool):
        person = Person.objects.filter(pk=person).first() or _missing("person", person)
    if isinstance(ci, int) and not isinstance(ci, bool):
        ci = CI.objects.current().filter(pk=ci).first() or _missing("ci", ci)
    if isinstance(asset, int) and not isinstance(asset, bool):
        asset = Asset.objects.filter(pk=asset).first() or _missing("asset", asset)
    given = [x for x in (person, ci, asset) if x is not None]
    if len(given) != 1:
        message = "give exactly one of person, ci or asset"
        raise ValidationFailed(f"person: {message}", fields={"person": [message]})
    return person, ci, asset


def _missing(field: str, pk: Any) -> Any:
    message = f"{field} {pk} not found"
    raise ValidationFailed(f"{field}: {message}", fields={field: [message]})


def _check_target_fits(entitlement: Entitlement, person: Any, quantity: int) -> None:
    metric = entitlement.metric
    if metric in HARDWARE_METRICS or metric in UNLIMITED_METRICS:
        message = f"a {entitlement.get_metric_display()} licence is not allocated seat by seat"
        raise ValidationFailed(f"entitlement: {message}", fields={"entitlement": [message]})
    if metric in PERSON_METRICS and person is None:
        message = f"{entitlement.get_metric_display()} seats go to people"
        raise ValidationFailed(f"person: {message}", fields={"person": [message]})
    if metric in DEVICE_METRICS and person is not None:
        message = f"{entitlement.get_metric_display()} seats go to devices (ci or asset)"
        raise ValidationFailed(f"ci: {message}", fields={"ci": [message]})
    if quantity < 1:
        raise ValidationFailed("quantity: must be at least 1", fields={"quantity": ["min 1"]})
    if quantity > 1 and metric != "installation":
        message = "only per-installation seats are allocated more than one at a time"
        raise ValidationFailed(f"quantity: {message}", fields={"quantity": [message]})


def allocate_seats(actor: Actor, entitlement: Entitlement, values: Mapping[str, Any]) -> Allocation:
    """Give ``quantity`` seats (default 1) of a licence to a person or a device.

    The seats are taken with one conditional UPDATE on the counter, so of 50 simultaneous
    requests for a 5-seat licence exactly 5 succeed and 45 get a 409 ``no_seats_left``; the
    same person or device twice is a 409 too (a partial unique constraint).
    """
    values = dict(values)
    quantity = int(values.get("quantity") or 1)
    person, ci, asset = _target(values)
    with transaction.atomic():
        current = Entitlement.objects.get(pk=entitlement.pk)
        allocation = Allocation(
            entitlement=current,
            person=person,
            ci=ci,
            asset=asset,
            quantity=quantity,
            note=str(values.get("note") or ""),
        )
        authorize(actor, "add", allocation)
        _check_target_fits(current, person, quantity)
        today = timezone.localdate()
        if current.end_date is not None and current.end_date < today:
            message = f"{current} expired on {current.end_date}"
            raise Conflict(message, code="expired")
        target = {"person": person} if person else {"ci": ci} if ci else {"asset": asset}
        if Allocation.objects.filter(
            entitlement=current, reclaimed_at__isnull=True, **target
        ).exists():
            raise Conflict(
                f"{allocation.target} already holds a seat of {current}", code="already_allocated"
            )
        full_clean(allocation)
        taken = Entitlement.objects.filter(pk=current.pk)
        if current.quantity is not None:
            taken = taken.filter(allocated__lte=F("quantity") - quantity)
        if taken.update(allocated=F("allocated") + quantity) != 1:
            left = Entitlement.objects.filter(pk=current.pk).values_list("quantity", "allocated")[0]
            raise Conflict(
                f"{current}: {(left[0] or 0) - left[1]} seat(s) left, {quantity} asked",
                code="no_seats_left",
            )
        try:
            save_or_conflict(allocation)
        except Conflict as exc:
            raise Conflict(
                f"{allocation.target} already holds a seat of {current}", code="already_allocated"
            ) from exc
        authorize(actor, "add", allocation, after=True)
        record_event(actor, "allocate", allocation, after=snapshot(allocation))
        return allocation


def reclaim_allocations(
    actor: Actor,
    allocations: Iterable[Allocation],
    *,
    reason: str = "reclaimed",
    confirm_services: bool = True,
) -> list[Allocation]:
    """Take seats back (all or nothing): each allocation's interval is closed and its
    licence's counter lowered by its quantity. Already reclaimed ones are a 409.

    With ``confirm_services`` false, a seat whose device runs the software for business
    services (:mod:`.reclaim_checks`) makes it a 409 ``reclaim_needs_confirmation`` naming
    them, and nothing is reclaimed."""
    chosen = list(allocations)
    if not chosen:
        raise ValidationFailed("ids: select at least one allocation", fields={"ids": ["empty"]})
    if not confirm_services:
        warnings = reclaim_warnings(actor.user, chosen)
        if warnings:
            raise Conflict(
                "confirm first: " + "; ".join(warnings.values()),
                code="reclaim_needs_confirmation",
            )
    now = timezone.now()
    with transaction.atomic():
        done: list[Allocation] = []
        for allocation in chosen:
            authorize(actor, "change", allocation)
            before = snapshot(allocation)
            closed = Allocation.objects.filter(pk=allocation.pk, reclaimed_at__isnull=True).update(
                reclaimed_at=now, reclaim_reason=reason[:200]
            )
            if closed != 1:
                raise Conflict(f"{allocation} was already reclaimed", code="already_reclaimed")
            Entitlement.objects.filter(pk=allocation.entitlement_id).update(
                allocated=F("allocated") - allocation.quantity
            )
            allocation.refresh_from_db()
            record_event(actor, "reclaim", allocation, before=before, after=snapshot(allocation))
            done.append(allocation)
        return done


def reclaim_person_seats(actor: Actor, person: Person, *, reason: str = "") -> list[Allocation]:
    """Offboarding in one action: reclaim every active seat a person holds."""
    held = list(Allocation.objects.filter(person=person, reclaimed_at__isnull=True))
    if not held:
        return []
    return reclaim_allocations(actor, held, reason=reason or f"offboarding {person}")


def update_allocation(
    actor: Actor,
    allocation: Allocation,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> Allocation:
    """Edit an allocation's note (its target and quantity are fixed: reclaim and allocate)."""
    unknown = set(changes) - {"note"}
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(
            f"{name}: reclaim and allocate again instead", fields={name: ["not editable"]}
        )
    return update_instance(actor, allocation, changes, expected_etag=expected_etag)


def create_allocation(actor: Actor, values: Mapping[str, Any]) -> Allocation:
    """The generic create of an allocation: :func:`allocate_seats` on ``values['entitlement']``."""
    values = dict(values)
    raw = values.pop("entitlement", values.pop("entitlement_id", None))
    entitlement = (
        raw if isinstance(raw, Entitlement) else Entitlement.objects.filter(pk=raw).first()
    )
    if entitlement is None:
        message = "an existing entitlement is required"
        raise ValidationFailed(f"entitlement: {message}", fields={"entitlement": [message]})
    return allocate_seats(actor, entitlement, values)


def cutoff(on: dt.date, days: int) -> dt.date:
    """The day before which a last use counts as idle (``on`` - ``days``)."""
    return on - dt.timedelta(days=days)


def reclaim_idle_seats(
    actor: Actor,
    *,
    allocation_ids: Iterable[int] = (),
    usage_ids: Iterable[int] = (),
    reason: str = "idle seat reclaimed",
) -> dict[str, int]:
    """Reclaim reclaim-candidates in one action (all or nothing): allocations are closed, and
    each idle SaaS seat is released (its console row removed until the next import says
    otherwise, and the person's allocation of that product, if any, reclaimed)."""
    from .models import SaasUsage

    allocation_ids = list(dict.fromkeys(allocation_ids))
    usage_ids = list(dict.fromkeys(usage_ids))
    if not allocation_ids and not usage_ids:
        raise ValidationFailed("ids: select at least one seat", fields={"ids": ["empty"]})
    with transaction.atomic():
        usages = list(SaasUsage.objects.filter(pk__in=usage_ids).select_related("product"))
        if len(usages) != len(usage_ids):
            raise Conflict("a selected seat was already released; reload", code="stale")
        chosen = {
            a.pk: a
            for a in Allocation.objects.filter(pk__in=allocation_ids, reclaimed_at__isnull=True)
        }
        if len(chosen) != len(allocation_ids):
            raise Conflict("a selected seat was already reclaimed; reload", code="stale")
        specs: list[EventSpec] = []
        for usage in usages:
            authorize(actor, "change", usage)
            if usage.person_id:
                for held in Allocation.objects.filter(
                    person_id=usage.person_id,
                    reclaimed_at__isnull=True,
                    entitlement__product_id=usage.product_id,
                ):
                    chosen.setdefault(held.pk, held)
            specs.append(
                EventSpec(
                    object_type="licences.saasusage",
                    object_id=usage.pk,
                    action="reclaim",
                    before={
                        "product": usage.product_id,
                        "user_name": usage.user_name,
                        "last_active": usage.last_active.isoformat() if usage.last_active else None,
                    },
                    object_repr=str(usage),
                )
            )
        SaasUsage.objects.filter(pk__in=[u.pk for u in usages]).delete()
        record_events(actor, specs)
        done = reclaim_allocations(actor, list(chosen.values()), reason=reason) if chosen else []
    return {"allocations": len(done), "seats_released": len(usages)}
