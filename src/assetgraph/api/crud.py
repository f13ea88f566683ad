"""A router factory for the standard resource endpoints, so every resource behaves alike.

``list`` (filters, ordering, cursor pagination), ``get`` (ETag, If-None-Match), ``create``,
``update`` (PATCH, If-Match → 412 when stale), ``delete`` and ``export`` (CSV/XLSX with the
list's filters). Reads go through ``restrict``; writes call the resource's services, which
check permissions again on the object's new state and audit the change.
"""

from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from ninja import FilterSchema, Query, Router

from assetgraph.accounts.permissions import (
    get_object_or_404,
    has_perm,
    prime_visibility,
    restrict,
)
from assetgraph.core import registry
from assetgraph.core.actor import api_actor
from assetgraph.core.attributes import apply_attribute_params
from assetgraph.core.errors import MissingReference, PermissionDenied, ValidationFailed
from assetgraph.core.exporting import export_response
from assetgraph.framework.etags import etag_for
from assetgraph.framework.redaction import redact_columns
from assetgraph.framework.spec import Resource

from .pagination import Page, page_request, paginate
from .validation import refuse_nulls


def check_references(
    request: HttpRequest, model: type[models.Model], values: dict[str, Any]
) -> None:
    """Reject references to objects the caller cannot see, as if they did not exist."""
    for model_field in model._meta.concrete_fields:
        if not model_field.is_relation or model_field.attname not in values:
            continue
        value = values[model_field.attname]
        if value is None:
            continue
        related = model_field.related_model
        assert isinstance(related, type)
        if (
            not restrict(related._default_manager.all(), request.user, "view")
            .filter(pk=value)
            .exists()
        ):
            name = model_field.attname
            raise MissingReference(
                f"{name}: {related._meta.verbose_name} {value} not found",
                fields={name: ["not found"]},
            )


def with_attributes(
    request: HttpRequest, resource: Resource, queryset: Any
) -> tuple[Any, dict[str, str]]:
    """Apply ``attr.*`` filters/ordering when the resource has typed attributes."""
    if resource.attribute_definitions is None:
        return queryset, dict(resource.orderings)
    narrowed, extra = apply_attribute_params(
        queryset, request.GET, resource.attribute_definitions(), resource.attributes_field
    )
    return narrowed, {**resource.orderings, **extra}


# Query parameters every list reads besides its filters (paging; ``attr.*`` for typed
# attributes; ``format`` for exports).
LIST_PARAMS = frozenset({"limit", "cursor", "ordering", "format"})


def reject_unknown_filters(
    request: HttpRequest, schema: type[FilterSchema] | None, *extra: str
) -> None:
    """A query parameter that is no filter of this list is a 422 naming it, never silently
    ignored (``?category=laptop`` would otherwise list everything): the filter by that word
    is named when the list has one (``category_id``)."""
    fields = set(schema.model_fields) if schema is not None else set()
    known = LIST_PARAMS | fields | set(extra)
    for name in request.GET:
        if name in known or name.startswith("attr."):
            continue
        hint = f"; use {name}_id" if f"{name}_id" in fields else ""
        filters = ", ".join(sorted(fields))
        raise ValidationFailed(
            f"{name}: not a filter of this list{hint} (filters: {filters})",
            fields={name: [f"not a filter of this list{hint}"]},
        )


def prime_references(user: Any, model: type[models.Model], rows: list[Any]) -> None:
    """One visibility query per referenced type for a page of rows, so the shared ``Ref``
    shows hidden references as hidden without a query per row (constrained users)."""
    for model_field in model._meta.concrete_fields:
        related = model_field.related_model
        if model_field.is_relation and isinstance(related, type):
            ids = {getattr(row, model_field.attname) for row in rows}
            prime_visibility(user, related, ids)


def require_view(request: HttpRequest, object_type: str) -> None:
    """Lists of a type the caller cannot view at all answer 403 (single objects answer 404)."""
    if not has_perm(request.user, object_type, "view"):
        raise PermissionDenied(f"you may not view {object_type}")


def if_match(request: HttpRequest) -> str | None:
    """The ``If-Match`` ETag a client sent (``*`` or none: unconditional)."""
    value = request.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    return value.strip().removeprefix("W/")


