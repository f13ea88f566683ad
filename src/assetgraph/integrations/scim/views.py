"""The SCIM 2.0 endpoints (RFC 7644) under ``/scim/v2/``.

Authentication is an assetgraph API token carrying the ``provisioning`` scope (and only such
tokens reach these endpoints); writes need it to be write-enabled, and the token's user needs
the ``org.person`` permissions the projection uses. Every answer is ``application/scim+json``;
errors use SCIM's error message with ``scimType`` where the RFC names one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from assetgraph.accounts.services import authenticate_token
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import ServiceError

from ..models import ScimResource, ScimResourceType
from . import provisioning
from .filters import FilterError, matches, parse
from .patch import PatchError, apply_operations
from .schemas import (
    ENTERPRISE,
    ERROR,
    GROUP,
    LIST,
    MAX_RESULTS,
    PATCH,
    SCHEMA_DEFINITIONS,
    SEARCH,
    USER,
    resource_types,
    schema_document,
    service_provider_config,
)

CONTENT_TYPE = "application/scim+json"
KINDS: dict[str, str] = {"Users": ScimResourceType.USER, "Groups": ScimResourceType.GROUP}
CORE: dict[str, str] = {ScimResourceType.USER: USER, ScimResourceType.GROUP: GROUP}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    ScimResourceType.USER: (ENTERPRISE,),
    ScimResourceType.GROUP: (),
}
ALWAYS = {"id", "schemas", "meta"}


class ScimError(Exception):
    """An error answer in SCIM's format."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def respond(body: Any, status: int = 200, etag: str = "", location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=CONTENT_TYPE)
    if etag:
        response["ETag"] = etag
    if location:
        response["Location"] = location
    return response


