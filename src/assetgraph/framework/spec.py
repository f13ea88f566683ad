"""One declaration per resource.

A domain app declares each of its models once, in its ``resources.py``, as a :class:`Resource`:
the model, the services that write it, its schemas and filter schema, orderings, related
fetches, the permission type and its constraint fields, search fields, list columns and detail
fields, exports and the importer. Only the model is required: a type with no schemas has no
generated endpoints, one with ``has_pages=False`` no pages. Everything else is derived from it:

- the object-type registry entry (search, permissions, History) — :func:`discover`;
- the REST endpoints — ``assetgraph.api.crud.build_router``;
- the list/detail/form/delete/history pages — ``assetgraph.ui.generic.resource_urls``;
- the CLI's import/export/records kinds — :func:`discover` registers a ``TableKind``;
- the mount points (``assetgraph.site``) add every declared resource of every installed app.

A module-level ``RESOURCES`` list in ``<app>/resources.py`` is what :func:`discover` reads, and
``SECTIONS`` (optional) lists :class:`DetailSection` s the app contributes to other apps'
detail pages, so no app appends to another app's lists. ``FLAG_SOURCES`` and
``BUSINESS_FIGURES`` (optional) declare business facts for the technical views
(:mod:`assetgraph.framework.flags`).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from django import forms
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from ninja import FilterSchema, Router, Schema

from assetgraph.accounts.permissions import restrict
from assetgraph.core import registry
from assetgraph.core.actor import Actor

from . import flags

# The pages the generic views can render for a resource.
ALL_PAGES = frozenset({"list", "add", "detail", "edit", "delete", "history"})
DEFAULT_ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class Column:
    """A list column: header, how to read the value, optional sort key and link."""

    label: str
    value: Callable[[Any], Any]
    order: str | None = None
    link: bool = False


@dataclass(frozen=True)
class BulkAction:
    """An action on the rows selected in a list: a button POSTing ``ids`` to ``url_name``.

    ``permission`` is an action on the resource's object type; users without it do not see the
    button (the target view checks again, per object, with ``restrict``).
    """

    name: str
    label: str
    permission: str
    url_name: str
    icon: str = ""


@dataclass(frozen=True)
class DetailSection:
    """A section an app adds to another type's detail page (the CMDB adds the asset's CI to
    the asset page): ``render(request, obj) -> {"title", "fields", "headers", "rows"} | None``.
    """

    object_type: str
    render: Callable[[HttpRequest, Any], dict[str, Any] | None]


def _pk(obj: Any) -> Any:
    return obj.pk


def _cell_text(column: Column) -> Callable[[Any], Any]:
    """A list column as an export getter: links become their text."""

    def read(obj: Any) -> Any:
        value = column.value(obj)
        return value["text"] if isinstance(value, dict) and "text" in value else value

    return read


@dataclass
class Resource:
    """Everything the API, the pages, the registry, search, exports and the CLI know about one
    model. The generated endpoints and pages need the three services and the filter schema;
    the rest has defaults that fit a plain model.
    """

    model: type[models.Model]
    filter_schema: type[FilterSchema] | None = None
    create: Callable[[Actor, dict[str, Any]], models.Model] | None = None
    update: Callable[..., models.Model] | None = None
    delete: Callable[[Actor, Any], None] | None = None
    orderings: dict[str, str] = field(default_factory=lambda: {"id": "pk"})
    default_ordering: str = "id"
    # API schemas; without them the resource has no generated REST endpoints.
    out_schema: type[Schema] | None = None
    in_schema: type[Schema] | None = None
    patch_schema: type[Schema] | None = None
    select_related: Sequence[str] = ()
    prefetch_related: Sequence[str] = ()
    # Permissions, search and the registry.
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    search_fields: tuple[str, ...] = ()
    constraint_fields: tuple[str, ...] = ()
    # Fields only some may read, redacted in the audit trail, History and exports for others:
    # ``{"cost": "view_cost"}`` (a dotted path names a key inside a nested value).
    field_permissions: dict[str, str] = field(default_factory=dict)
    # Audit-event keys that name an object of another type (``{"asset": "assets.asset"}``):
    # events are shown only to those who may see that object too.
    audit_references: dict[str, str] = field(default_factory=dict)
    # Former object types (the model moved between apps): History still reads their events.
    aliases: tuple[str, ...] = ()
    # Addresses: ``/api/<app>/<api_path>/`` and ``/<app>/<path>/`` (default: the plural,
    # hyphenated; an ``api_path`` starting with "/" is taken from ``/api`` as it is).
    path: str | None = None
    api_path: str = ""
    tag: str = ""
    # False: the app's api.py serves the resource itself (the schemas still document it).
    generate_api: bool = True
    # Extra endpoints on the resource's own path (``/{id}/checkout``), written in its api.py.
    api_routes: Router | None = None
    # Pages: the generic ones to generate; an app's urls.py may serve others under the same
    # names (the asset detail page is the app's own). ``has_pages`` False: no pages at all.
    pages: frozenset[str] = ALL_PAGES
    has_pages: bool = True
    # Page names that differ from ``<model>_<view>`` (``{"detail": "ui:assets:audit_detail"}``).
    url_names: dict[str, str] = field(default_factory=dict)
    columns: Sequence[Column] = ()
    detail_fields: Sequence[tuple[str, Callable[[Any], Any]]] = ()
    related_tables: Sequence[Callable[[HttpRequest, Any], dict[str, Any] | None]] = ()
    bulk_actions: Sequence[BulkAction] = ()
    # Fields the list's "Edit selected" sets on many rows at once (through ``update``, per row).
    bulk_edit_fields: Sequence[str] = ()
    form_class: type[forms.ModelForm[Any]] | None = None
    form_fields: Sequence[str] = ()
    # The pages' writes, where the form's values need shaping first (default: the services).
    form_create: Callable[[Actor, dict[str, Any]], models.Model] | None = None
    form_update: Callable[..., models.Model] | None = None
    # Narrows every list and lookup (CIs: current ones unless asked for retired ones).
    base_filter: Callable[[HttpRequest, models.QuerySet[Any]], models.QuerySet[Any]] | None = None
    # Exports: (header, getter) pairs, or a function of the request returning them (columns
    # that depend on the caller's permissions, such as costs; the CLI passes None). Default:
    # the list's columns.
    export_columns: Sequence[Any] | Callable[[HttpRequest | None], Sequence[Any]] | None = None
    # The CLI kind (``assetgraph import/export/records <cli_name>``); "" = none.
    cli_name: str = ""
    importer: Any = None
    # Typed attributes (custom fields / class attributes) in a JSON column: ``attr.<key>``
    # filters and orderings on lists, the API and exports.
    attribute_definitions: Callable[[], Iterable[Any]] | None = None
    attributes_field: str = "attributes"
    # Type-ahead pickers (``/pick/<type>/``): the line under a suggestion that tells two
    # objects apart (a person's e-mail, department and employee number) and the relations it
    # reads, fetched with the suggestions (no query per row).
    picker_detail: Callable[[Any], str] | None = None
    picker_related: Sequence[str] = ()
    # A human reference people type (``CHG00002``): the condition it stands for, or None.
    reference_lookup: Callable[[str], Any] | None = None

    @property
    def key(self) -> str:
        """The object type (``app_label.model_name``) of permissions, audit and the registry."""
        return registry.object_type_key(self.model)

    @property
    def name(self) -> str:
        return str(self.model._meta.model_name)

    @property
    def namespace(self) -> str:
        """The app's URL namespace under ``ui:``."""
        return str(self.model._meta.app_label)

    @property
    def url_path(self) -> str:
        """The pages' path under ``/<app>/`` ("" for the app's main resource)."""
        if self.path is not None:
            return self.path
        return str(self.model._meta.verbose_name_plural).replace(" ", "-")

    @property
    def api_prefix(self) -> str:
        """Where the generated endpoints are mounted under ``/api``."""
        if self.api_path.startswith("/"):
            return self.api_path
        return f"/{self.namespace}/{self.api_path or self.url_path}".rstrip("/")

    @property
    def api_url(self) -> str:
        """The list endpoint's address (shown on pages as "API")."""
        if self.out_schema is None:
            return ""
        return f"/api{self.api_prefix}/"

    def url_name(self, view: str) -> str:
        return self.url_names.get(view) or f"ui:{self.namespace}:{self.name}_{view}"

    def url(self, view: str, *args: Any) -> str:
        return reverse(self.url_name(view), args=args)

    def service(self, name: str) -> Callable[..., Any]:
        """The service behind a generated write: ``create``, ``update`` or ``delete`` (or the
        form's ``form_create``/``form_update``, falling back to the plain ones)."""
        found = getattr(self, name, None) or getattr(self, name.removeprefix("form_"), None)
        if found is None:
            raise ImproperlyConfigured(f"{self.key} declares no {name} service")
        return cast(Callable[..., Any], found)

    @property
    def filters(self) -> type[FilterSchema]:
        """The filter schema of generated lists."""
        if self.filter_schema is None:
            raise ImproperlyConfigured(f"{self.key} declares no filter schema")
        return self.filter_schema

    def queryset(self, request: HttpRequest, action: str = "view") -> models.QuerySet[Any]:
        """The objects ``request.user`` may ``action``, with the declared related fetches."""
        queryset = self.model._default_manager.select_related(*self.select_related)
        queryset = queryset.prefetch_related(*self.prefetch_related)
        if self.base_filter is not None:
            queryset = self.base_filter(request, queryset)
        return restrict(queryset, request.user, action)

    @cached_property
    def form(self) -> type[forms.ModelForm[Any]]:
        """The form of the add/edit pages: declared, or derived from ``form_fields``."""
        if self.form_class is not None:
            return self.form_class
        names = list(self.form_fields)
        if not names and self.in_schema is not None:
            names = [n.removesuffix("_id") for n in self.in_schema.model_fields]
        return forms.modelform_factory(self.model, fields=names)

    def exports(self, request: HttpRequest | None) -> Sequence[Any]:
        """Export columns as (header, getter) pairs for this caller."""
        columns = self.export_columns
        if callable(columns):
            return columns(request)
        if columns is not None:
            return columns
        derived: list[tuple[str, Callable[[Any], Any]]] = [("id", _pk)]
        derived += [(column.label, _cell_text(column)) for column in self.columns]
        return derived