def build_router(resource: Resource) -> Router:
    """Create the router with the standard endpoints for ``resource``."""
    router = Router(tags=[resource.tag or str(resource.model._meta.verbose_name_plural)])
    if None in (resource.in_schema, resource.patch_schema, resource.filter_schema, resource.create):
        raise ValueError(f"{resource.key}: generated endpoints need schemas and services")
    model = resource.model
    key = registry.object_type_key(model)
    Out = resource.out_schema
    In = resource.in_schema
    Patch = resource.patch_schema
    Filters = resource.filter_schema

    def base(request: HttpRequest, action: str = "view") -> models.QuerySet[Any]:
        return resource.queryset(request, action)

    @router.get(
        "/",
        response=Page[Out],
        summary=f"List {model._meta.verbose_name_plural}",
    )
    def list_objects(request: HttpRequest, filters: Query[Filters]) -> dict[str, Any]:
        require_view(request, key)
        reject_unknown_filters(request, Filters)
        queryset, orderings = with_attributes(request, resource, filters.filter(base(request)))
        paging = page_request(request.GET, orderings, resource.default_ordering)
        rows, next_cursor = paginate(queryset, paging, orderings)
        prime_references(request.user, model, rows)
        return {"results": rows, "next": next_cursor}

    @router.get(
        "/export",
        summary=f"Export {model._meta.verbose_name_plural} (CSV or XLSX)",
    )
    def export_objects(
        request: HttpRequest, filters: Query[Filters], format: str = "csv"
    ) -> HttpResponse:
        require_view(request, key)
        queryset, orderings = with_attributes(request, resource, filters.filter(base(request)))
        paging = page_request(
            {"ordering": request.GET.get("ordering")}, orderings, resource.default_ordering
        )
        direction = "-" if paging.ordering.startswith("-") else ""
        rows = queryset.order_by(f"{direction}{orderings[paging.ordering.lstrip('-')]}", "pk")
        return export_response(
            rows,
            redact_columns(request.user, key, resource.exports(request)),
            str(model._meta.verbose_name_plural).replace(" ", "-"),
            format,
        )

    @router.get(
        "/{int:object_id}",
        response=Out,
        summary=f"Get one {model._meta.verbose_name}",
    )
    def get_object(request: HttpRequest, object_id: int, response: HttpResponse) -> Any:
        obj = get_object_or_404(base(request).all(), request.user, "view", pk=object_id)
        tag = etag_for(obj)
        if request.headers.get("If-None-Match", "").strip() == tag:
            response = HttpResponse(status=304)
            response["ETag"] = tag
            return response
        response["ETag"] = tag
        return obj

    @router.post(
        "/",
        response={201: Out},
        summary=f"Create a {model._meta.verbose_name}",
    )
    def create_object(request: HttpRequest, payload: In) -> tuple[int, Any]:
        if not has_perm(request.user, key, "add"):
            raise PermissionDenied(f"you may not add a {model._meta.verbose_name}")
        values = payload.model_dump()
        check_references(request, model, values)
        obj = resource.service("create")(api_actor(request), values)
        return 201, base(request).get(pk=obj.pk)

    @router.patch(
        "/{int:object_id}",
        response=Out,
        summary=f"Update a {model._meta.verbose_name}",
    )
    def update_object(
        request: HttpRequest, object_id: int, payload: Patch, response: HttpResponse
    ) -> Any:
        obj = get_object_or_404(base(request).all(), request.user, "change", pk=object_id)
        values = payload.model_dump(exclude_unset=True)
        refuse_nulls(model, values)
        check_references(request, model, values)
        updated = resource.service("update")(
            api_actor(request), obj, values, expected_etag=if_match(request)
        )
        result = base(request).get(pk=updated.pk)
        response["ETag"] = etag_for(result)
        return result

    @router.delete(
        "/{int:object_id}",
        response={204: None},
        summary=f"Delete a {model._meta.verbose_name}",
    )
    def delete_object(request: HttpRequest, object_id: int) -> tuple[int, None]:
        obj = get_object_or_404(base(request).all(), request.user, "delete", pk=object_id)
        resource.service("delete")(api_actor(request), obj)
        return 204, None

    if resource.api_routes is not None:
        router.add_router("", resource.api_routes)
    return router
