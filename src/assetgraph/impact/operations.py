"""The impact app's contribution to operations (imported by name by the events app, which may
not import impact): the graph cache's figures in ``/metrics``, and the graph warm-up as a
scheduled job.

Warm-up runs in the worker, not in a web request: every ``WARM_SECONDS`` the worker brings its
graph up to date (an incremental refresh, or a full build the first time), which rewrites the
host's shared snapshot when it is due; web processes then map that file instead of building
the graph inside someone's request.

The cache is per process (the shared snapshot file aside), so the figures are those of the web
process that answers the scrape: how old its graph is, how long its last full build and last
incremental refresh took, and how often it rebuilt, refreshed or mapped the shared snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from assetgraph import graph as engine
from assetgraph.events.observability import register_metric_source
from assetgraph.events.queue import task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from .catalogue import catalogue
from .estate import cache_stats, cache_timings, estate_graph, snapshot_path, warm_kernels

WARM_SECONDS = 300


def graph_cache_metrics() -> Iterator[GaugeMetricFamily]:
    """``assetgraph_graph_cache_age_seconds``, ``assetgraph_graph_build_seconds{kind}``,
    ``assetgraph_graph_snapshot_age_seconds`` and ``assetgraph_graph_cache_events{kind}``;
    -1 where there is nothing yet (no graph built in this process, no snapshot file)."""
    timings = cache_timings()
    built_at = timings["built_at"]
    yield GaugeMetricFamily(
        "assetgraph_graph_cache_age_seconds",
        "Seconds since this process's dependency graph was last made current (-1: none yet).",
        value=-1.0 if built_at is None else max(0.0, time.time() - built_at),
    )
    build = GaugeMetricFamily(
        "assetgraph_graph_build_seconds",
        "Duration of the last full build and of the last incremental refresh (-1: none yet).",
        labels=["kind"],
    )
    for kind, key in (("full", "build_seconds"), ("refresh", "refresh_seconds")):
        value = timings[key]
        build.add_metric([kind], -1.0 if value is None else value)
    yield build
    path = snapshot_path()
    age = -1.0
    if path is not None and path.exists():
        age = max(0.0, time.time() - path.stat().st_mtime)
    yield GaugeMetricFamily(
        "assetgraph_graph_snapshot_age_seconds",
        "Age of the graph snapshot shared by the processes of this host (-1: none).",
        value=age,
    )
    counters = GaugeMetricFamily(
        "assetgraph_graph_cache_events",
        "Graph cache rebuilds, incremental refreshes and snapshot mappings in this process.",
        labels=["kind"],
    )
    for kind, count in cache_stats().items():
        counters.add_metric([kind], float(count))
    yield counters


register_metric_source(graph_cache_metrics)


@task("impact.warm_graph")
def warm_graph() -> dict[str, Any]:
    """Bring the worker's graph up to date (and the shared snapshot with it)."""
    graph = estate_graph()
    return {
        "revision": graph.revision,
        "cis": len(graph.ci_pks),
        **cache_stats(),
        **{k: v for k, v in cache_timings().items() if k != "built_at"},
    }


register_schedule(
    ScheduleSpec(
        "Warm the dependency graph",
        "impact.warm_graph",
        Every.INTERVAL,
        interval_seconds=WARM_SECONDS,
    )
)


def prepare_worker() -> dict[str, Any]:
    """Make a fresh web process ready to answer impact at once (gunicorn ``post_worker_init``,
    see ``WORKER_WARMUPS`` in the settings), before it accepts its first request.

    Why: left to the first request, a new worker compiles or loads the kernels, maps and
    verifies the host's snapshot (or builds the graph when there is none), reads the lookup
    columns and faults in the pages its first traversal touches — seconds, in a user's
    request. Here it pays them while gunicorn is still starting it. Returns what it did (for
    logs and the benchmark).
    """
    started = time.perf_counter()
    warm_kernels()
    graph = estate_graph()
    catalogue()
    if graph.graph.n_nodes:
        engine.impact(graph.graph, [0])  # sizes this thread's kernel workspace once
    return {
        "revision": graph.revision,
        "cis": len(graph.ci_pks),
        "seconds": round(time.perf_counter() - started, 3),
        **cache_stats(),
    }
