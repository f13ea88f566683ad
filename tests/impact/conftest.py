"""Impact fixtures: the CMDB's small estate (finance service → app → VM → hypervisor → farm)."""

from tests.cmdb.conftest import cls, estate, rtype

__all__ = ["cls", "estate", "rtype"]
