"""schemathesis hooks for ``scripts/schemathesis_run.py``: authenticate every request with a
valid superuser token, replacing it when the run itself revoked it.

The API lets a superuser deactivate users and revoke tokens, and schemathesis calls those
operations too (its stateful phase follows ``GET /accounts/me`` to ``/users/{id}/deactivate``),
after which every request would be a 401 and most of the API would go untested. So each
request checks that the token still works and mints a new superuser and token if not, straight
in the database the server uses (``ASSETGRAPH_DATA_DIR`` / ``ASSETGRAPH_DATABASE_URL``).

It also serialises ``ast.parse`` across schemathesis's worker threads: CPython 3.11 (this
machine's 3.11.7) can fail two concurrent parses with ``SystemError: AST constructor recursion depth
mismatch`` (cpython#106905), and hypothesis parses source files to describe the lambdas of
the strategies schemathesis builds, so a run could end in a spurious error.
"""

from __future__ import annotations

import ast
import os
import secrets
import threading
import uuid
from typing import Any

import django
import schemathesis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
django.setup()

from assetgraph.accounts import services  # noqa: E402 - needs django.setup() first
from assetgraph.core.actor import Actor  # noqa: E402

_current: dict[str, str] = {}
_lock = threading.Lock()  # schemathesis's workers are threads

_parse_lock = threading.Lock()
_parse = ast.parse


def _serialised_parse(*args: Any, **kwargs: Any) -> Any:
    """``ast.parse``, one thread at a time (see the module's docstring)."""
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _serialised_parse  # type: ignore[assignment]


def valid_token() -> str:
    """A working superuser token, minted anew when the last one stopped working."""
    with _lock:
        token = _current.get("token")
        if token and services.authenticate_token(token) is not None:
            return token
        actor = Actor.system("schemathesis")
        user = services.create_user(
            actor,
            username=f"schemathesis-{uuid.uuid4().hex[:12]}",
            password=secrets.token_urlsafe(24),
            is_superuser=True,
        )
        issued = services.create_api_token(actor, user, name="schemathesis", write_enabled=True)
        _current["token"] = issued.plaintext
        return issued.plaintext


@schemathesis.auth(refresh_interval=None)
class FreshSuperuserToken:
    """Bearer authentication that survives the run revoking its own credentials."""

    def get(self, case: Any, ctx: Any) -> str:
        return valid_token()

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = dict(case.headers or {})
        case.headers["Authorization"] = f"Bearer {data}"