def error(status: int, detail: str, scim_type: str = "") -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return respond(body, status)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def scim_view(function: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Authenticate the provisioning token, and turn every failure into a SCIM error."""

    @csrf_exempt
    @wraps(function)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        token = authenticate_token(secret.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = error(401, "a provisioning token is required")
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        if not token.allows(request.path, request.method or "GET"):
            return error(403, "this token does not have the provisioning scope")
        if request.method not in ("GET", "HEAD") and not token.write_enabled:
            return error(403, "this provisioning token is read-only")
        request.user = token.user
        actor = Actor(user=token.user, source=Source.API, token_id=token.pk, label="scim")
        try:
            return function(request, actor, *args, **kwargs)
        except ScimError as exc:
            return error(exc.status, exc.detail, exc.scim_type)
        except PatchError as exc:
            return error(400, str(exc), exc.scim_type)
        except FilterError as exc:
            return error(400, str(exc), "invalidFilter")
        except ServiceError as exc:
            if exc.status == 409:
                return error(409, exc.message, "uniqueness")
            if exc.status in (403, 404):
                return error(exc.status, exc.message)
            return error(400, exc.message, "invalidValue")

    return view


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "the body is not valid JSON", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a JSON object", "invalidSyntax")
    return body


def etag_of(resource: ScimResource) -> str:
    return f'W/"{resource.version}"'


def represent(request: HttpRequest, resource: ScimResource) -> dict[str, Any]:
    """The resource's JSON: what the provider sent, with the server's id, meta and state."""
    data = {k: v for k, v in resource.data.items() if k not in ALWAYS and k != "externalId"}
    kind = resource.kind
    out: dict[str, Any] = {
        "schemas": [CORE[kind]] + [u for u in EXTENSIONS[kind] if u in data],
        "id": str(resource.pk),
        **data,
    }
    if resource.external_id:
        out["externalId"] = resource.external_id
    out.pop("active", None)
    if kind == ScimResourceType.USER and (active := provisioning.is_active(resource)) is not None:
        out["active"] = active
    endpoint = "Users" if kind == ScimResourceType.USER else "Groups"
    out["meta"] = {
        "resourceType": kind,
        "created": resource.created.isoformat(),
        "lastModified": resource.updated.isoformat(),
        "location": f"{base_url(request)}/{endpoint}/{resource.pk}",
        "version": etag_of(resource),
    }
    return out


def _names(raw: str) -> list[str]:
    return [n.strip() for n in raw.split(",") if n.strip()]


def _split_name(name: str, kind: str) -> tuple[str, list[str]]:
    """``(extension URN or "", attribute parts)`` of an attribute name."""
    lowered = name.lower()
    for urn in EXTENSIONS[kind]:
        if lowered.startswith(urn.lower() + ":"):
            return urn, name[len(urn) + 1 :].split(".")
    if lowered.startswith(CORE[kind].lower() + ":"):
        name = name[len(CORE[kind]) + 1 :]
    return "", name.split(".")


def _key(container: Any, name: str) -> str | None:
    if not isinstance(container, dict):
        return None
    return next((k for k in container if k.lower() == name.lower()), None)


def _include(body: dict[str, Any], attributes: list[str], kind: str) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k in ALWAYS}
    for name in attributes:
        urn, parts = _split_name(name, kind)
        source: Any = body.get(urn, {}) if urn else body
        target = out.setdefault(urn, {}) if urn else out
        found = _key(source, parts[0])
        if found is None:
            continue
        if len(parts) == 1:
            target[found] = source[found]
        elif (sub := _key(source[found], parts[1])) is not None:
            target.setdefault(found, {})[sub] = source[found][sub]
    return out


def _exclude(body: dict[str, Any], excluded: list[str], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(body))
    for name in excluded:
        urn, parts = _split_name(name, kind)
        container = out.get(urn, {}) if urn else out
        found = _key(container, parts[0])
        if found is None or found in ALWAYS or (not urn and found == "userName"):
            continue  # returned "always" attributes cannot be excluded
        if len(parts) == 1:
            container.pop(found)
        elif (sub := _key(container[found], parts[1])) is not None:
            container[found].pop(sub)
    return out


def project(
    body: dict[str, Any], attributes: list[str], excluded: list[str], kind: str
) -> dict[str, Any]:
    """Apply ``attributes`` / ``excludedAttributes`` (RFC 7644 §3.9)."""
    if attributes:
        return _include(body, attributes, kind)
    return _exclude(body, excluded, kind)


# --- discovery -------------------------------------------------------------------------------


@scim_view
def service_provider(request: HttpRequest, actor: Actor) -> HttpResponse:
    _only(request, "GET")
    return respond(service_provider_config(base_url(request)))


@scim_view
def resource_type_list(request: HttpRequest, actor: Actor, name: str = "") -> HttpResponse:
    _only(request, "GET")
    types = resource_types(base_url(request))
    if name:
        found = [t for t in types if t["id"] == name]
        if not found:
            raise ScimError(404, f"no resource type {name!r}")
        return respond(found[0])
    return respond(_list(types, len(types), 1))


@scim_view
def schema_list(request: HttpRequest, actor: Actor, urn: str = "") -> HttpResponse:
    _only(request, "GET")
    base = base_url(request)
    if urn:
        if urn not in SCHEMA_DEFINITIONS:
            raise ScimError(404, f"no schema {urn!r}")
        return respond(schema_document(urn, base))
    documents = [schema_document(u, base) for u in SCHEMA_DEFINITIONS]
    return respond(_list(documents, len(documents), 1))


def _only(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise ScimError(405, f"{request.method} is not supported here")


def _list(resources: list[Any], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


# --- Users and Groups ------------------------------------------------------------------------


def _int(raw: Any, name: str, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ScimError(400, f"{name} must be an integer", "invalidValue") from None


def _search(request: HttpRequest, kinds: list[str], params: dict[str, Any]) -> HttpResponse:
    """List or search (RFC 7644 §3.4.2-3): filter, then page with startIndex and count."""
    start = max(1, _int(params.get("startIndex"), "startIndex", 1))
    count = min(MAX_RESULTS, max(0, _int(params.get("count"), "count", MAX_RESULTS)))
    text = params.get("filter") or ""
    node = parse(str(text)) if text else None
    rows: list[tuple[str, dict[str, Any]]] = []
    for kind in kinds:
        queryset = ScimResource.objects.filter(kind=kind).select_related("person").order_by("pk")
        fast = provisioning.fast_lookup(node, kind)
        if fast is not None:
            queryset = queryset.filter(**fast)
        found = [represent(request, r) for r in queryset]
        if node is not None:
            found = [r for r in found if matches(node, r, EXTENSIONS[kind])]
        rows += [(kind, r) for r in found]
    attributes = params.get("attributes") or []
    excluded = params.get("excludedAttributes") or []
    if isinstance(attributes, str):
        attributes = _names(attributes)
    if isinstance(excluded, str):
        excluded = _names(excluded)
    page = [project(r, attributes, excluded, k) for k, r in rows[start - 1 : start - 1 + count]]
    return respond(_list(page, len(rows), start))


@scim_view
def collection(request: HttpRequest, actor: Actor, endpoint: str) -> HttpResponse:
    kind = KINDS[endpoint]
    if request.method == "GET":
        return _search(request, [kind], request.GET.dict())
    _only(request, "POST")
    body = _body(request)
    _check_schemas(body, kind)
    with transaction.atomic():
        resource = provisioning.create(actor, kind, _clean(body), base_url(request))
    out = represent(request, resource)
    return respond(out, 201, etag_of(resource), out["meta"]["location"])


@scim_view
def search(request: HttpRequest, actor: Actor, endpoint: str = "") -> HttpResponse:
    _only(request, "POST")
    body = _body(request)
    if SEARCH not in body.get("schemas", []):
        raise ScimError(400, f"schemas must include {SEARCH}", "invalidSyntax")
    kinds = [KINDS[endpoint]] if endpoint else list(KINDS.values())
    return _search(request, kinds, body)


def _check_schemas(body: dict[str, Any], kind: str) -> None:
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or CORE[kind] not in schemas:
        raise ScimError(400, f"schemas must include {CORE[kind]}", "invalidSyntax")


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    """The body without what the server owns (id, meta, schemas)."""
    return {k: v for k, v in body.items() if k not in ALWAYS}


def _get(kind: str, pk: str) -> ScimResource:
    if not pk.isdigit():
        raise ScimError(404, f"no {kind} {pk!r}")
    found = ScimResource.objects.filter(kind=kind, pk=int(pk)).select_related("person").first()
    if found is None:
        raise ScimError(404, f"no {kind} {pk!r}")
    return found


def _precondition(request: HttpRequest, resource: ScimResource) -> None:
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() != "*" and etag_of(resource) not in _names(wanted):
        raise ScimError(412, "the resource changed since it was read (ETag mismatch)")


@scim_view
def item(request: HttpRequest, actor: Actor, endpoint: str, pk: str) -> HttpResponse:
    kind = KINDS[endpoint]
    resource = _get(kind, pk)
    if request.method == "GET":
        if request.headers.get("If-None-Match") == etag_of(resource):
            return HttpResponse(status=304)
        body = represent(request, resource)
        body = project(
            body,
            _names(request.GET.get("attributes", "")),
            _names(request.GET.get("excludedAttributes", "")),
            kind,
        )
        return respond(body, etag=etag_of(resource))
    _precondition(request, resource)
    if request.method == "DELETE":
        with transaction.atomic():
            provisioning.delete(actor, resource)
        return HttpResponse(status=204)
    if request.method == "PUT":
        body = _body(request)
        _check_schemas(body, kind)
        data = _clean(body)
    elif request.method == "PATCH":
        body = _body(request)
        if PATCH not in body.get("schemas", []):
            raise ScimError(400, f"schemas must include {PATCH}", "invalidSyntax")
        current = represent(request, resource)
        data = _clean(
            apply_operations(current, body.get("Operations"), CORE[kind], EXTENSIONS[kind])
        )
    else:
        raise ScimError(405, f"{request.method} is not supported here")
    with transaction.atomic():
        resource = provisioning.replace(actor, resource, data, base_url(request))
    return respond(represent(request, resource), etag=etag_of(resource))


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /scim/v2/ is a SCIM 404."""
    return error(404, f"no endpoint {request.path!r}")
