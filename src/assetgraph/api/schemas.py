"""Schemas shared by every app's API."""

from collections.abc import Mapping

from ninja import Schema


class Ref(Schema):
    """A reference to another object: its id and how it reads."""

    id: int
    display: str

    @staticmethod
    def resolve_display(obj: object) -> str:
        # Some endpoints build plain dicts ({"id", "display"} or {"id", "name"}); str() of one
        # would document a stringified dict as the display text.
        if isinstance(obj, Mapping):
            return str(obj.get("display") or obj.get("name") or obj.get("id") or "")
        return str(obj)
