"""The demo company, loaded once per test worker and shared by every test that asks for it.

Why: the full demo (seed 42, 300 people, every app's estate) takes seconds to load, and it
used to be loaded again by each test class that tells a demo story. Now the first test
that asks for ``demo_company`` loads it inside a transaction that stays open; every later
demo test runs inside that transaction (its own changes roll back to a savepoint, as
pytest-django's ``db`` fixture always does), and the transaction is rolled back when the
worker moves on to a test that does not want the demo, or at the end of the session.

``conftest.pytest_collection_modifyitems`` puts the demo tests last, in one xdist group per
worker (whole modules each), so a worker loads the demo once; this module only has to keep
the state honest if the order is ever different (it then loads the demo again rather than
leak it).
"""

from __future__ import annotations

import sys
from typing import Any

FIXTURE = "demo_company"
SEED = 42


class SharedDemo:
    """The open transaction holding this worker's demo company, if any."""

    def __init__(self, blocker: Any) -> None:
        self._blocker = blocker
        self._atomic: Any = None
        self.loads = 0

    @property
    def active(self) -> bool:
        return self._atomic is not None

    def ensure(self) -> None:
        """Load the demo (inside a transaction left open) unless it is already loaded."""
        if self._atomic is not None:
            return
        from django.db import transaction

        from assetgraph.demo.generator import load_demo

        with self._blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            self._atomic = atomic
            clear_graph_caches()
            reseed_builtin_data()
            load_demo(seed=SEED)
            clear_graph_caches()
        self.loads += 1

    def close(self) -> None:
        """Roll the demo back, leaving the database as the migrations made it."""
        if self._atomic is None:
            return
        from django.db import transaction

        atomic, self._atomic = self._atomic, None
        with self._blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        clear_graph_caches()


def reseed_builtin_data() -> None:
    """Put back the built-in roles and CMDB classes if a transactional test flushed them.

    The flush between transactional tests empties every table, including the classes and
    relationship types a data migration seeds; roles come back through post_migrate.
    """
    import importlib

    from django.apps import apps

    from assetgraph.accounts.models import Role
    from assetgraph.accounts.services import sync_builtin_roles
    from assetgraph.cmdb.models import CIClass

    if not Role.objects.filter(name="Admin").exists():
        sync_builtin_roles()
    if not CIClass.objects.exists():
        importlib.import_module(
            "assetgraph.cmdb.migrations.0002_seed_classes_and_relationship_types"
        ).seed(apps, None)
        # The built-in classes' slugs (business service, application, endpoint) are set by a
        # later data migration; the flush removed them with the classes.
        importlib.import_module("assetgraph.cmdb.migrations.0005_set_builtin_class_slugs").mark(
            apps, None
        )
        # Discovery's attributes, identification rules and class policies, seeded as data too.
        if apps.is_installed("assetgraph.discovery"):
            importlib.import_module(
                "assetgraph.discovery.migrations.0002_seed_discovery_rules"
            ).seed(apps, None)
        # Security's CI attributes (internet_facing, cpe, managed, encrypted).
        if apps.is_installed("assetgraph.security"):
            importlib.import_module(
                "assetgraph.security.migrations.0002_security_class_attributes"
            ).add(apps, None)


def clear_graph_caches() -> None:
    """Forget the cached estate graph, class catalogue and service costs (keyed by audit ids,
    which repeat)."""
    estate = sys.modules.get("assetgraph.impact.estate")
    if estate is not None:
        estate.clear_cache()
    catalogue = sys.modules.get("assetgraph.impact.catalogue")
    if catalogue is not None:
        catalogue.clear_catalogue()
    costs = sys.modules.get("assetgraph.finance.flags")
    if costs is not None:
        costs.clear_cache()


CURRENT: list[SharedDemo] = []
