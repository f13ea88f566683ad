"""Advisory matching (issue 14 item 9): the indexed engine against a naive nested loop, side by
side in the same run, on the same generated estate.

The estate: ``--installs`` installations (``--hosts`` hosts, each with installs/hosts
packages drawn from a pool of ``--pool`` installed package names, each name at one of 8
versions) and ``--advisories`` advisories (one affected entry each, with an ECOSYSTEM range
``introduced``/``fixed`` in that ecosystem's version scheme) over ``--advised`` package names,
half of the installed pool among them. Six ecosystems: PyPI, npm, Maven (with -rc
qualifiers), Debian (epochs and ~deb tildes), RPM (.el9 releases) and Go (v-prefixed semver).

Timed (the engine only: :mod:`assetgraph.security.matching`, no database):

* **full**: build the index of every advisory and match every installation (version parse
  caches cold);
* **incremental, one advisory file**: drop an advisory's entries, add its new version and
  match the installations of its package (the store finds them by package key, an index);
* **incremental, one host**: match one host's installations;
* **naive**: every installation against every advisory entry (the nested loop), on a
  ``--sample`` of installations, extrapolated to all of them.

Targets: full <= 30 s and incremental <= 2 s at 2,000,000 installations x 200,000 advisories.

Run: ``python benchmarks/security/bench_matching.py [--installs N] [--advisories N]
[--hosts N] [--pool N] [--advised N] [--sample N]``
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from assetgraph.security import matching as m

ECOSYSTEMS = ["pypi", "npm", "maven", "deb", "rpm", "golang"]


def version(eco: str, major: int, minor: int, patch: int, rng: random.Random) -> str:
    """A version string in the ecosystem's scheme."""
    if eco == "maven":
        return f"{major}.{minor}.{patch}" + ("-rc1" if rng.random() < 0.1 else "")
    if eco == "deb":
        epoch = "1:" if major > 3 else ""
        tail = "~deb12u1" if rng.random() < 0.3 else ""
        return f"{epoch}{major}.{minor}.{patch}-{rng.randint(1, 4)}{tail}"
    if eco == "rpm":
        return f"{major}.{minor}.{patch}-{rng.randint(1, 30)}.el9"
    if eco == "golang":
        return f"v{major}.{minor}.{patch}"
    return f"{major}.{minor}.{patch}"


def key_of(index: int) -> tuple[str, str]:
    eco = ECOSYSTEMS[index % len(ECOSYSTEMS)]
    namespace = {"deb": "debian", "rpm": "redhat", "maven": f"org.bench{index % 97}"}.get(eco)
    return eco, m.package_key(eco, namespace, f"pkg{index}")


