"""Change fixtures: the impact tests' small estate (changes ask impact)."""

from tests.impact.conftest import cls, estate, rtype

__all__ = ["cls", "estate", "rtype"]
