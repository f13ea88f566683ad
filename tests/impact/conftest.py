"""Impact fixtures: the CMDB's small estate (the demo company is ``demo_company``)."""

from __future__ import annotations

from tests.cmdb.conftest import cls, estate, rtype

__all__ = ["cls", "estate", "rtype"]
