"""Who is looking at the page being rendered, for helpers that only see an object.

Page cells and detail fields are declared as functions of the object (``lambda a:
link(a.custodian, …)``); they cannot take the request. The rule "a reference to an object
you cannot see is shown as hidden, never by name" still needs the viewer, so this
middleware keeps the request's user in a context variable for the length of the request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from .dates import locale_for, reset_locale, use_locale

_VIEWER: contextvars.ContextVar[Any] = contextvars.ContextVar("assetgraph_viewer", default=None)


def current_viewer() -> Any:
    """The user of the request being handled (``None`` outside a request)."""
    return _VIEWER.get()


class ViewerMiddleware:
    """Set :func:`current_viewer` for the request; runs after authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _VIEWER.set(getattr(request, "user", None))
        # The reader's date formats (ui.dates), for the same reason: cells cannot see the request.
        locale = use_locale(locale_for(request))
        try:
            return self.get_response(request)
        finally:
            reset_locale(locale)
            _VIEWER.reset(token)
