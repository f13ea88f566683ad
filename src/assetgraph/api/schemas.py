"""Schemas shared by every app's API."""

from ninja import Schema


class Ref(Schema):
    """A reference to another object: its id and how it reads."""

    id: int
    display: str

    @staticmethod
    def resolve_display(obj: object) -> str:
        return str(obj)
