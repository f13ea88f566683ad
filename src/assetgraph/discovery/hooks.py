"""What other apps do after a discovery run wrote something (declared by them, called here).

Discovery sits below the apps that consume what it finds (security matches installed
software against advisories), so it cannot call them; they register a hook instead, in their
own ``operations`` module. A hook is called once the run has committed (``on_commit``), with
the run and the ids of the CIs it created or changed (their attributes, relationships or
software), and must be quick: queue background work rather than do it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from .models import DiscoveryRun

AfterRun = Callable[[DiscoveryRun, list[int]], None]
AFTER_RUN: list[AfterRun] = []


def after_run(hook: AfterRun) -> AfterRun:
    """Register ``hook(run, changed_ci_ids)`` to follow every run that wrote something."""
    if hook not in AFTER_RUN:
        AFTER_RUN.append(hook)
    return hook


def run_written(run: DiscoveryRun, changed: set[int]) -> None:
    """Call the hooks after commit (nothing when the run changed no CI)."""
    if not changed:
        return
    ids = sorted(changed)
    for hook in AFTER_RUN:
        transaction.on_commit(lambda hook=hook: hook(run, ids))  # type: ignore[misc]
