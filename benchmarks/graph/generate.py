"""Seeded synthetic generator of a realistic layered IT estate (pure numpy).

Layers (impact flows bottom-up; counts for the default 1,000,000 CIs):

    datacenters (2) -> power feeds -> power groups (redundant pairs)
                    -> racks -> top-of-rack switches -> uplink groups (redundant pairs)
                    -> core switch groups
    servers (in racks, on uplinks) -> hypervisors -> farms (redundant, 75% / N-1)
    storage arrays -> farms and VMs (datastores)
    VMs (run on farms) -> components (run on VMs; 5% are databases other components use)
    components -> LB pools (redundant, behind LB appliances) -> applications
    shared DNS / LDAP services (redundant groups of servers) -> components / applications
    applications -> business services
    plus informational "connected to" / "backup of" / "monitored by" relations.

About 4.5 relations per CI. Node ids are randomly permuted (like database ids created
over years by discovery jobs), so no locality is given away for free.
Usage: ``generate_estate(1_000_000, seed=42)`` -> :class:`Estate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]

# relationship types: (name, direction, membership)
TYPES: list[tuple[str, int, bool]] = [
    ("member of", 1, True),  # 0: member -> group
    ("depends on", -1, False),  # 1: a depends on b
    ("runs on", -1, False),  # 2
    ("located in", -1, False),  # 3
    ("powered by", -1, False),  # 4
    ("uses storage", -1, False),  # 5
    ("connected to", 0, False),  # 6 informational
    ("backup of", 0, False),  # 7 informational
    ("monitored by", 0, False),  # 8 informational
    ("consists of", -1, False),  # 9: application consists of component
    ("hosts", 1, False),  # 10: server hosts hypervisor
]
MEMBER, DEPENDS, RUNS_ON, LOCATED, POWERED, STORAGE = 0, 1, 2, 3, 4, 5
CONNECTED, BACKUP, MONITORED, CONSISTS, HOSTS = 6, 7, 8, 9, 10


@dataclass
class Estate:
    """Arrays ready for ``Graph.build`` plus the node ids of each layer (caller ids)."""

    n_nodes: int
    rel_src: I32
    rel_dst: I32
    rel_type: npt.NDArray[np.int16]
    type_direction: npt.NDArray[np.int8]
    type_membership: npt.NDArray[np.bool_]
    redundancy_kind: npt.NDArray[np.int8]
    redundancy_value: I32
    layers: dict[str, I32] = field(default_factory=dict)

    @property
    def n_relations(self) -> int:
        """Number of generated relationships."""
        return int(self.rel_src.size)


class _Builder:
    """Allocates node ids layer by layer and accumulates relationships."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.next_id = 0
        self.layers: dict[str, I32] = {}
        self.src: list[I32] = []
        self.dst: list[I32] = []
        self.typ: list[npt.NDArray[np.int16]] = []
        self.kind: dict[str, tuple[int, int]] = {}

    def layer(self, name: str, count: float, kind: int = 0, value: int = 0) -> I32:
        """Create ``count`` nodes (at least one) with a redundancy policy."""
        count = max(1, int(count))
        ids = np.arange(self.next_id, self.next_id + count, dtype=np.int32)
        self.next_id += count
        self.layers[name] = ids
        self.kind[name] = (kind, value)
        return ids

    def rel(self, src: I32, dst: I32, typ: int) -> None:
        """Record relationships ``src[i] -(typ)-> dst[i]``."""
        self.src.append(np.asarray(src, dtype=np.int32))
        self.dst.append(np.asarray(dst, dtype=np.int32))
        self.typ.append(np.full(len(src), typ, dtype=np.int16))

    def pick(self, pool: I32, k: int) -> I32:
        """``k`` uniform random picks from ``pool``."""
        return pool[self.rng.integers(0, pool.size, size=k)]


def _blocks(items: I32, groups: I32, rng: np.random.Generator) -> I32:
    """Assign each item to a group in contiguous, roughly equal blocks."""
    idx = (np.arange(items.size, dtype=np.int64) * groups.size) // max(items.size, 1)
    del rng
    return groups[idx]