_RESOURCES: dict[str, Resource] = {}
_SECTIONS: dict[str, list[DetailSection]] = {}


def resources_module(app_name: str) -> Any | None:
    """``<app>.resources`` if the app has one."""
    module_name = f"{app_name}.resources"
    if importlib.util.find_spec(module_name) is None:
        return None
    return importlib.import_module(module_name)


def discover() -> None:
    """Read every installed app's ``resources.py``: register the types, kinds and sections."""
    _RESOURCES.clear()
    _SECTIONS.clear()
    flags.reset()
    for config in apps.get_app_configs():
        if not config.name.startswith("assetgraph."):
            continue
        module = resources_module(config.name)
        if module is None:
            continue
        for resource in getattr(module, "RESOURCES", ()):
            register(resource)
        for section in getattr(module, "SECTIONS", ()):
            _SECTIONS.setdefault(section.object_type, []).append(section)
        flags.declare(
            getattr(module, "FLAG_SOURCES", ()),
            getattr(module, "BUSINESS_FIGURES", None),
            getattr(module, "OUTAGE_PREVIEW", None),
        )


def register(resource: Resource) -> None:
    """Derive the registry entry and the CLI kind of one resource."""
    _RESOURCES[resource.key] = resource
    registry.register(
        resource.model,
        search_fields=resource.search_fields,
        constraint_fields=resource.constraint_fields,
        detail_url_name=resource.url_name("detail") if resource.has_pages else None,
        list_url_name=resource.url_name("list") if resource.has_pages else None,
        actions=resource.actions,
        aliases=resource.aliases,
        field_permissions=resource.field_permissions,
        audit_references=resource.audit_references,
    )
    if resource.cli_name:
        registry.register_table_kind(
            registry.TableKind(
                resource.cli_name,
                resource.model,
                resource.importer,
                tuple(resource.exports(None)),
                tuple(resource.select_related),
                create=resource.create,
                update=resource.update,
                delete=resource.delete,
            )
        )


def resource_for(key: str) -> Resource | None:
    """The declared resource of an object type, if any."""
    return _RESOURCES.get(key)


def all_resources() -> list[Resource]:
    """Every declared resource, in discovery order."""
    return list(_RESOURCES.values())


def app_resources(app_label: str) -> list[Resource]:
    """The resources an app declares, in declaration order."""
    return [r for r in _RESOURCES.values() if r.namespace == app_label]


def sections_for(key: str) -> list[DetailSection]:
    """The sections other apps add to ``key``'s detail page."""
    return list(_SECTIONS.get(key, ()))


def render_sections(request: HttpRequest, key: str, obj: Any) -> list[dict[str, Any]]:
    """Render the contributed sections of a detail page (sections answering None are left out)."""
    return [s for section in sections_for(key) if (s := section.render(request, obj))]


__all__ = [
    "ALL_PAGES",
    "BulkAction",
    "Column",
    "DetailSection",
    "Resource",
    "app_resources",
    "discover",
    "render_sections",
    "resource_for",
    "sections_for",
]
