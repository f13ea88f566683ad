"""Dependency maps and change assessment on a large estate, through the database.

1. ``GET /api/impact/map/{ci}`` (Django test client, bearer token of an IT Operations user)
   for random CIs of every layer, depth 2 / limit 150 (the page's default) and depth 4 /
   limit 500 (the largest allowed), p50/p95 — the map must stay interactive on hubs.
2. ``GET /api/impact/changes/{id}/assess`` for ``--samples`` changes on 2 random hypervisors
   each, all in one window (every change conflicts with all the others), three ways:
   *sequence* — each change once, in order, right after they were created (the first pays for
   the single-change impacts the others reuse); *cold* — one audited write (a title edit of a
   change outside the window, which moves the audit revision and so empties the assessment
   caches) before each assessment, the write not timed; *warm* — the same assessment again,
   nothing written in between (the estate graph's own refresh after the write is timed on a
   line of its own, before the cold request); *cold after a graph write* — as cold, but the
   write is a new relationship between two CIs outside every change's impact: it changes
   the estate graph (so the engine-answer caches keyed by the graph are cold too) and no
   answer, which the benchmark checks. Load average, this process's CPU time per
   request and the garbage collector's pauses are printed too (shared machine).
   ``--profile`` profiles every cold assessment and prints the slowest one's profile.

The estate is the seeded generator of the engine benchmark, loaded by
``bench_adapter.load``. Run: ``python benchmarks/impact/bench_changes_maps.py [--cis N]
[--samples K]`` (a throw-away SQLite database, or ``ASSETGRAPH_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_adapter import _setup, load


def _ms(samples: list[float]) -> str:
    values = np.array(samples) * 1000
    return (
        f"n {len(samples)}, p50 {statistics.median(values):.1f} ms, "
        f"p95 {np.percentile(values, 95):.1f} ms, max {values.max():.1f} ms"
    )


def _canonical(data: Any) -> str:
    """A response body as canonical JSON text (compared instead of the parsed body)."""
    return json.dumps(data, sort_keys=True)


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cis", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the cold assessments, print the slowest"
    )
    args, _ = parser.parse_known_args()
    _setup()
    from django.test import Client

    from assetgraph.accounts.services import create_api_token, create_user
    from assetgraph.core.actor import Actor
    from assetgraph.impact.estate import estate_graph

    t0 = time.perf_counter()
    estate, types = load(args.cis)
    print(f"loaded {estate.n_nodes:,} CIs in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    estate_graph()
    print(f"estate graph built in {time.perf_counter() - t0:.1f} s", flush=True)
    actor = Actor.system("bench")
    user = create_user(
        actor, username="bench-noc", password="x" * 20, roles=["IT Operations (NOC)"]
    )
    token = create_api_token(actor, user, name="bench", write_enabled=False)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    rng = np.random.default_rng(11)
    layers = [name for name in estate.layers if estate.layers[name].size]

    for depth, limit in ((2, 150), (4, 500)):
        times, nodes, truncated = [], [], 0
        for i in range(args.samples):
            layer = layers[i % len(layers)]
            ci = int(rng.choice(estate.layers[layer])) + 1
            start = time.perf_counter()
            response = client.get(f"/api/impact/map/{ci}", {"depth": depth, "limit": limit})
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content[:300]
            data = response.json()
            nodes.append(data["counts"]["nodes"])
            truncated += bool(data["truncated"])
        print(
            f"map depth {depth} limit {limit}: {_ms(times)}; nodes p50 "
            f"{statistics.median(nodes):.0f}, max {max(nodes)}; "
            f"{truncated}/{args.samples} truncated",
            flush=True,
        )

    _assessments(
        args,
        client,
        actor,
        estate.layers.get("hypervisor", estate.layers[layers[0]]) + 1,
        rng,
        np.arange(1, estate.n_nodes + 1),
        types[2],
    )
    return 0


def _unrelated_links(
    actor: Any, change_picks: list[list[int]], all_cis: Any, runs_on_pk: int, rng: Any
) -> Any:
    """A function that relates two random CIs outside every change's impact (``runs on``):
    a write that changes the estate graph but no assessment."""
    from assetgraph.cmdb import services as cmdb
    from assetgraph.cmdb.models import CI, RelationshipType
    from assetgraph.core.errors import Conflict
    from assetgraph.impact.objective import impact_of

    reached = np.unique(
        np.concatenate(
            [impact_of(picks).touched() for picks in change_picks]
            + [np.array(p, dtype=np.int64) for p in change_picks]
        )
    )
    outside = np.setdiff1d(np.asarray(all_cis, dtype=np.int64), reached)
    print(f"  CIs outside every change's impact: {outside.size:,}", flush=True)
    runs_on = RelationshipType.objects.get(pk=runs_on_pk)

    def link() -> None:
        while True:
            a, b = (int(x) for x in rng.choice(outside, size=2, replace=False))
            try:
                cmdb.add_relationship(
                    actor,
                    {
                        "source": CI.objects.get(pk=a),
                        "target": CI.objects.get(pk=b),
                        "type": runs_on,
                    },
                )
                return
            except Conflict:  # already related: another pair
                continue

    return link


def _assessments(
    args: argparse.Namespace,
    client: Any,
    actor: Any,
    hypervisors: Any,
    rng: Any,
    all_cis: Any,
    runs_on_pk: int,
) -> None:
    """Part 2 of the module docstring: sequence, cold, warm and graph-write assessments."""
    from django.utils import timezone

    from assetgraph.changes import services
    from assetgraph.impact.estate import estate_graph

    when = timezone.now() + dt.timedelta(days=7)
    changes, change_picks = [], []
    for i in range(args.samples):
        picks = [int(x) for x in rng.choice(hypervisors, size=2, replace=False)]
        change_picks.append(picks)
        changes.append(
            services.create_change(
                actor,
                {
                    "title": f"bench change {i}",
                    "planned_start": when + dt.timedelta(minutes=10 * (i % 6)),
                    "planned_end": when + dt.timedelta(hours=2),
                    "cis": [{"ci_id": pk, "takes_down": True} for pk in picks],
                },
            )
        )
    # outside the window: editing it moves the audit revision without touching the others
    spare = services.create_change(
        actor,
        {
            "title": "bench spare",
            "planned_start": when + dt.timedelta(days=30),
            "planned_end": when + dt.timedelta(days=30, hours=1),
        },
    )

    cpu: dict[str, list[float]] = {"sequence": [], "cold": [], "warm": [], "graph write": []}
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - gc_started[0])

    gc.callbacks.append(on_gc)

    def assess(change_pk: int, kind: str = "") -> tuple[float, dict[str, object]]:
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/api/impact/changes/{change_pk}/assess")
        took = time.perf_counter() - start
        if kind:
            cpu[kind].append(time.process_time() - start_cpu)
        assert response.status_code == 200, response.content[:300]
        return took, response.json()

    def write(i: int) -> None:
        services.update_change(actor, spare, {"title": f"bench spare {i}"})

    label = f"assess ({args.samples} overlapping changes on 2 hypervisors each)"
    times, conflicts, answers = [], [], {}
    unchecked: list[int] = []  # conflicts whose "together" run the cap left out
    groups: list[int] = []  # redundancy groups listed as left degraded
    for change in changes:
        took, data = assess(change.pk, "sequence")
        times.append(took)
        conflicts.append(len(data["conflicts"]))  # type: ignore[arg-type]
        unchecked.append(sum(not c.get("together_checked", True) for c in data["conflicts"]))  # type: ignore[attr-defined]
        groups.append(len(data["redundancy_lost"]))  # type: ignore[arg-type]
        # kept as text: 30 parsed bodies (~300k dicts and lists) would sit in the collector's
        # oldest generation and lengthen every full pass of the requests measured below
        answers[change.pk] = _canonical(data)
    print(
        f"{label}, sequence: {_ms(times)}; conflicts per change p50 "
        f"{statistics.median(conflicts):.0f}; {_load()}\n  not checked (cap) per change p50 "
        f"{statistics.median(unchecked):.0f}, max {max(unchecked)}; redundancy groups left "
        f"degraded p50 {statistics.median(groups):.0f}, max {max(groups)}",
        flush=True,
    )
    cold, warm, refresh = [], [], []
    profiles: list[tuple[float, int, cProfile.Profile]] = []
    for i, change in enumerate(changes):
        write(i)
        # the graph catches up with the write first (an incremental refresh, and every 30 s a
        # snapshot file for the other workers): the estate's cost, timed on its own line
        start = time.perf_counter()
        estate_graph()
        refresh.append(time.perf_counter() - start)
        profile = cProfile.Profile() if args.profile else None
        if profile is not None:
            profile.enable()
        took, data = assess(change.pk, "cold")
        if profile is not None:
            profile.disable()
            profiles.append((took, i, profile))
        cold.append(took)
        assert _canonical(data) == answers[change.pk], "cold answer differs from the first"
        took, again = assess(change.pk, "warm")
        warm.append(took)
        assert again == data, "warm answer differs from the cold one"
    print(f"{label}, cold (after a write): {_ms(cold)}; {_load()}", flush=True)
    print(f"  estate graph refresh after each write (not in cold): {_ms(refresh)}", flush=True)
    print(f"{label}, warm (repeat): {_ms(warm)}; {_load()}", flush=True)

    # cold after a write that changes the graph: a relationship between two CIs that no
    # change's impact reaches (so every answer stays the same), one before each request
    link = _unrelated_links(actor, change_picks, all_cis, runs_on_pk, rng)
    graph_cold = []
    for change in changes:
        link()
        estate_graph()
        took, data = assess(change.pk, "graph write")
        graph_cold.append(took)
        assert _canonical(data) == answers[change.pk], "answer after a graph write differs"
    print(f"{label}, cold after a graph write: {_ms(graph_cold)}; {_load()}", flush=True)
    gc.callbacks.remove(on_gc)
    _print_cpu_gc(cpu, pauses)
    if profiles:
        _print_slowest(profiles)


def _print_cpu_gc(cpu: dict[str, list[float]], pauses: dict[int, list[float]]) -> None:
    """CPU time of this process per request (the work itself, without waiting for a core)
    and the garbage collector's pauses per generation."""
    for kind, values in cpu.items():
        print(f"  CPU time, {kind}: {_ms(values)}", flush=True)
    for generation, values in pauses.items():
        if values:
            print(f"  GC generation {generation}: {_ms(values)}", flush=True)


def _print_slowest(profiles: list[tuple[float, int, cProfile.Profile]]) -> None:
    """The slowest cold assessment's profile (profiled, so slower than measured above)."""
    took, i, profile = max(profiles, key=lambda p: p[0])
    print(f"profile of the slowest cold assessment (#{i}, {took * 1000:.0f} ms):")
    print("  cold ms in order:", [round(t * 1000) for t, _, _ in profiles])
    if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats' callers/callees views
        profile.dump_stats(os.environ["BENCH_PROFILE_OUT"])
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats("assetgraph", 50)
    stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    raise SystemExit(main())
