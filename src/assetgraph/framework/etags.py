"""ETags: a digest of an object's audited state, for `ETag` and `If-Match`."""

from __future__ import annotations

import hashlib
import json

from django.db import models

from assetgraph.audit.services import snapshot


def etag_for(instance: models.Model) -> str:
    """A strong ETag that changes whenever any audited field of the object changes."""
    state = json.dumps(snapshot(instance), sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(state.encode()).hexdigest()[:32] + '"'
