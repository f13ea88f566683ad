"""The impact API router: ``/api/impact/…`` (impact, root cause, changes, maps)."""

from ninja import Router

router = Router(tags=["impact"])