def estate(
    args: argparse.Namespace,
) -> tuple[list[m.AffectedEntry], list[m.Target], list[list[m.Target]]]:
    rng = random.Random(14)
    # installed names 0..pool-1; advised names are pool/2 .. pool/2 + advised - 1 (half overlap)
    offset = args.pool // 2
    entries = []
    for ref in range(args.advisories):
        eco, key = key_of(offset + rng.randrange(args.advised))
        major = rng.randint(1, 5)
        minor = rng.randint(0, 20)
        introduced = "0" if rng.random() < 0.5 else version(eco, major, minor, 0, rng)
        fixed = version(eco, major, minor, rng.randint(1, 30), rng)
        entries.append(
            m.AffectedEntry(
                ref=ref,
                advisory=f"BENCH-{ref}",
                kind="purl",
                key=key,
                purl_type=eco,
                ecosystem=eco,
                ranges=(
                    {"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]},
                ),
            )
        )
    candidates = {}
    for index in range(args.pool):
        eco, key = key_of(index)
        candidates[index] = (
            key,
            [
                version(eco, rng.randint(1, 5), rng.randint(0, 20), rng.randint(0, 40), rng)
                for _ in range(8)
            ],
        )
    per_host = args.installs // args.hosts
    targets: list[m.Target] = []
    hosts: list[list[m.Target]] = []
    ref = 0
    names = list(range(args.pool))
    for _host in range(args.hosts):
        mine = []
        for index in rng.sample(names, per_host):
            key, versions = candidates[index]
            mine.append(m.Target(ref, "purl", key, versions[rng.randrange(8)]))
            ref += 1
        targets.extend(mine)
        hosts.append(mine)
    return entries, targets, hosts


def timed(label: str, fn: object) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--installs", type=int, default=2_000_000)
    parser.add_argument("--advisories", type=int, default=200_000)
    parser.add_argument("--hosts", type=int, default=20_000)
    parser.add_argument("--pool", type=int, default=12_000)
    parser.add_argument("--advised", type=int, default=60_000)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )
    build_start = time.perf_counter()
    entries, targets, hosts = estate(args)
    print(
        f"estate: {len(targets):,} installations on {len(hosts):,} hosts, "
        f"{len(entries):,} advisories "
        f"(generated in {time.perf_counter() - build_start:.1f} s, not timed)"
    )
    distinct = len({(t.key, t.version) for t in targets})

    def full() -> tuple[m.AdvisoryIndex, int]:
        m.parse_version.cache_clear()
        index = m.AdvisoryIndex(entries)
        return index, sum(1 for _ in index.match(targets))

    full_s, (index, matched) = timed("full", full)  # type: ignore[misc]
    by_key: dict[str, list[m.Target]] = defaultdict(list)
    for target in targets:
        by_key[target.key].append(target)

    rng = random.Random(7)
    installed_advised = [e for e in entries if e.key in by_key]
    changed = rng.choice(installed_advised)
    new = m.AffectedEntry(
        ref=len(entries) + 1,
        advisory=changed.advisory,
        kind=changed.kind,
        key=changed.key,
        purl_type=changed.purl_type,
        ecosystem=changed.ecosystem,
        ranges=({"type": "ECOSYSTEM", "events": [{"introduced": "0"}]},),  # now: every version
    )

    def one_advisory() -> int:
        index.remove_advisory(changed.advisory, [(changed.kind, changed.key)])
        index.add(new)
        return sum(1 for _ in index.match(by_key[changed.key]))

    advisory_s, advisory_matches = timed("advisory", one_advisory)
    host = hosts[rng.randrange(len(hosts))]
    host_s, host_matches = timed("host", lambda: sum(1 for _ in index.match(host)))

    sample = random.Random(3).sample(targets, args.sample)
    naive = m.NaiveIndex(entries)
    m.parse_version.cache_clear()
    naive_s, naive_matches = timed("naive", lambda: sum(1 for _ in naive.match(sample)))
    indexed_sample_s, indexed_sample = timed(
        "indexed sample", lambda: sum(1 for _ in m.AdvisoryIndex(entries).match(sample))
    )
    assert naive_matches == indexed_sample, (naive_matches, indexed_sample)
    naive_full = naive_s / len(sample) * len(targets)
    print()
    print("| run | indexed | naive nested loop | ratio | target |")
    print("|---|---|---|---|---|")
    print(
        f"| full: {len(targets):,} installations x {len(entries):,} advisories "
        f"({distinct:,} distinct package versions, {matched:,} matches) | {full_s:.1f} s | "
        f"{naive_full:,.0f} s (extrapolated from {len(sample)} installations: {naive_s:.1f} s) | "
        f"{naive_full / full_s:,.0f}x | <= 30 s |"
    )
    print(
        f"| incremental: one advisory file ({len(by_key[changed.key]):,} installations of its "
        f"package, {advisory_matches} matches) | {advisory_s * 1000:.1f} ms | "
        f"{naive_s / len(sample) * len(by_key[changed.key]):.1f} s | "
        f"{naive_s / len(sample) * len(by_key[changed.key]) / advisory_s:,.0f}x | <= 2 s |"
    )
    print(
        f"| incremental: one host ({len(host)} installations, {host_matches} matches) | "
        f"{host_s * 1000:.1f} ms | {naive_s / len(sample) * len(host):.1f} s | "
        f"{naive_s / len(sample) * len(host) / host_s:,.0f}x | <= 2 s |"
    )
    print(
        f"| same sample, both engines ({len(sample)} installations, {naive_matches} matches, "
        f"identical) | {indexed_sample_s:.2f} s incl. index build | {naive_s:.1f} s | | |"
    )
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    ok = full_s <= 30 and advisory_s <= 2 and host_s <= 2
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
