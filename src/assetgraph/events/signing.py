"""Webhook signatures: ``X-Assetgraph-Signature: t=<unix time>,v1=<hex HMAC-SHA256>``.

The signed message is ``"<t>.<raw body>"`` with the webhook's secret as the key (the scheme
Stripe uses). A receiver recomputes the HMAC over the raw body it received, compares in
constant time, and refuses a timestamp older (or newer) than its replay window:
:data:`DEFAULT_TOLERANCE_SECONDS`, 5 minutes, unless it chooses another. A retry is signed
afresh with the time of that attempt, so a slow retry still verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Assetgraph-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed with ``secret`` at ``timestamp`` (now)."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode("utf-8"), f"{moment}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={moment},v1={digest}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a received signature header; returns its timestamp or raises SignatureError."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("no timestamp in the signature header") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("the signature's timestamp is outside the replay window")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureError("the signature does not match")
    return timestamp
