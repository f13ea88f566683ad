"""REST endpoints of the assets app."""

from ninja import Router

router = Router()
