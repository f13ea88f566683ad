"""The discovery app's background work, found by the events app at start-up: importing
:mod:`.jobs` registers the ``discovery.run_upload`` task, so a worker that never served a
discovery page still knows it."""

from __future__ import annotations

from . import jobs

__all__ = ["jobs"]