def generate_estate(n_target: int = 1_000_000, seed: int = 42, shuffle: bool = True) -> Estate:
    """Generate a layered estate of about ``n_target`` CIs and ~4.5 relations per CI.

    Why: benchmarks and load tests need a graph whose shape (fan-in, redundancy, shared
    services, depth ~10) resembles a real CMDB, reproducibly from a seed.
    """
    rng = np.random.default_rng(seed)
    b = _Builder(rng)
    s = n_target / 1_000_000
    n_dc = 2

    def per_dc(name: str, count: float, kind: int = 0, value: int = 0) -> tuple[I32, I32]:
        ids = b.layer(name, count, kind, value)
        dc_of = (np.arange(ids.size) * n_dc // ids.size).astype(np.int32)
        return ids, dc_of

    dcs = b.layer("datacenter", n_dc)
    feeds, feed_dc = per_dc("power_feed", 16 * n_dc)
    b.rel(feeds, dcs[feed_dc], LOCATED)
    pgroups, pg_dc = per_dc("power_group", 8 * n_dc, kind=1, value=1)
    b.rel(feeds, pgroups[np.arange(feeds.size) // 2], MEMBER)
    cores, core_dc = per_dc("core_switch", 4 * n_dc)
    b.rel(cores, dcs[core_dc], LOCATED)
    cgroups, cg_dc = per_dc("core_group", 2 * n_dc, kind=1, value=1)
    b.rel(cores, cgroups[np.arange(cores.size) // 2], MEMBER)
    storage, st_dc = per_dc("storage", 100 * s * n_dc)
    b.rel(storage, dcs[st_dc], LOCATED)

    racks, rack_dc = per_dc("rack", 2_500 * s)
    b.rel(racks, dcs[rack_dc], LOCATED)
    pg_in_dc = [pgroups[pg_dc == d] for d in range(n_dc)]
    cg_in_dc = [cgroups[cg_dc == d] for d in range(n_dc)]
    st_in_dc = [storage[st_dc == d] for d in range(n_dc)]
    b.rel(racks, _pick_per_dc(b, pg_in_dc, rack_dc), POWERED)
    tors = b.layer("tor_switch", 2 * racks.size)
    b.rel(tors, racks[np.arange(tors.size) // 2], LOCATED)
    uplinks = b.layer("uplink_group", racks.size, kind=1, value=1)
    b.rel(tors, uplinks[np.arange(tors.size) // 2], MEMBER)
    b.rel(uplinks, _pick_per_dc(b, cg_in_dc, rack_dc), DEPENDS)

    servers = b.layer("server", 40_000 * s)
    srv_rack = _blocks(servers, racks, rng)
    srv_dc = rack_dc[np.searchsorted(racks, srv_rack)]
    b.rel(servers, srv_rack, LOCATED)
    b.rel(servers, uplinks[np.searchsorted(racks, srv_rack)], DEPENDS)
    n_hyp = int(servers.size * 0.75)
    hyps = b.layer("hypervisor", n_hyp)
    b.rel(servers[:n_hyp], hyps, HOSTS)
    hyp_dc = srv_dc[:n_hyp]
    n_farm = max(1, n_hyp // 16)
    farms = b.layer("farm", n_farm, kind=2, value=75)
    hyp_farm = _blocks(hyps, farms, rng)
    b.rel(hyps, hyp_farm, MEMBER)
    farm_dc = hyp_dc[np.searchsorted(hyp_farm, farms)]
    for _ in range(2):
        b.rel(farms, _pick_per_dc(b, st_in_dc, farm_dc), STORAGE)
    # a third of the farms tolerate exactly one host loss instead of 25 %
    n1 = farms[rng.random(farms.size) < 0.33]

    vms = b.layer("vm", 330_000 * s)
    vm_farm = b.pick(farms, vms.size)
    b.rel(vms, vm_farm, RUNS_ON)
    vm_dc = farm_dc[np.searchsorted(farms, vm_farm)]
    b.rel(vms, _pick_per_dc(b, st_in_dc, vm_dc), STORAGE)

    comps = b.layer("component", 480_000 * s)
    comp_vm = b.pick(vms, comps.size)
    b.rel(comps, comp_vm, RUNS_ON)
    comp_dc = vm_dc[np.searchsorted(vms, comp_vm)]

    # shared services: DNS and LDAP per DC, each a redundant group of server components
    dns_srv, dns_dc = per_dc("dns_server", 10 * n_dc)
    dns = b.layer("dns_service", n_dc, kind=1, value=2)
    b.rel(dns_srv, dns[dns_dc], MEMBER)
    b.rel(dns_srv, b.pick(vms[vm_dc == 0], dns_srv.size), RUNS_ON)
    ldap_srv, ldap_dc = per_dc("ldap_server", 6 * n_dc)
    ldap = b.layer("ldap_service", n_dc, kind=1, value=1)
    b.rel(ldap_srv, ldap[ldap_dc], MEMBER)
    b.rel(ldap_srv, b.pick(vms, ldap_srv.size), RUNS_ON)
    b.rel(comps, dns[comp_dc], DEPENDS)

    # databases: 5 % of components; 80 % of other components depend on one
    is_db = rng.random(comps.size) < 0.05
    dbs = comps[is_db]
    users = comps[(~is_db) & (rng.random(comps.size) < 0.8)]
    b.rel(users, b.pick(dbs, users.size), DEPENDS)

    apps = b.layer("application", 50_000 * s)
    comp_app = b.pick(apps, comps.size)
    lbs = b.layer("lb_appliance", 200 * s)
    pools = b.layer("lb_pool", 25_000 * s, kind=1, value=1)
    b.rel(pools, b.pick(lbs, pools.size), DEPENDS)
    pooled = rng.random(comps.size) < 0.2
    pool_apps = b.pick(apps, pools.size)
    b.rel(pool_apps, pools, DEPENDS)
    b.rel(comps[pooled], b.pick(pools, int(pooled.sum())), MEMBER)
    b.rel(comp_app[~pooled], comps[~pooled], CONSISTS)
    with_ldap = apps[rng.random(apps.size) < 0.6]
    b.rel(with_ldap, ldap[rng.integers(0, n_dc, with_ldap.size)], DEPENDS)
    svcs = b.layer("business_service", 10_000 * s)
    k_apps = 3
    b.rel(np.repeat(svcs, k_apps), b.pick(apps, svcs.size * k_apps), DEPENDS)

    # informational noise
    b.rel(b.pick(comps, int(600_000 * s)), b.pick(comps, int(600_000 * s)), CONNECTED)
    b.rel(b.pick(vms, int(250_000 * s)), b.pick(storage, int(250_000 * s)), BACKUP)
    mon = b.layer("monitoring_probe", 2_000 * s)
    b.rel(b.pick(vms, int(330_000 * s)), b.pick(mon, int(330_000 * s)), MONITORED)
    b.rel(b.pick(comps, int(500_000 * s)), b.pick(mon, int(500_000 * s)), MONITORED)
    # filler CIs (licences, documents...) with an informational link, to reach n_target
    n_fill = max(0, n_target - b.next_id)
    if n_fill:
        fill = b.layer("other", n_fill)
        b.rel(fill, b.pick(comps, fill.size), CONNECTED)

    n = b.next_id
    kind = np.zeros(n, dtype=np.int8)
    value = np.zeros(n, dtype=np.int32)
    for name, (k, v) in b.kind.items():
        kind[b.layers[name]] = k
        value[b.layers[name]] = v
    kind[n1], value[n1] = 1, 15  # N-1 on 16 hosts
    src = np.concatenate(b.src)
    dst = np.concatenate(b.dst)
    typ = np.concatenate(b.typ)
    layers = dict(b.layers)
    if shuffle:
        perm = rng.permutation(n).astype(np.int32)
        src, dst = perm[src], perm[dst]
        new_kind = np.empty_like(kind)
        new_val = np.empty_like(value)
        new_kind[perm], new_val[perm] = kind, value
        kind, value = new_kind, new_val
        layers = {k: perm[v] for k, v in layers.items()}
        order = rng.permutation(src.size)
        src, dst, typ = src[order], dst[order], typ[order]
    return Estate(
        n_nodes=n,
        rel_src=src,
        rel_dst=dst,
        rel_type=typ,
        type_direction=np.array([t[1] for t in TYPES], dtype=np.int8),
        type_membership=np.array([t[2] for t in TYPES], dtype=np.bool_),
        redundancy_kind=kind,
        redundancy_value=value,
        layers=layers,
    )


def _pick_per_dc(b: _Builder, pools: list[I32], dc: I32) -> I32:
    """One random element of ``pools[dc[i]]`` for every i (vectorised)."""
    out = np.empty(dc.size, dtype=np.int32)
    for d, pool in enumerate(pools):
        sel = np.flatnonzero(dc == d)
        out[sel] = b.pick(pool, sel.size)
    return out


if __name__ == "__main__":  # pragma: no cover - manual inspection
    import sys
    import time

    t0 = time.perf_counter()
    est = generate_estate(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
    print(f"{est.n_nodes:,} CIs, {est.n_relations:,} relations in {time.perf_counter() - t0:.1f}s")
    for name, ids in est.layers.items():
        print(f"  {name:18s} {ids.size:>9,}")
