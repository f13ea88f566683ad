"""Request-wide middleware: a request id for the audit spine (and the knowledge that code runs
inside a request), and a strict CSP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# True while a web request is being answered: work that belongs to the worker (sealing the
# audit chain) is left to it (issue 15: nothing long runs in a request or web thread).
_IN_REQUEST: ContextVar[bool] = ContextVar("assetgraph_in_request", default=False)


def in_request() -> bool:
    """Whether this code runs inside a web request (not the CLI, a worker or a test body)."""
    return _IN_REQUEST.get()


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RequestIdMiddleware:
    """Give every request an id (or accept a sane ``X-Request-ID``) and echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _IN_REQUEST.set(True)
        try:
            response = self.get_response(request)
        finally:
            _IN_REQUEST.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    """Send a content security policy that forbids inline scripts and styles, everywhere.

    The API docs page is no exception: Swagger UI is served from django-ninja's own static
    files and its settings travel in a JSON data block read by a static script, so it needs
    neither inline code nor a CDN.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
