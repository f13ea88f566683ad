"""Change fixtures: the impact tests' small estate and demo loader (changes ask impact)."""

from tests.impact.conftest import cls, demo_loaded, estate, rtype

__all__ = ["cls", "demo_loaded", "estate", "rtype"]
