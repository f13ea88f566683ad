"""Impact fixtures: the CMDB's small estate, and the demo company loaded once per test class."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from tests.cmdb.conftest import cls, estate, rtype

__all__ = ["cls", "demo_loaded", "estate", "rtype"]


@contextlib.contextmanager
def demo_loaded(django_db_blocker: Any) -> Iterator[None]:
    """Load the demo company inside a transaction that is rolled back afterwards.

    Why: the demo takes seconds to load; a class-scoped fixture loads it once for all the
    tests of a story class. The graph caches are keyed by audit ids, which the rollback
    makes reusable, so they are cleared on the way in and out.
    """
    from assetgraph.demo.generator import load_demo
    from assetgraph.impact.catalogue import clear_catalogue
    from assetgraph.impact.estate import clear_cache

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            clear_cache()
            clear_catalogue()
            load_demo(seed=42)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            clear_cache()
            clear_catalogue()
