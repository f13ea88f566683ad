"""The request type seen by views and API handlers behind authentication."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from .models import APIToken, User


class AuthedRequest(HttpRequest):
    """An ``HttpRequest`` whose user is authenticated (login_required, API auth)."""

    user: User
    auth_token: APIToken | None
    htmx: HtmxDetails
    request_id: str
