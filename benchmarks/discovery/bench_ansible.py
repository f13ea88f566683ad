"""Discovery benchmark: an Ansible-facts run at scale, side by side with a per-item service
loop in the same run.

1. Generates ``--hosts`` hosts' facts (setup + package_facts, ``--packages`` each) as the
   connector reads them, in memory.
2. Baseline: one service call per item (``create_ci``, then ``record_software_install`` per
   package) for ``--baseline`` hosts on an empty database: items/s.
3. First load of all hosts through discovery (identify, reconcile, plan, bulk write with
   audit events): items/s, where an item is a host or an installed package.
4. Re-run with 5 % of the hosts changed (memory, and one package at a new version):
   items/s; checks zero duplicates (CI count unchanged, no two current CIs of one name) and
   that exactly the changed attributes were written: one CI update per changed host whose
   attribute diff is ``ram_gb`` alone, the old ``pkg-000`` install removed and the new one
   created with its evidence, and nothing else (the run's audit events are counted).
5. The same file once more: zero CIs created, zero events (the hosts are skipped by their
   report's digest and only seen).

The per-item service loop runs ``--baseline`` hosts (a sample: it is ~1,000x slower) and
is reported as items/s, so it compares with the full-size runs as a rate. The load average
is printed beside each figure (the machine is shared).

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


def _run(source: Any, hosts: dict[str, dict[str, Any]], job: str) -> tuple[float, Any]:
    from django.utils import timezone

    from assetgraph.core.actor import Actor, Source
    from assetgraph.discovery.connectors.ansible import parse_ansible
    from assetgraph.discovery.engine import Planner
    from assetgraph.discovery.writer import apply
    from assetgraph.framework.importing.base import collector_paused

    actor = Actor.system("bench", source=Source.DISCOVERY, job_id=job)
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
    parser.add_argument("--baseline", type=int, default=20)
    args = parser.parse_args()
    _setup()
    from django.db import connection

    from assetgraph.audit.models import AuditEvent
    from assetgraph.cmdb.models import CI, SoftwareInstall
    from assetgraph.core.actor import Actor
    from assetgraph.discovery.services import create_source

    source = create_source(Actor.system("bench"), {"name": "ansible-bench", "connector": "ansible"})
    items = args.hosts * (1 + args.packages)
    baseline = _baseline(args.baseline, args.packages)
    baseline_load = os.getloadavg()[0]
    first, _ = _run(source, _estate(args.hosts, args.packages, set()), "bench-first")
    first_load = os.getloadavg()[0]
    cis = CI.objects.count()
    installs = SoftwareInstall.objects.count()
    changed = set(random.Random(7).sample(range(args.hosts), args.hosts // 20))
    estate = _estate(args.hosts, args.packages, changed)
    second, (plan, events) = _run(source, estate, "bench-rerun")
    second_load = os.getloadavg()[0]
    duplicates = cis - len(set(CI.objects.current().values_list("name", flat=True)))
    assert CI.objects.count() == cis == args.hosts, "duplicates"
    assert not duplicates, "duplicates"
    assert SoftwareInstall.objects.count() == installs
    changed_names = {f"host-{i:06d}.bench.example" for i in changed}
    assert {name for _, name, _, _ in plan.updates} == changed_names
    for _, _, _, diff in plan.updates:
        before, after = diff.pop("attributes")
        assert not diff, diff
        assert {k for k in after if before.get(k) != after[k]} == {"ram_gb"}
    assert len(plan.software.creates) == len(plan.software.deletes) == len(changed)
    assert {raw for _, _, _, _, _, raw in plan.software.creates} == {"pkg-000"}
    # per changed host: the CI update, the old install removed, the new one and its evidence
    assert events == 4 * len(changed) == AuditEvent.objects.filter(job_id="bench-rerun").count()
    skipped = len(plan.same)
    third, (plan3, events3) = _run(source, estate, "bench-same")
    third_load = os.getloadavg()[0]
    assert events3 == 0
    assert CI.objects.count() == cis
    assert not plan3.creates
    print(
        f"Ansible facts: {args.hosts:,} hosts x {args.packages} packages = {items:,} items, "
        f"{connection.vendor}, Python {platform.python_version()}, {platform.machine()}"
    )
    print()
    print("| run | items/s | vs per-item service loop | seconds | load |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| per-item service loop ({args.baseline} hosts, rate) | {baseline:,.0f} | 1x | "
        f"{args.baseline * (1 + args.packages) / baseline:.1f} | {baseline_load:.1f} |"
    )
    print(
        f"| first load | {items / first:,.0f} | {items / first / baseline:,.0f}x | "
        f"{first:.1f} | {first_load:.1f} |"
    )
    print(
        f"| re-run, 5 % changed ({len(changed):,} hosts, {events:,} events, "
        f"{skipped:,} skipped by digest) | {items / second:,.0f} | "
        f"{items / second / baseline:,.0f}x | {second:.1f} | {second_load:.1f} |"
    )
    print(
        f"| same file again ({events3} events, {len(plan3.same):,} skipped) | "
        f"{items / third:,.0f} | {items / third / baseline:,.0f}x | {third:.1f} | "
        f"{third_load:.1f} |"
    )
    print()
    print(f"duplicates: {duplicates}; exactly the changed attributes written: yes (asserted)")


if __name__ == "__main__":
    main()
