"""Webhook signatures: Standard Webhooks 1.0, symmetric (``v1``, HMAC-SHA256).

We follow https://www.standardwebhooks.com (spec version 1.0.0) exactly, so a receiver can use
any Standard Webhooks library (``standardwebhooks``, ``svix``, their JavaScript, Go, Java …
ports) or the twenty lines in docs/operations.md:

* the secret is ``whsec_`` followed by the base64 of 24 to 64 random bytes; the HMAC key is
  those **decoded bytes**, not the text;
* each attempt carries three headers: ``webhook-id`` (the delivery, the same on every retry:
  the receiver's idempotency key), ``webhook-timestamp`` (Unix seconds of *this attempt*) and
  ``webhook-signature`` (space-separated ``v1,<base64 HMAC-SHA256>`` values);
* the signed content is ``"{webhook-id}.{webhook-timestamp}.{raw body}"``;
* a receiver refuses a timestamp more than its tolerance away from its clock (the replay
  window; :data:`DEFAULT_TOLERANCE_SECONDS`, 5 minutes, as the reference libraries).

Why a published scheme rather than our own header: receivers do not have to trust our prose,
the reference libraries' test vector pins the bytes (tests/events/test_webhooks.py), and the
message id is signed too, so a captured body cannot be replayed under another id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_MIN_BYTES = 24
SECRET_MAX_BYTES = 64
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature headers are missing, malformed, stale or do not match."""


class SecretError(ValueError):
    """A webhook secret is not a ``whsec_`` secret of 24 to 64 bytes."""


def generate_secret(length: int = 32) -> str:
    """A fresh ``whsec_`` secret of ``length`` random bytes (32 by default)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(length)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret: its decoded bytes. Raises SecretError."""
    if not secret.startswith(SECRET_PREFIX):
        raise SecretError(
            f"must start with {SECRET_PREFIX!r} followed by base64 (Standard Webhooks); "
            "the new-webhook form proposes one; docs/operations.md shows how to make one"
        )
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SecretError(f"the part after {SECRET_PREFIX!r} is not valid base64") from None
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise SecretError(
            f"must decode to {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes, not {len(key)}"
        )
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of ``body`` sent as ``message_id`` at ``timestamp``."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign(secret: str, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three headers of one attempt: id, timestamp (now unless given) and signature."""
    if "." in message_id:
        raise ValueError("a webhook-id cannot contain '.' (it delimits the signed content)")
    moment = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(moment),
        SIGNATURE_HEADER: signature(secret, message_id, moment, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a received delivery's headers (names in any case); returns its timestamp.

    Raises SignatureError saying why: a header missing, a timestamp that is not an integer or
    is outside the replay window, or no ``v1`` signature that matches.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        message_id = lowered[ID_HEADER]
        stamp = lowered[TIMESTAMP_HEADER]
        given = lowered[SIGNATURE_HEADER]
    except KeyError as exc:
        raise SignatureError(f"the {exc.args[0]} header is missing") from None
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("the webhook-timestamp header is not a whole number") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("the webhook-timestamp is outside the replay window")
    expected = signature(secret, message_id, timestamp, body).encode()
    for candidate in given.split(" "):
        version, _, _value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(expected, candidate.encode()):
            return timestamp
    raise SignatureError("no v1 signature matches")
