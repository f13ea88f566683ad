"""One error body for every failure: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from assetgraph.core.errors import ServiceError, ValidationFailed

logger = logging.getLogger("assetgraph.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "throttled",
}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    """Render the one error body."""
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if loc[0] == "body" and len(parts) > 1:
            parts = parts[1:]  # drop the payload parameter's own name
    return ".".join(parts) or "__all__"


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every exception into the one error body."""

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", ())), []).append(
                str(err.get("msg", "invalid"))
            )
        first_name, first_msgs = next(iter(fields.items()), ("__all__", ["invalid input"]))
        return error_response(
            api, request, 422, "validation_error", f"{first_name}: {first_msgs[0]}", fields
        )

    @api.exception_handler(ServiceError)
    def _service(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.code, exc.message, exc.fields)

    @api.exception_handler(DjangoValidationError)
    def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        failed = ValidationFailed.from_django(exc)
        return error_response(api, request, 422, failed.code, failed.message, failed.fields)

    @api.exception_handler(AuthenticationError)
    def _auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(api, request, 401, "not_authenticated", "authentication required")
        response["WWW-Authenticate"] = 'Bearer realm="assetgraph"'
        return response

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, ServiceError):  # the body parser's document check (api.guard)
            return error_response(
                api, request, cause.status, cause.code, cause.message, cause.fields
            )
        status = exc.status_code
        return error_response(
            api, request, status, _HTTP_CODES.get(status, "error"), str(exc.message)
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "not found")

    @api.exception_handler(DjangoPermissionDenied)
    def _denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return error_response(
            api, request, 403, "permission_denied", str(exc) or "permission denied"
        )

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug, not bad input: log it with the request id; the client still gets the body.
        logger.exception("unhandled API error (request %s)", getattr(request, "request_id", "-"))
        return error_response(
            api, request, 500, "server_error", "an unexpected error occurred; it has been logged"
        )
