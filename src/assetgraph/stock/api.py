"""REST endpoints of the stock app that are not generic."""

from ninja import Router

router = Router(tags=["stock"])
