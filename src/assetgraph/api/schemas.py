"""Schemas shared by every app's API."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Model
from ninja import Schema

from assetgraph.accounts.permissions import can_view

HIDDEN = "(hidden)"


class Ref(Schema):
    """A reference to another object: its id and how it reads.

    Hidden means absent: a reference to an object the caller may not view keeps its id (a fact
    of the object being read) but never its name; ``display`` reads ``(hidden)``.
    """

    id: int
    display: str

    @staticmethod
    def resolve_display(obj: Any, context: dict[str, Any] | None = None) -> str:
        # Some endpoints build plain dicts ({"id", "display"} or {"id", "name"}): their display
        # was decided (and checked) where they were built; str() of one would leak its repr.
        if isinstance(obj, Mapping):
            return str(obj.get("display") or obj.get("name") or obj.get("id") or "")
        request = (context or {}).get("request")
        if request is not None and isinstance(obj, Model) and not can_view(request.user, obj):
            return HIDDEN
        return str(obj)
