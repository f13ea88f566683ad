"""REST endpoints of the cmdb app."""

from ninja import Router

router = Router()
