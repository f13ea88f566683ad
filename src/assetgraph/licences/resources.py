"""The licences app's resources, each declared once (see :mod:`assetgraph.framework.spec`),
and the sections it adds to other apps' pages (a person's seats, a CI's licensed software).

The licence detail page is the app's own (allocations, installations and the position of its
product); every other page and endpoint is generic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.framework.spec import ALL_PAGES, BulkAction, Column, DetailSection, Resource
from assetgraph.ui.generic import link

from . import api, flags, forms, schemas, services
from .models import (
    Allocation,
    ConcurrencySample,
    CoreFactor,
    Entitlement,
    NormalisationRule,
    Product,
    ProductFamily,
    ProductMapping,
    Publisher,
    SaasUsage,
    Suite,
)

ENTITLEMENT_ACTIONS = ("view", "add", "change", "delete", "view_cost", "view_key")
ALLOCATION_ACTIONS = ("view", "add", "change")


def _seats(e: Entitlement) -> str:
    if e.quantity is None:
        return "unlimited"
    return f"{e.allocated} / {e.quantity}"


def _covers(e: Entitlement) -> Any:
    if e.product_id:
        return link(e.product, "ui:licences:product_detail")
    return link(e.suite, "ui:licences:suite_detail")


def entitlement_exports(request: HttpRequest | None) -> Sequence[Any]:
    """Export columns; costs only for those with ``view_cost`` (the CLI: everything but the
    key, which no export ever carries)."""
    columns: list[tuple[str, Any]] = [
        ("id", lambda e: e.pk),
        ("name", lambda e: e.name),
        ("product", lambda e: str(e.product or "")),
        ("suite", lambda e: str(e.suite or "")),
        ("metric", lambda e: e.metric),
        ("quantity", lambda e: e.quantity),
        ("allocated", lambda e: e.allocated),
        ("term", lambda e: e.term),
        ("start_date", lambda e: e.start_date),
        ("end_date", lambda e: e.end_date),
        ("version_rights", lambda e: e.version_rights),
        ("maintenance_end", lambda e: e.maintenance_end),
        ("scope", lambda e: e.scope),
        ("supplier", lambda e: str(e.supplier or "")),
        ("purchase_reference", lambda e: e.purchase_reference),
        ("has_licence_key", lambda e: "yes" if e.licence_key else "no"),
    ]
    if request is None or has_perm(request.user, "licences.entitlement", "view_cost"):
        columns += [
            ("unit_cost", lambda e: e.unit_cost),
            ("total_cost", lambda e: e.effective_total_cost),
            ("currency", lambda e: e.currency),
        ]
    return columns


PUBLISHER = Resource(
    model=Publisher,
    out_schema=schemas.PublisherOut,
    in_schema=schemas.PublisherIn,
    patch_schema=schemas.PublisherPatch,
    filter_schema=schemas.PublisherFilter,
    create=services.create_publisher,
    update=services.update_publisher,
    delete=services.delete_publisher,
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    search_fields=("name",),
    constraint_fields=("id", "name"),
    columns=[Column("Publisher", lambda p: p.name, order="name", link=True)],
    detail_fields=[("Website", lambda p: p.website)],
    tag="licence catalogue",
    cli_name="publishers",
)

FAMILY = Resource(
    model=ProductFamily,
    out_schema=schemas.FamilyOut,
    in_schema=schemas.FamilyIn,
    patch_schema=schemas.FamilyPatch,
    filter_schema=schemas.FamilyFilter,
    create=services.create_family,
    update=services.update_family,
    delete=services.delete_family,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    select_related=("publisher",),
    search_fields=("name",),
    constraint_fields=("id", "name", "publisher"),
    path="families",
    columns=[
        Column("Family", lambda f: f.name, order="name", link=True),
        Column("Publisher", lambda f: link(f.publisher, "ui:licences:publisher_detail")),
    ],
    detail_fields=[("Publisher", lambda f: link(f.publisher, "ui:licences:publisher_detail"))],
    tag="licence catalogue",
)

PRODUCT = Resource(
    model=Product,
    out_schema=schemas.ProductOut,
    in_schema=schemas.ProductIn,
    patch_schema=schemas.ProductPatch,
    filter_schema=schemas.ProductFilter,
    create=services.create_product,
    update=services.update_product,
    delete=services.delete_product,
    orderings={"name": "name_key", "version_rank": "version_rank", "id": "pk"},
    default_ordering="name",
    select_related=("publisher", "family"),
    search_fields=("name", "edition", "version"),
    constraint_fields=("id", "name", "publisher", "family"),
    path="products",
    columns=[
        Column("Product", lambda p: str(p), order="name", link=True),
        Column("Publisher", lambda p: link(p.publisher, "ui:licences:publisher_detail")),
        Column("Family", lambda p: link(p.family, "ui:licences:productfamily_detail")),
        Column("Version rank", lambda p: p.version_rank, order="version_rank"),
    ],
    detail_fields=[
        ("Publisher", lambda p: link(p.publisher, "ui:licences:publisher_detail")),
        ("Family", lambda p: link(p.family, "ui:licences:productfamily_detail")),
        ("Edition", lambda p: p.edition),
        ("Version", lambda p: p.version),
        ("Version rank", lambda p: p.version_rank),
        (
            "Position",
            lambda p: {
                "url": reverse("ui:licences:dashboard") + f"?product={p.pk}",
                "text": "Compliance position…",
            },
        ),
    ],
    tag="licence catalogue",
    cli_name="licensable-products",
)

SUITE = Resource(
    model=Suite,
    out_schema=schemas.SuiteOut,
    in_schema=schemas.SuiteIn,
    patch_schema=schemas.SuitePatch,
    filter_schema=schemas.SuiteFilter,
    create=services.create_suite,
    update=services.update_suite,
    delete=services.delete_suite,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    select_related=("publisher",),
    prefetch_related=("products",),
    search_fields=("name",),
    constraint_fields=("id", "name"),
    columns=[
        Column("Suite", lambda s: s.name, order="name", link=True),
        Column("Products", lambda s: ", ".join(str(p) for p in s.products.all())),
    ],
    detail_fields=[
        ("Publisher", lambda s: link(s.publisher, "ui:licences:publisher_detail")),
        ("Products", lambda s: ", ".join(str(p) for p in s.products.all())),
    ],
    form_fields=("name", "publisher", "products"),
    tag="licence catalogue",
)

RULE = Resource(
    model=NormalisationRule,
    out_schema=schemas.RuleOut,
    in_schema=schemas.RuleIn,
    patch_schema=schemas.RulePatch,
    filter_schema=schemas.NormalisationRuleFilter,
    create=services.create_rule,
    update=services.update_rule,
    delete=services.delete_rule,
    orderings={"priority": "priority", "id": "pk"},
    default_ordering="priority",
    select_related=("product",),
    search_fields=("name_pattern", "publisher_pattern"),
    constraint_fields=("id", "product"),
    path="rules",
    columns=[
        Column("Priority", lambda r: r.priority, order="priority", link=True),
        Column("Publisher pattern", lambda r: r.publisher_pattern),
        Column("Name pattern", lambda r: r.name_pattern),
        Column("Product", lambda r: link(r.product, "ui:licences:product_detail")),
        Column("Active", lambda r: "Yes" if r.active else "No"),
    ],
    detail_fields=[
        ("Publisher pattern", lambda r: r.publisher_pattern),
        ("Name pattern", lambda r: r.name_pattern),
        ("Product", lambda r: link(r.product, "ui:licences:product_detail")),
    ],
    tag="licence catalogue",
    cli_name="normalisation-rules",
)

CORE_FACTOR = Resource(
    model=CoreFactor,
    out_schema=schemas.CoreFactorOut,
    in_schema=schemas.CoreFactorIn,
    patch_schema=schemas.CoreFactorPatch,
    filter_schema=schemas.CoreFactorFilter,
    create=services.create_core_factor,
    update=services.update_core_factor,
    delete=services.delete_core_factor,
    orderings={"priority": "priority", "id": "pk"},
    default_ordering="priority",
    search_fields=("processor_pattern",),
    constraint_fields=("id",),
    path="core-factors",
    columns=[
        Column("Processor pattern", lambda c: c.processor_pattern, link=True),
        Column("Factor", lambda c: c.factor),
        Column("Priority", lambda c: c.priority, order="priority"),
    ],
    detail_fields=[("Factor", lambda c: c.factor), ("Priority", lambda c: c.priority)],
    tag="licence catalogue",
    cli_name="core-factors",
)

ENTITLEMENT = Resource(
    model=Entitlement,
    out_schema=schemas.EntitlementOut,
    in_schema=schemas.EntitlementIn,
    patch_schema=schemas.EntitlementPatch,
    filter_schema=schemas.EntitlementFilter,
    form_class=forms.EntitlementForm,
    create=services.create_entitlement,
    update=services.update_entitlement,
    delete=services.delete_entitlement,
    form_create=forms.create_entitlement_from_form,
    form_update=forms.update_entitlement_from_form,
    actions=ENTITLEMENT_ACTIONS,
    field_permissions={"unit_cost": "view_cost", "total_cost": "view_cost"},
    orderings={"name": "name", "end_date": "end_date", "id": "pk"},
    default_ordering="name",
    select_related=("product", "suite", "supplier"),
    search_fields=("name", "purchase_reference"),
    constraint_fields=("id", "metric", "product", "suite", "scope", "scope_location"),
    path="",
    api_path="entitlements",
    api_routes=api.entitlement_routes,
    tag="licences",
    pages=ALL_PAGES - {"detail"},
    columns=[
        Column("Licence", lambda e: e.name, order="name", link=True),
        Column("Covers", _covers),
        Column("Metric", lambda e: e.get_metric_display()),
        Column("Seats", _seats),
        Column("Term", lambda e: e.get_term_display()),
        Column("Ends", lambda e: e.end_date, order="end_date"),
    ],
    export_columns=entitlement_exports,
    cli_name="licences",
)


def _allocation_target(a: Allocation) -> Any:
    if a.person_id:
        return link(a.person, "ui:org:person_detail")
    if a.ci_id:
        return link(a.ci, "ui:cmdb:ci_detail")
    return link(a.asset, "ui:assets:asset_detail")


ALLOCATION = Resource(
    model=Allocation,
    out_schema=schemas.AllocationOut,
    in_schema=schemas.AllocationIn,
    patch_schema=schemas.AllocationPatch,
    filter_schema=schemas.AllocationFilter,
    form_class=forms.AllocationForm,
    create=services.create_allocation,
    update=services.update_allocation,
    form_create=forms.create_allocation_from_form,
    actions=ALLOCATION_ACTIONS,
    orderings={"allocated_at": "allocated_at", "id": "pk"},
    default_ordering="-allocated_at",
    select_related=("entitlement", "person", "ci", "asset"),
    constraint_fields=("id", "entitlement", "person"),
    audit_references={"person": "org.person"},
    pages=frozenset({"list", "add", "detail", "history"}),
    columns=[
        Column("Licence", lambda a: link(a.entitlement, "ui:licences:entitlement_detail")),
        Column("Holder", _allocation_target),
        Column("Seats", lambda a: a.quantity),
        Column("Allocated", lambda a: a.allocated_at, order="allocated_at", link=True),
        Column("Reclaimed", lambda a: a.reclaimed_at or ""),
    ],
    detail_fields=[
        ("Licence", lambda a: link(a.entitlement, "ui:licences:entitlement_detail")),
        ("Holder", _allocation_target),
        ("Seats", lambda a: a.quantity),
        ("Allocated at", lambda a: a.allocated_at),
        ("Reclaimed at", lambda a: a.reclaimed_at),
        ("Reclaim reason", lambda a: a.reclaim_reason),
        ("Note", lambda a: a.note),
    ],
    bulk_actions=[
        BulkAction(
            "reclaim", "Reclaim seats", "change", "ui:licences:bulk_reclaim", "arrow-return-left"
        )
    ],
    tag="licence allocations",
)


def person_seats_section(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    """The person page's "Licence seats" section (offboarding: reclaim them in one action)."""
    if not has_perm(request.user, "licences.allocation", "view"):
        return None
    held = list(
        restrict(
            Allocation.objects.filter(person=person, reclaimed_at__isnull=True).select_related(
                "entitlement"
            ),
            request.user,
        )
    )
    if not held:
        return None
    rows = [
        [link(a.entitlement, "ui:licences:entitlement_detail"), a.quantity, a.allocated_at]
        for a in held
    ]
    return {
        "title": f"Licence seats ({len(held)})",
        "headers": ["Licence", "Seats", "Since"],
        "rows": rows,
        "more_url": reverse("ui:licences:person_seats", args=[person.pk]),
    }


# Evidence rows: permission types and History only (written by imports and rule runs).
USAGE = Resource(model=SaasUsage, has_pages=False, constraint_fields=("id", "product"))
CONCURRENCY = Resource(model=ConcurrencySample, has_pages=False, constraint_fields=("id",))
MAPPING = Resource(model=ProductMapping, has_pages=False, constraint_fields=("id", "product"))

RESOURCES = [
    PUBLISHER,
    FAMILY,
    PRODUCT,
    SUITE,
    RULE,
    CORE_FACTOR,
    ENTITLEMENT,
    ALLOCATION,
    USAGE,
    CONCURRENCY,
    MAPPING,
]
SECTIONS = [DetailSection("org.person", person_seats_section)]
# Business flag for the technical views (impact, root cause, changes, CI pages, maps).
FLAG_SOURCES = flags.FLAG_SOURCES
