"""API authentication: bearer tokens, or the browser session with CSRF enforced."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from assetgraph.accounts.services import authenticate_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer agt_…``; read-only tokens may only read."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = authenticate_token(token)
        if api_token is None:
            return None
        if request.method not in SAFE_METHODS and not api_token.write_enabled:
            raise HttpError(403, "this API token is read-only")
        if not api_token.allows(request.path, request.method or "GET"):
            raise HttpError(403, "this API token's scopes do not include this endpoint")
        request.user = api_token.user
        request.auth_token = api_token  # type: ignore[attr-defined]
        return api_token.user


class ActiveSessionAuth(SessionAuth):
    """Django session auth (CSRF checked on unsafe methods) for active users only.

    Only a signed-in session is checked for CSRF. A request that carries an ``Authorization``
    header is judged by it alone (a bad, revoked or expired token is a 401, even if a session
    cookie rides along), and a request with no signed-in session has nothing for CSRF to
    protect: both are unauthenticated (401 with ``WWW-Authenticate``), not a 403 "CSRF check
    failed" that would send a client looking for a CSRF token instead of a valid credential.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if "Authorization" in request.headers or not _signed_in(request):
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None:
            return None
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_active)
