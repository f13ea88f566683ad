"""The one list/detail/form/delete pattern every app's pages reuse.

A :class:`Resource` describes a model's pages: its list columns, the ``FilterSchema`` shared
with the API (so filters mean the same on both surfaces), orderings, the detail fields, the
form and the services that write. :func:`resource_urls` turns it into URL patterns. Lists
filter, sort and paginate with HTMX (the table partial is swapped in place, the URL is pushed).
A resource may declare :class:`BulkAction` s: the list then gets row checkboxes and a toolbar
that POSTs the selected ids (``ids``, plus ``next``: the list's address) to the action's URL.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from ninja import FilterSchema
from pydantic import ValidationError as PydanticValidationError

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import can_view, get_object_or_404, has_perm, restrict
from assetgraph.api.crud import prime_references
from assetgraph.api.pagination import page_request, paginate
from assetgraph.api.schemas import HIDDEN
from assetgraph.audit.models import AuditEvent
from assetgraph.core import registry
from assetgraph.core.actor import ui_actor
from assetgraph.core.attributes import AttributeType, apply_attribute_params
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied
from assetgraph.framework.redaction import history_events
from assetgraph.framework.spec import BulkAction, Column, Resource, render_sections

from .compare import compare_versions
from .history import describe, humanize
from .models import ListLayout, SavedFilter
from .paging import keyset_page
from .pickers import pick_url, pickable, use_pickers
from .pickers import search as search_references
from .viewer import current_viewer

MAX_FILTER_OPTIONS = 200
# Lists count their rows up to this many; past it the count reads "more than 10,000" (an exact
# count of a million CIs would cost more than the page).
COUNT_CAP = 10_000
MAX_BACK = 50  # pages "Previous" can walk back through
MAX_BACK_CHARS = 4000


def count_rows(queryset: models.QuerySet[Any]) -> tuple[int, bool]:
    """How many rows a filtered list has, counted up to :data:`COUNT_CAP` (capped: True)."""
    found = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(found, COUNT_CAP), found > COUNT_CAP


def link(obj: Any, url_name: str) -> dict[str, str] | str:
    """A detail-page link for templates' cells and fields (``""`` when there is no object).

    An object the viewer may not see reads ``(hidden)``, without its name or a link: the
    same rule as the API's shared ``Ref`` (list pages prime the answers per type).
    """
    if obj is None:
        return ""
    viewer = current_viewer()
    if viewer is not None and registry.for_model(obj) is not None and not can_view(viewer, obj):
        return HIDDEN
    return {"text": str(obj), "url": reverse(url_name, args=[obj.pk])}


def name_of(obj: Any) -> str:
    """A reference's name as plain text: ``""`` for none, ``(hidden)`` for an object the
    viewer may not see (the rule of :func:`link`, for text such as a picker's detail line)."""
    if obj is None:
        return ""
    viewer = current_viewer()
    if viewer is not None and registry.for_model(obj) is not None and not can_view(viewer, obj):
        return str(HIDDEN)
    return str(obj)


@dataclass(frozen=True)
class FilterField:
    """A filter input rendered from a ``FilterSchema`` field."""

    name: str
    label: str
    kind: str  # "text" | "select"
    value: str
    options: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""  # a "picker": where it asks for suggestions


def _filter_label(model: type[models.Model] | None, name: str) -> str:
    """A filter's label: the model field's verbose name ("End of life"), else the key in
    words ("ram_gb" → "RAM (GB)")."""
    key = name.removesuffix("_id")
    if model is not None:
        try:
            verbose = str(getattr(model._meta.get_field(key), "verbose_name", "") or "")
        except Exception:
            verbose = ""
        if verbose:
            return verbose[:1].upper() + verbose[1:]
    return humanize(key)


def _unwrap(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def filter_fields(
    request: AuthedRequest, schema: type[FilterSchema], model: type[models.Model] | None = None
) -> list[FilterField]:
    """Form inputs for every field of a filter schema, with the current values filled in
    (``model``: the listed model, whose foreign keys give short lists drop-downs)."""
    result: list[FilterField] = []
    for name, info in schema.model_fields.items():
        value = request.GET.get(name, "")
        label = info.description.capitalize() if info.description else _filter_label(model, name)
        annotation = _unwrap(info.annotation)
        if annotation is bool:
            result.append(
                FilterField(name, label, "select", value, [("true", "Yes"), ("false", "No")])
            )
        elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            choices = getattr(annotation, "choices", None) or [
                (m.value, m.name.title()) for m in annotation
            ]
            result.append(
                FilterField(
                    name, label, "select", value, [(str(v), str(lbl)) for v, lbl in choices]
                )
            )
        elif annotation is int and name.endswith("_id"):
            options = _related_options(request, model, name, schema)
            related = _related_model(model, name, schema)
            picker = pickable(registry.object_type_key(related)) if related else None
            if options is None and picker is not None:
                # A long list: type-ahead by name (the id travels in the hidden input).
                chosen = ""
                if value.isdigit():
                    obj = picker.queryset(request).filter(pk=int(value)).first()
                    chosen = str(obj) if obj is not None else ""
                result.append(
                    FilterField(
                        name, label, "picker", value, [(value, chosen)], pick_url(picker.key)
                    )
                )
            elif options is None:
                result.append(FilterField(name, label, "text", value))
            else:
                result.append(FilterField(name, label, "select", value, options))
        else:
            result.append(FilterField(name, "Search" if name == "q" else label, "text", value))
    return result


def attribute_filter_fields(request: HttpRequest, definitions: Sequence[Any]) -> list[FilterField]:
    """Inputs for typed attributes (``attr.<key>``), after the schema's own filters."""
    fields = []
    for definition in definitions:
        name = f"attr.{definition.key}"
        value = request.GET.get(name, "")
        if definition.type == AttributeType.BOOLEAN:
            fields.append(
                FilterField(
                    name, definition.label, "select", value, [("true", "Yes"), ("false", "No")]
                )
            )
        elif definition.type == AttributeType.CHOICE:
            fields.append(
                FilterField(
                    name, definition.label, "select", value, [(c, c) for c in definition.choices]
                )
            )
        else:
            fields.append(FilterField(name, definition.label, "text", value))
    return fields


def _related_model(
    model: type[models.Model] | None, name: str, schema: type[FilterSchema] | None = None
) -> type[models.Model] | None:
    """The model a ``<field>_id`` filter refers to, following the filter's declared lookup
    (``category_id`` of assets reads ``model__category_id``); None when it is not a relation."""
    if model is None:
        return None
    path = _lookup_path(schema, name) if schema is not None else name
    related: Any = model
    try:
        for part in path.removesuffix("_id").split("__"):
            related = related._meta.get_field(part).related_model
    except Exception:
        return None
    return related if isinstance(related, type) else None


def _lookup_path(schema: type[FilterSchema], name: str) -> str:
    """The ORM lookup a filter field declares (``FilterLookup("model__category_id")``), else
    its own name."""
    field = schema.model_fields.get(name)
    for meta in field.metadata if field is not None else ():
        lookup = getattr(meta, "q", None)
        if isinstance(lookup, str):
            return lookup
    return name


def _related_options(
    request: HttpRequest,
    model: type[models.Model] | None,
    name: str,
    schema: type[FilterSchema] | None = None,
) -> list[tuple[str, str]] | None:
    related = _related_model(model, name, schema)
    if related is None:
        return None
    # A drop-down only while it stays short; beyond that the filter takes an id.
    rows = list(
        restrict(related._default_manager.all(), request.user, "view")[: MAX_FILTER_OPTIONS + 1]
    )
    if len(rows) > MAX_FILTER_OPTIONS:
        return None
    return [(str(obj.pk), str(obj)) for obj in rows]


def _names_to_ids(
    request: HttpRequest,
    model: type[models.Model] | None,
    raw: dict[str, Any],
    schema: type[FilterSchema] | None = None,
) -> dict[str, list[str]]:
    """Reference filters given by name (``?category_id=laptop``, ``?custodian_id=Minh``)
    become the one visible object's id; none or several is a field error naming the closest
    matches. Why: people filter by what they read, never by a database id."""
    errors: dict[str, list[str]] = {}
    for name, value in list(raw.items()):
        if not name.endswith("_id") or str(value).strip().lstrip("#").isdigit():
            continue
        related = _related_model(model, name, schema)
        resource = pickable(registry.object_type_key(related)) if related else None
        if resource is None:
            continue
        rows, _ = search_references(request, resource, str(value), limit=10)
        exact = [obj for obj in rows if str(obj).lower() == str(value).strip().lower()]
        chosen = exact if exact else rows
        if len(chosen) == 1:
            raw[name] = chosen[0].pk
            continue
        del raw[name]
        label = related._meta.verbose_name if related else name
        if not chosen:
            errors[name] = [f"no {label} named {value!r}"]
        else:
            names = ", ".join(str(obj) for obj in chosen[:5])
            errors[name] = [f"{value!r} matches several: {names}"]
    return errors


def parse_filters(
    request: HttpRequest, schema: type[FilterSchema], model: type[models.Model] | None = None
) -> tuple[FilterSchema, dict[str, list[str]]]:
    """Validate the query string with the API's filter schema; bad values become field errors
    (``model``: the listed model, whose reference filters then also take names)."""
    raw: dict[str, Any] = {
        k: v for k, v in request.GET.items() if k in schema.model_fields and v != ""
    }
    # ``?category=laptop`` is the name filter ``?category_id=laptop`` (people write the word
    # they read, not the field's name).
    for key, value in request.GET.items():
        alias = f"{key}_id"
        if key not in schema.model_fields and alias in schema.model_fields and value != "":
            raw.setdefault(alias, value)
    name_errors = _names_to_ids(request, model, raw, schema)
    if name_errors:
        schema_obj, errors = parse_filters_raw(schema, raw)
        return schema_obj, {**name_errors, **errors}
    return parse_filters_raw(schema, raw)


def parse_filters_raw(
    schema: type[FilterSchema], raw: dict[str, Any]
) -> tuple[FilterSchema, dict[str, list[str]]]:
    """Validate already-collected filter values with the schema."""
    try:
        return schema(**raw), {}
    except PydanticValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            errors.setdefault(str(err["loc"][0]), []).append(err["msg"])
        clean = {k: v for k, v in raw.items() if k not in errors}
        return schema(**clean), errors


@login_required
def list_view(request: AuthedRequest, resource: Resource) -> HttpResponse:
    """The list page; HTMX requests get only the table partial."""
    if not has_perm(request.user, resource.key, "view"):
        raise PermissionDenied(f"you may not view {resource.model._meta.verbose_name_plural}")
    filters, filter_errors = parse_filters(request, resource.filters, resource.model)
    queryset = filters.filter(resource.queryset(request))
    orderings = dict(resource.orderings)
    definitions = list(resource.attribute_definitions()) if resource.attribute_definitions else []
    if definitions:
        try:
            queryset, extra = apply_attribute_params(
                queryset, request.GET, definitions, resource.attributes_field
            )
            orderings.update(extra)
        except ServiceError as exc:
            filter_errors.update(exc.fields)
    if filter_errors:  # a filter that cannot apply lists nothing (and says why), never all
        queryset = queryset.none()
    try:
        paging = page_request(request.GET, orderings, resource.default_ordering)
        rows, next_cursor = paginate(queryset, paging, orderings)
    except ServiceError:  # a bad ordering or a stale cursor: show the first page instead
        paging = page_request({}, resource.orderings, resource.default_ordering)
        rows, next_cursor = paginate(queryset, paging, resource.orderings)
    prime_references(request.user, resource.model, rows)
    layout = ListLayout.objects.filter(user=request.user, list_key=resource.key).first()
    hidden = set(layout.hidden_columns if layout else ())
    columns = [c for c in resource.columns if c.label not in hidden] or list(resource.columns[:1])
    params = {
        k: v for k, v in request.GET.items() if k not in {"cursor", "select", "back"} and v != ""
    }
    # Previous pages: the cursors that led here ("0" for the first page), newest last.
    back = [c for c in request.GET.get("back", "").split(",") if c][-MAX_BACK:]
    if not paging.cursor:
        back = []
    offset = len(back) * paging.limit
    count, count_capped = count_rows(queryset)
    next_back = ",".join([*back, paging.cursor or "0"])[-MAX_BACK_CHARS:]
    previous_url = None
    if paging.cursor:
        previous = back[-1] if back else "0"
        query = {**params, **({"cursor": previous} if previous != "0" else {})}
        if back[:-1]:
            query["back"] = ",".join(back[:-1])
        previous_url = "?" + urlencode(query)
    bulk = _bulk_actions(request, resource)
    current = dict(params, **({"cursor": paging.cursor} if paging.cursor else {}))
    context = {
        "resource": resource,
        "meta": resource.model._meta,
        "rows": [(obj, [_cell(c, obj) for c in columns]) for obj in rows],
        "columns": [_header(c, paging.ordering, params) for c in columns],
        "all_columns": [(c.label, c.label not in hidden) for c in resource.columns],
        "saved_filters": list(SavedFilter.objects.filter(user=request.user, list_key=resource.key)),
        "filter_query": urlencode(params),
        "next_url": "?" + urlencode({**params, "cursor": next_cursor, "back": next_back})
        if next_cursor
        else None,
        "first_url": "?" + urlencode(params) if paging.cursor else None,
        "previous_url": previous_url,
        "count": count,
        "count_capped": count_capped,
        "first_row": offset + 1 if rows else 0,
        "last_row": offset + len(rows),
        "filters": filter_fields(request, resource.filters, resource.model)
        + attribute_filter_fields(request, definitions),
        "filter_errors": filter_errors,
        # On a phone the filters fold away (rows first) unless some are in use.
        "filters_active": len([k for k in params if k != "ordering"]),
        "can_add": has_perm(request.user, resource.key, "add"),
        "export_query": urlencode(params),
        "list_url": resource.url("list"),
        "bulk_actions": bulk,
        "select_all": bool(bulk) and request.GET.get("select") == "all",
        "select_all_url": "?" + urlencode({**current, "select": "all"}),
        "select_none_url": "?" + urlencode(current),
        "current_url": resource.url("list") + (f"?{urlencode(current)}" if current else ""),
        "colspan": len(columns) + (1 if bulk else 0),
    }
    if request.htmx:
        response = render(request, "ui/partials/object_table.html", context)
        # Push the URL without empty filters, so addresses stay short and shareable.
        response["HX-Push-Url"] = resource.url("list") + (f"?{urlencode(params)}" if params else "")
        return response
    return render(request, "ui/object_list.html", context)


def _bulk_actions(request: HttpRequest, resource: Resource) -> list[dict[str, str]]:
    """The bulk actions this user may use on the list (none: no checkboxes); a resource with
    ``bulk_edit_fields`` gets "Edit selected" first."""
    actions = list(resource.bulk_actions)
    if resource.bulk_edit_fields and "list" in resource.pages:
        edit = BulkAction(
            "edit", "Edit selected", "change", resource.url_name("bulk_edit"), "pencil"
        )
        actions.insert(0, edit)
    return [
        {
            "name": action.name,
            "label": action.label,
            "url": reverse(action.url_name),
            "icon": action.icon,
        }
        for action in actions
        if has_perm(request.user, resource.key, action.permission)
    ]


def selected_ids(request: HttpRequest, limit: int = 1000) -> list[int]:
    """The ids a bulk action received (``ids``, repeated or comma-separated), at most ``limit``."""
    raw = ",".join(request.POST.getlist("ids") or request.GET.getlist("ids"))
    ids = [int(part) for part in raw.split(",") if part.strip().isdigit()]
    return list(dict.fromkeys(ids))[:limit]


def _cell(column: Column, obj: Any) -> dict[str, Any]:
    value = column.value(obj)
    if isinstance(value, dict) and "url" in value:  # a reference rendered as a link
        return {"value": value["text"], "url": value["url"]}
    url = obj.get_absolute_url() if column.link and hasattr(obj, "get_absolute_url") else None
    if column.link and url is None:
        entry = registry.for_model(obj)
        url = (
            reverse(entry.detail_url_name, args=[obj.pk])
            if entry and entry.detail_url_name
            else None
        )
    return {"value": "" if value is None else value, "url": url}


def _header(column: Column, ordering: str, params: dict[str, Any]) -> dict[str, Any]:
    if column.order is None:
        return {"label": column.label, "url": None, "direction": None}
    current = ordering.lstrip("-") == column.order
    descending = ordering.startswith("-")
    target = f"-{column.order}" if current and not descending else column.order
    query = {k: v for k, v in params.items() if k != "ordering"}
    query["ordering"] = target
    direction = ("desc" if descending else "asc") if current else None
    return {"label": column.label, "url": "?" + urlencode(query), "direction": direction}


@login_required
def detail_view(request: AuthedRequest, resource: Resource, pk: int) -> HttpResponse:
    """The detail page with its Overview and History tabs (and related tables, then the
    sections other apps contribute to this type's page)."""
    obj = _get(request, resource, pk)
    related = [table for make in resource.related_tables if (table := make(request, obj))]
    for table in related:  # a capped table's export (``?only=<section>&format=csv``)
        if isinstance(table.get("response"), HttpResponse):
            return table["response"]  # type: ignore[no-any-return]
    related += render_sections(request, resource.key, obj)
    context = {
        "resource": resource,
        "meta": resource.model._meta,
        "object": obj,
        "fields": [(label, getter(obj)) for label, getter in resource.detail_fields],
        "related": related,
        # A resource without an edit or delete page (allocations) offers no such button.
        "can_change": "edit" in resource.pages and has_perm(request.user, resource.key, "change"),
        "can_delete": "delete" in resource.pages and has_perm(request.user, resource.key, "delete"),
        # Types without a History page (schedules, jobs, deliveries) show no History tab.
        "history_url": resource.url("history", pk) if "history" in resource.pages else "",
        "edit_url": resource.url("edit", pk) if "edit" in resource.pages else "",
        "delete_url": resource.url("delete", pk) if "delete" in resource.pages else "",
        "list_url": resource.url("list"),
    }
    return render(request, "ui/object_detail.html", context)


def _get(request: AuthedRequest, resource: Resource, pk: int, action: str = "view") -> Any:
    try:
        return get_object_or_404(resource.queryset(request, "view"), request.user, action, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
def history_view(request: AuthedRequest, resource: Resource, pk: int) -> HttpResponse:
    """The History tab: every audit event about the object, newest first (visible objects only)."""
    obj = _get(request, resource, pk)
    events, older = keyset_page(
        history_events(
            AuditEvent.objects.for_object(resource.key, obj.pk), resource.key, request.user
        ),
        request.GET.get("before"),
    )
    older_url = f"{resource.url('history', pk)}?before={older}" if older else None
    context = {
        "events": describe(events, request.user),
        "object": obj,
        "older_url": older_url,
        "compare_url": resource.url("compare", pk),
    }
    return render(request, "ui/partials/history.html", context)


# Versions offered in the compare page's drop-downs (older ones: by event number in the URL).
MAX_VERSIONS = 200


def _version(events: Any, raw: str | None, name: str) -> AuditEvent:
    """The event a compare parameter names, among the object's visible events (else 422)."""
    found = events.filter(pk=int(raw)).first() if raw and raw.isdigit() else None
    if found is None:
        raise ServiceError(f"{name}: no such version of this object", fields={name: ["unknown"]})
    return found  # type: ignore[no-any-return]


@login_required
def compare_view(request: AuthedRequest, resource: Resource, pk: int) -> HttpResponse:
    """Two versions of the object side by side: what changed between them, field by field in
    the words of History (``?from=<event>&to=<event>``; default: the last change)."""
    obj = _get(request, resource, pk)
    events = history_events(
        AuditEvent.objects.for_object(resource.key, obj.pk), resource.key, request.user
    )
    recent = list(events.order_by("-id")[:MAX_VERSIONS])
    status, error, comparison = 200, "", None
    raw_from, raw_to = request.GET.get("from"), request.GET.get("to")
    if raw_from is None and raw_to is None and recent:
        raw_to = str(recent[0].pk)
        raw_from = str(recent[1].pk if len(recent) > 1 else recent[0].pk)
    try:
        newer = _version(events, raw_to, "to")
        older = _version(events, raw_from, "from")
        comparison = compare_versions(events, older, newer, resource.model, request.user)
    except ServiceError as exc:
        status, error = 422, exc.message
    context = {
        "resource": resource,
        "meta": resource.model._meta,
        "object": obj,
        "versions": describe(recent, request.user),
        "comparison": comparison,
        "error": error,
        "chosen_from": raw_from or "",
        "chosen_to": raw_to or "",
        "detail_url": resource.url("detail", pk) if "detail" in resource.pages else "",
    }
    return render(request, "ui/history_compare.html", context, status=status)


def prepare_form(form: forms.BaseForm, request: HttpRequest) -> None:
    """Limit reference choices to visible objects and give inputs the theme's classes."""
    for form_field in form.fields.values():
        if isinstance(form_field, forms.ModelChoiceField) and form_field.queryset is not None:
            form_field.queryset = restrict(form_field.queryset, request.user, "view")
        widget = form_field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    memo = getattr(request, "_picker_lists", None)
    if memo is None:
        memo = {}
        setattr(request, "_picker_lists", memo)  # noqa: B010 - a request-scoped cache
    use_pickers(form, memo)


def apply_service_errors(form: forms.BaseForm, exc: ServiceError) -> None:
    """Show a service's field errors on the form's matching inputs, the rest on top.

    A field name matches as is (``attributes.ram_gb``), without ``_id`` (``department_id`` →
    ``department``) or by its last dotted part (``attributes.ram_gb`` → ``ram_gb``).
    """
    placed = False
    for name, messages_ in exc.fields.items():
        candidates = (name, name.removesuffix("_id"), name.rsplit(".", 1)[-1])
        target = next((c for c in candidates if c in form.fields), None)
        for message in messages_:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _form_values(form: forms.ModelForm[Any]) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}


@login_required
def edit_view(request: AuthedRequest, resource: Resource, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None) or edit form; writes go through the resource's services."""
    obj = None
    if pk is not None:
        obj = _get(request, resource, pk, "change")
    elif not has_perm(request.user, resource.key, "add"):
        if has_perm(request.user, resource.key, "view"):
            raise PermissionDenied("you may not add this")
        raise Http404
    form = resource.form(request.POST or None, instance=obj)
    prepare_form(form, request)
    if request.method == "POST" and form.is_valid():
        try:
            if obj is None:
                saved = resource.service("form_create")(ui_actor(request), _form_values(form))
                messages.success(request, f"Created {saved}.")
            else:
                saved = resource.service("form_update")(ui_actor(request), obj, _form_values(form))
                messages.success(request, f"Saved {saved}.")
            return HttpResponseRedirect(resource.url("detail", saved.pk))
        except ServiceError as exc:
            apply_service_errors(form, exc)
    context = {
        "resource": resource,
        "meta": resource.model._meta,
        "form": form,
        "object": obj,
        "cancel_url": resource.url("detail", obj.pk) if obj else resource.url("list"),
    }
    return render(request, "ui/object_form.html", context, status=422 if form.errors else 200)


@login_required
def delete_view(request: AuthedRequest, resource: Resource, pk: int) -> HttpResponse:
    """Confirm, then delete through the service; a referenced object explains why it cannot go."""
    obj = _get(request, resource, pk, "delete")
    error = None
    if request.method == "POST":
        try:
            label = str(obj)
            resource.service("delete")(ui_actor(request), obj)
            messages.success(request, f"Deleted {label}.")
            return HttpResponseRedirect(resource.url("list"))
        except ServiceError as exc:
            error = exc.message
    return render(
        request,
        "ui/object_confirm_delete.html",
        {
            "resource": resource,
            "meta": resource.model._meta,
            "object": obj,
            "error": error,
            "cancel_url": resource.url("detail", pk),
        },
        status=409 if error else 200,
    )


def resource_urls(resource: Resource) -> list[URLPattern]:
    """URL patterns of the generic pages a resource declares (``resource.pages``): list, add,
    detail, edit, delete and history."""
    if not resource.has_pages:
        return []
    name = resource.name
    base = f"{resource.url_path}/" if resource.url_path else ""
    kwargs = {"resource": resource}
    patterns = {
        "list": path(base, list_view, kwargs, name=f"{name}_list"),
        "add": path(f"{base}add/", edit_view, kwargs, name=f"{name}_add"),
        "detail": path(f"{base}<int:pk>/", detail_view, kwargs, name=f"{name}_detail"),
        "edit": path(f"{base}<int:pk>/edit/", edit_view, kwargs, name=f"{name}_edit"),
        "delete": path(f"{base}<int:pk>/delete/", delete_view, kwargs, name=f"{name}_delete"),
        "history": path(f"{base}<int:pk>/history/", history_view, kwargs, name=f"{name}_history"),
    }
    if "history" in resource.pages:
        compare = path(
            f"{base}<int:pk>/history/compare/", compare_view, kwargs, name=f"{name}_compare"
        )
    found = [pattern for page, pattern in patterns.items() if page in resource.pages]
    if "history" in resource.pages:
        found.append(compare)
    if resource.bulk_edit_fields and "list" in resource.pages:
        from .bulk import bulk_edit_view

        found.append(path(f"{base}bulk/edit/", bulk_edit_view, kwargs, name=f"{name}_bulk_edit"))
    return found


__all__ = ["BulkAction", "Column", "Resource", "link", "name_of", "resource_urls"]
