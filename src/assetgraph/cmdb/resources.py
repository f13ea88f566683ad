"""The CMDB's resources, each declared once: API, pages, registry, search, exports and CLI
kinds are derived from these (see :mod:`assetgraph.framework.spec`). CIs and relationships keep
their own endpoints (``as_of`` on every read; deleting ends an interval)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from assetgraph.core.actor import Actor
from assetgraph.framework.spec import Column, DetailSection, Resource
from assetgraph.ui.generic import link, name_of

from . import context, exports, flags, forms, schemas, services
from .importers import CIImporter, RelationshipImporter
from .models import (
    CI,
    HOT_KEYS,
    CIClass,
    ClassAttribute,
    Relationship,
    RelationshipType,
    SoftwareInstall,
    SoftwareProduct,
)
from .querysets import attribute_definitions

LIST_ATTRIBUTES = (*HOT_KEYS, "os", "version", "vendor")


def _retire(actor: Actor, ci: CI) -> None:
    """The generic "delete" of a CI is a retirement."""
    services.retire_ci(actor, ci)


def _current_unless_asked(request: HttpRequest, queryset: Any) -> Any:
    """CIs list current ones unless ``include_retired`` is asked for."""
    if request.GET.get("include_retired") not in {"true", "1", "yes"}:
        return queryset.filter(valid_to__isnull=True)
    return queryset


CI_RESOURCE = Resource(
    model=CI,
    filter_schema=schemas.CIFilter,
    form_class=forms.CIForm,
    create=services.create_ci,
    update=services.update_ci,
    delete=_retire,
    orderings={"name": "name_key", "id": "pk", "criticality": "criticality"},
    default_ordering="name",
    select_related=("ci_class", "owning_team", "location"),
    columns=[
        Column("Name", lambda c: c.name, order="name", link=True),
        Column("Class", lambda c: link(c.ci_class, "ui:cmdb:ciclass_detail")),
        Column("Status", lambda c: c.get_operational_status_display()),
        Column("Environment", lambda c: c.get_environment_display()),
        Column("Tier", lambda c: c.criticality, order="criticality"),
        Column("Team", lambda c: link(c.owning_team, "ui:org:department_detail")),
        Column("Host name", lambda c: c.attributes.get("hostname", "")),
    ],
    attribute_definitions=lambda: [d for d in attribute_definitions() if d.key in LIST_ATTRIBUTES],
    out_schema=schemas.CIOut,
    in_schema=schemas.CIIn,
    patch_schema=schemas.CIPatch,
    api_path="cis",
    # CIs have their own endpoints (api.py): every read takes ``as_of``.
    generate_api=False,
    base_filter=_current_unless_asked,
    # "Edit selected" on the list; the status is the CI's state (retiring stays its own action).
    bulk_edit_fields=(
        "operational_status",
        "environment",
        "criticality",
        "owning_team",
        "support_group",
        "location",
    ),
    path="cis",
    pages=frozenset({"list", "history"}),
    url_names={"delete": "ui:cmdb:ci_delete"},
    search_fields=("name", "description"),
    picker_detail=lambda c: " · ".join(
        part
        for part in (name_of(c.ci_class), c.get_environment_display(), name_of(c.location))
        if part
    ),
    constraint_fields=(
        "id",
        "name",
        "ci_class",
        "ci_class__name",
        "operational_status",
        "environment",
        "criticality",
        "owning_team",
        "owning_team__code",
        "support_group",
        "support_group__code",
        "location",
        "location__path",
        "source",
    ),
    export_columns=exports.CI_COLUMNS,
    cli_name="cis",
    importer=CIImporter,
)


def _attribute_table(request: HttpRequest, ci_class: CIClass) -> dict[str, Any] | None:
    rows = ci_class.effective_attributes()
    return {
        "title": "Attributes (own and inherited)",
        "headers": ["Key", "Label", "Type", "Required", "Defined on"],
        "rows": [
            [
                d.key,
                d.label,
                d.get_type_display(),
                "yes" if d.required else "",
                link(d.ci_class, "ui:cmdb:ciclass_detail"),
            ]
            for d in rows
        ],
        "more_url": None,
    }


CLASS_RESOURCE = Resource(
    model=CIClass,
    filter_schema=schemas.CIClassFilter,
    form_class=forms.CIClassForm,
    create=services.create_ci_class,
    update=services.update_ci_class,
    delete=services.delete_ci_class,
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    select_related=("parent",),
    columns=[
        Column("Name", lambda c: c.name, order="name", link=True),
        Column("Inherits from", lambda c: link(c.parent, "ui:cmdb:ciclass_detail")),
        Column("Group", lambda c: "yes" if c.is_group else ""),
        Column("Identified by", lambda c: ", ".join(c.identification_key) or "name"),
    ],
    detail_fields=[
        ("Inherits from", lambda c: link(c.parent, "ui:cmdb:ciclass_detail")),
        ("Description", lambda c: c.description),
        ("Group (redundancy)", lambda c: "yes" if c.is_group else "no"),
        ("Identified by", lambda c: ", ".join(c.identification_key) or "name"),
        ("Built in", lambda c: "yes" if c.builtin else "no"),
    ],
    related_tables=[_attribute_table],
    out_schema=schemas.CIClassOut,
    in_schema=schemas.CIClassIn,
    patch_schema=schemas.CIClassPatch,
    api_path="classes",
    tag="CI classes",
    search_fields=("name", "description"),
    constraint_fields=("id", "name", "parent", "is_group", "builtin"),
    export_columns=[
        ("name", lambda c: c.name),
        ("parent", lambda c: c.parent.name if c.parent else ""),
        ("is_group", lambda c: c.is_group),
        ("identification_key", lambda c: ",".join(c.identification_key)),
    ],
)

TYPE_RESOURCE = Resource(
    model=RelationshipType,
    filter_schema=schemas.RelationshipTypeFilter,
    form_class=forms.RelationshipTypeForm,
    create=services.create_relationship_type,
    update=services.update_relationship_type,
    delete=services.delete_relationship_type,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    columns=[
        Column("Name", lambda t: t.name, order="name", link=True),
        Column("Reverse", lambda t: t.reverse_name),
        Column("Impact", lambda t: t.get_impact_direction_display()),
        Column("Membership", lambda t: "yes" if t.is_membership else ""),
    ],
    detail_fields=[
        ("Reverse name", lambda t: t.reverse_name),
        ("Impact direction", lambda t: t.get_impact_direction_display()),
        ("Membership", lambda t: "yes" if t.is_membership else "no"),
        ("Description", lambda t: t.description),
    ],
    out_schema=schemas.RelationshipTypeOut,
    in_schema=schemas.RelationshipTypeIn,
    patch_schema=schemas.RelationshipTypePatch,
    api_path="relationship-types",
    tag="relationship types",
    search_fields=("name", "reverse_name"),
    constraint_fields=("id", "name", "impact_direction", "builtin"),
    export_columns=[
        ("name", lambda t: t.name),
        ("reverse_name", lambda t: t.reverse_name),
        ("impact_direction", lambda t: t.impact_direction),
        ("is_membership", lambda t: t.is_membership),
    ],
)


ATTRIBUTE_RESOURCE = Resource(
    model=ClassAttribute,
    filter_schema=schemas.ClassAttributeFilter,
    form_class=forms.ClassAttributeForm,
    create=services.create_class_attribute,
    update=services.update_class_attribute,
    delete=services.delete_class_attribute,
    orderings={"key": "key", "id": "pk"},
    default_ordering="key",
    select_related=("ci_class",),
    columns=[
        Column("Key", lambda a: a.key, order="key", link=True),
        Column("Label", lambda a: a.label),
        Column("Class", lambda a: link(a.ci_class, "ui:cmdb:ciclass_detail")),
        Column("Type", lambda a: a.get_type_display()),
        Column("Required", lambda a: "yes" if a.required else ""),
    ],
    detail_fields=[
        ("Class", lambda a: link(a.ci_class, "ui:cmdb:ciclass_detail")),
        ("Label", lambda a: a.label),
        ("Type", lambda a: a.get_type_display()),
        ("Required", lambda a: "yes" if a.required else "no"),
        ("Recommended", lambda a: "yes" if a.recommended else "no"),
        ("Choices", lambda a: ", ".join(a.choices)),
        ("Help", lambda a: a.help_text),
    ],
    out_schema=schemas.ClassAttributeOut,
    in_schema=schemas.ClassAttributeIn,
    patch_schema=schemas.ClassAttributePatch,
    api_path="attributes",
    tag="CI class attributes",
    search_fields=("key", "label"),
    constraint_fields=("id", "key", "ci_class", "ci_class__name", "type"),
    export_columns=[
        ("class", lambda a: a.ci_class.name),
        ("key", lambda a: a.key),
        ("label", lambda a: a.label),
        ("type", lambda a: a.type),
        ("required", lambda a: a.required),
    ],
)

RELATIONSHIP = Resource(
    model=Relationship,
    has_pages=False,
    select_related=("source", "target", "type"),
    constraint_fields=(
        "id",
        "type",
        "type__name",
        "source",
        "target",
        "source__ci_class__name",
        "target__ci_class__name",
        "source__owning_team",
        "target__owning_team",
    ),
    create=services.add_relationship,
    update=services.update_relationship,
    delete=services.remove_relationship,
    export_columns=exports.RELATIONSHIP_COLUMNS,
    cli_name="relationships",
    importer=RelationshipImporter,
)
SOFTWARE_PRODUCT = Resource(
    model=SoftwareProduct,
    has_pages=False,
    search_fields=("publisher", "name"),
    constraint_fields=("id", "publisher", "name"),
)
SOFTWARE_INSTALL = Resource(
    model=SoftwareInstall,
    has_pages=False,
    constraint_fields=("id", "ci", "product", "product__publisher", "ci__owning_team"),
)

RESOURCES = [
    CI_RESOURCE,
    CLASS_RESOURCE,
    ATTRIBUTE_RESOURCE,
    TYPE_RESOURCE,
    RELATIONSHIP,
    SOFTWARE_PRODUCT,
    SOFTWARE_INSTALL,
]


# One record, two halves: the CI page shows the asset's business facts (the asset page's CI
# section, with the services that depend on it, is the impact app's: a graph answer).
def person_endpoints_section(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    """The person page's "Their devices in the CMDB": the CIs of the assets they hold (their
    endpoints), as far as the viewer may see both."""
    from assetgraph.accounts.permissions import has_perm, restrict
    from assetgraph.assets.models import Asset

    user = request.user
    if not (has_perm(user, "cmdb.ci", "view") and has_perm(user, "assets.asset", "view")):
        return None
    held = restrict(Asset.objects.filter(custodian=person), user).values("pk")
    visible = restrict(
        CI.objects.current().filter(asset__in=held).select_related("ci_class"), user
    ).order_by("name_key", "pk")
    cis = list(visible[:101])
    if not cis:
        return None
    total = visible.count() if len(cis) > 100 else len(cis)
    cis = cis[:100]
    shown = f"{len(cis)} of {total}" if total > len(cis) else str(total)
    return {
        "title": f"Their devices in the CMDB ({shown})",
        "id": "endpoints",
        "headers": ["CI", "Class", "Status"],
        "rows": [
            [link(ci, "ui:cmdb:ci_detail"), str(ci.ci_class), ci.get_operational_status_display()]
            for ci in cis
        ],
    }


SECTIONS = [
    DetailSection("cmdb.ci", context.ci_business_section),
    DetailSection("cmdb.ci", context.ci_flags_section),
    DetailSection("org.person", person_endpoints_section),
]
# Business flags the CMDB and ITAM answer (warranty, end of life, planned decommissioning).
FLAG_SOURCES = flags.FLAG_SOURCES
