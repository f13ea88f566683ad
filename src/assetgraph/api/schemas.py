"""Schemas shared by every app's API."""

from ninja import Schema


class Ref(Schema):
    """A reference to another object: its id and how it reads."""

    id: int
    display: str

    @staticmethod
    def resolve_display(obj: object) -> str:
        # A body already built as a dict (``{"id", "display"}``) keeps its display: ninja's
        # resolvers also run on dicts, and ``str()`` of one would leak its repr.
        if isinstance(obj, dict):
            return str(obj["display"])
        return str(obj)
