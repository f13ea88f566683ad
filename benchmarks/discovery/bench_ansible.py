"""Discovery benchmark: an Ansible-facts run at scale, side by side with a per-item service
loop in the same run.

1. Generates ``--hosts`` hosts' facts (setup + package_facts, ``--packages`` each) as the
   connector reads them, in memory.
2. Baseline: one service call per item (``create_ci``, then ``record_software_install`` per
   package) for ``--baseline`` hosts on an empty database: items/s.
3. First load of all hosts through discovery (identify, reconcile, plan, bulk write with
   audit events): items/s, where an item is a host or an installed package.
4. Re-run with 5 % of the hosts changed (memory, and one package at a new version):
   items/s; checks zero duplicates (CI count unchanged) and that exactly the changed hosts
   were written (one CI update each, one install removed and one created).

Run: ``nice python benchmarks/discovery/bench_ansible.py [--hosts 50000] [--packages 20]``
(a throw-away SQLite database, or ``ASSETGRAPH_DATABASE_URL``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from typing import Any


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-disc-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _facts(index: int, packages: int, version: int, memory_mb: int) -> dict[str, Any]:
    name = f"host-{index:06d}"
    octets = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
    mac = ":".join(f"{index >> shift & 255:02x}" for shift in (40, 32, 24, 16, 8, 0))
    mac = "02" + mac[2:]
    return {
        "ansible_hostname": name,
        "ansible_domain": "bench.example",
        "ansible_default_ipv4": {"address": octets, "macaddress": mac},
        "ansible_distribution": "Debian",
        "ansible_distribution_version": "12.7",
        "ansible_processor_vcpus": 8,
        "ansible_processor_cores": 4,
        "ansible_memtotal_mb": memory_mb,
        "ansible_product_serial": f"SN{index:08d}",
        "ansible_virtualization_role": "host",
        "packages": {
            f"pkg-{p:03d}": [
                {
                    "name": f"pkg-{p:03d}",
                    "version": f"1.{p}.{version if p == 0 else 0}",
                    "arch": "amd64",
                    "source": "apt",
                }
            ]
            for p in range(packages)
        },
    }


def _estate(hosts: int, packages: int, changed: set[int]) -> dict[str, dict[str, Any]]:
    return {
        f"host-{i:06d}": _facts(
            i, packages, 1 if i in changed else 0, 16_384 * (2 if i in changed else 1)
        )
        for i in range(hosts)
    }


def _baseline(count: int, packages: int) -> float:
    """Items/s of one service call per item, rolled back afterwards."""
    from django.db import transaction

    from assetgraph.cmdb.models import CIClass
    from assetgraph.cmdb.services import create_ci, record_software_install
    from assetgraph.core.actor import Actor
    from assetgraph.discovery.connectors.ansible import parse_ansible

    actor = Actor.system("bench")
    server = CIClass.objects.get(name="Server")
    items = parse_ansible({f"b{i}": _facts(900_000 + i, packages, 0, 16_384) for i in range(count)})
    start = time.perf_counter()
    with transaction.atomic():
        for item in items:
            attributes = dict(item.attributes)
            ci = create_ci(actor, {"name": item.name, "ci_class": server, "attributes": attributes})
            for package in item.software or []:
                record_software_install(
                    actor,
                    ci,
                    {
                        "publisher": package.publisher,
                        "product": package.name,
                        "version": package.version,
                    },
                )
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return count * (1 + packages) / elapsed


def _run(source: Any, hosts: dict[str, dict[str, Any]]) -> tuple[float, Any]:
    from django.utils import timezone

    from assetgraph.core.actor import Actor, Source
    from assetgraph.discovery.connectors.ansible import parse_ansible
    from assetgraph.discovery.engine import Planner
    from assetgraph.discovery.writer import apply
    from assetgraph.framework.importing.base import collector_paused

    actor = Actor.system("bench", source=Source.DISCOVERY, job_id="bench")
    start = time.perf_counter()
    with collector_paused():  # as run_discovery does
        items = parse_ansible(hosts)
        now = timezone.now()
        plan = Planner(source, now).run(items)
        assert not plan.errors, plan.errors[:5]
        events = apply(actor, source, plan, "bench", now)
    elapsed = time.perf_counter() - start
    return elapsed, (plan, events)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=50_000)
    parser.add_argument("--packages", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=200)
    args = parser.parse_args()
    _setup()
    from django.db import connection

    from assetgraph.cmdb.models import CI, SoftwareInstall
    from assetgraph.core.actor import Actor
    from assetgraph.discovery.services import create_source

    source = create_source(Actor.system("bench"), {"name": "ansible-bench", "connector": "ansible"})
    items = args.hosts * (1 + args.packages)
    baseline = _baseline(args.baseline, args.packages)
    first, _ = _run(source, _estate(args.hosts, args.packages, set()))
    cis = CI.objects.count()
    installs = SoftwareInstall.objects.count()
    changed = set(random.Random(7).sample(range(args.hosts), args.hosts // 20))
    second, (plan, events) = _run(source, _estate(args.hosts, args.packages, changed))
    assert CI.objects.count() == cis == args.hosts, "duplicates"
    assert SoftwareInstall.objects.count() == installs
    assert len(plan.updates) == len(changed), (len(plan.updates), len(changed))
    assert len(plan.software.creates) == len(plan.software.deletes) == len(changed)
    # per changed host: the CI update, the old install removed, the new one and its evidence
    assert events == 4 * len(changed), events
    print(
        f"Ansible facts: {args.hosts:,} hosts x {args.packages} packages = {items:,} items, "
        f"{connection.vendor}, Python {platform.python_version()}, {platform.machine()}"
    )
    print()
    print("| run | items/s | vs per-item service loop |")
    print("|---|---:|---:|")
    print(f"| per-item service loop ({args.baseline} hosts) | {baseline:,.0f} | 1x |")
    print(f"| first load | {items / first:,.0f} | {items / first / baseline:,.0f}x |")
    print(
        f"| re-run, 5 % changed ({len(changed):,} hosts, {events:,} events) | "
        f"{items / second:,.0f} | {items / second / baseline:,.0f}x |"
    )


if __name__ == "__main__":
    main()
