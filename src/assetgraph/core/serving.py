"""Production-server details that Django cannot set on its own responses."""

from __future__ import annotations

from typing import Any


def hide_server_header() -> None:
    """Stop gunicorn sending ``Server: gunicorn`` on every response.

    The header tells a prober which server (and, in older releases, which version) to look up
    exploits for, and no client needs it; gunicorn has no setting to turn it off, so its
    response class is patched once per process, before any worker starts.
    """
    from gunicorn.http import wsgi

    if getattr(wsgi.Response, "_assetgraph_without_server", False):
        return
    original = wsgi.Response.default_headers

    def default_headers(self: Any) -> list[str]:
        return [h for h in original(self) if not h.lower().startswith("server:")]

    wsgi.Response.default_headers = default_headers
    wsgi.Response._assetgraph_without_server = True
