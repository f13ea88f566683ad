"""Licence keys encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256) keyed from the secret key.

Why: a licence key is a bearer secret (whoever has it can activate the software). It is stored
only as a Fernet token whose key is derived from ``SECRET_KEY`` with HKDF-SHA256 and a salt of
its own (so the key is not reused for sessions or signatures). ``SECRET_KEY_FALLBACKS`` decrypt
keys written before a key rotation. The plaintext never reaches the audit trail (the model
excludes the field from snapshots) nor an export.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_SALT = b"assetgraph.licences.licence-key"
_INFO = b"licence keys at rest"


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(s) for s in secrets])


def encrypt_key(plaintext: str) -> str:
    """The Fernet token of a licence key ("" stays "": no key)."""
    if not plaintext:
        return ""
    return _keys().encrypt(plaintext.encode()).decode()


def decrypt_key(token: str) -> str:
    """The licence key of a token; a token that no current key opens reads as ""."""
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
