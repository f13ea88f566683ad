"""The immutable :class:`Graph`: CSR adjacency of relationships and of failure impact.

A :class:`Graph` is built once from dense integer arrays (what a Django adapter gets from
``values_list``) and is then read-only and thread-safe. Incremental changes
(:meth:`Graph.with_edges_added`, :meth:`Graph.with_edges_removed`,
:meth:`Graph.with_redundancy`) return a *new* graph that shares every untouched array with
the old one and splices the changed CSR rows in O(m) ``memcpy`` time (tens of ms at
4.5M relations), so a cached engine can be refreshed without a full rebuild.

Internally nodes may be renumbered (``reorder=True``) into a locality-friendly order; the
permutation never leaks: every public function takes and returns caller node indices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from ._kernels import (
    I8,
    I32,
    I64,
    Adjacency,
    BoolArr,
    ImpactArrays,
    expand,
    unique,
)

__all__ = ["Graph"]

ArrayLike = npt.ArrayLike


def _ro(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Mark an array read-only so versions of a graph can share it safely."""
    a.setflags(write=False)
    return a


def _indptr(rows: I32, n: int) -> I64:
    """CSR ``indptr`` for entries already sorted by ``rows``."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=out[1:])
    return out


def _sorted_unique(key: I64) -> I64:
    """``np.unique`` via one in-place sort (numpy's hash-based unique is slow on int64)."""
    key = np.sort(key)
    if key.size > 1:
        keep = np.empty(key.size, dtype=np.bool_)
        keep[0] = True
        np.not_equal(key[1:], key[:-1], out=keep[1:])
        key = key[keep]
    return key


def _split_key(key: I64, n: int, t: int) -> tuple[I32, I32, I32]:
    """Decode ``(a * n + b) * t + c`` keys into three int32 arrays."""
    c = (key % t).astype(np.int32)
    ab = key // t
    return (ab // n).astype(np.int32), (ab % n).astype(np.int32), c


def _row_of(indptr: I64) -> I32:
    """The row index of every CSR entry (COO row array)."""
    n = indptr.size - 1
    return np.repeat(np.arange(n, dtype=np.int32), np.diff(indptr))


def _as_i64(x: ArrayLike, name: str) -> I64:
    """Coerce to a 1-d int64 array, raising ``ValueError`` for non-integer input."""
    a = np.asarray(x)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must contain integers")
    return a.astype(np.int64, copy=False)


def _find(
    indptr: I64, cols: tuple[npt.NDArray[Any], ...], rows: I32, keys: tuple[npt.NDArray[Any], ...]
) -> I64:
    """For each query ``(rows[i], keys[*][i])`` the CSR position of a matching entry or -1."""
    res = np.full(rows.size, -1, dtype=np.int64)
    if rows.size == 0:
        return res
    pos, cs = expand(indptr, rows)
    if pos.size == 0:
        return res
    qi = np.searchsorted(cs, np.arange(pos.size), side="right")
    match = np.ones(pos.size, dtype=np.bool_)
    for col, key in zip(cols, keys, strict=True):
        match &= col[pos] == key[qi]
    res[qi[match]] = pos[match]
    return res


_SMALL = 32  # up to this many changed entries: slice copies instead of masks/bincount


def _shift_indptr(indptr: I64, rows: I32, sign: int) -> I64:
    """Copy of ``indptr`` with +/-1 entry for each occurrence of a row in ``rows``."""
    out = indptr.copy()
    if rows.size <= _SMALL:
        for r in rows.tolist():
            out[r + 1 :] += sign
    else:
        out[1:] += sign * np.cumsum(np.bincount(rows, minlength=indptr.size - 1))
    return out


def _splice(a: npt.NDArray[Any], at: I64, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Insert ``values`` before positions ``at`` (sorted) with one pass of slice copies."""
    if at.size > _SMALL:
        return np.insert(a, at, values)
    out = np.empty(a.size + at.size, dtype=a.dtype)
    src = dst = 0
    for i, p in enumerate(at.tolist()):
        n = p - src
        out[dst : dst + n] = a[src:p]
        dst += n
        out[dst] = values[i]
        dst += 1
        src = p
    out[dst:] = a[src:]
    return out


def _cut(a: npt.NDArray[Any], pos: I64) -> npt.NDArray[Any]:
    """Remove positions ``pos`` (sorted, unique) with slice copies."""
    if pos.size > _SMALL:
        keep = np.ones(a.size, dtype=np.bool_)
        keep[pos] = False
        return a[keep]
    out = np.empty(a.size - pos.size, dtype=a.dtype)
    src = dst = 0
    for p in pos.tolist():
        n = p - src
        out[dst : dst + n] = a[src:p]
        dst += n
        src = p + 1
    out[dst:] = a[src:]
    return out


def _csr_insert(
    indptr: I64,
    arrays: tuple[npt.NDArray[Any], ...],
    rows: I32,
    values: tuple[npt.NDArray[Any], ...],
) -> tuple[I64, tuple[npt.NDArray[Any], ...]]:
    """Append entries at the end of their rows; O(m) copy, no sort of the existing data."""
    order = np.argsort(rows, kind="stable")
    at = indptr[rows[order] + 1]
    new_arrays = tuple(_ro(_splice(a, at, v[order])) for a, v in zip(arrays, values, strict=True))
    return _ro(_shift_indptr(indptr, rows, 1)), new_arrays


def _csr_delete(
    indptr: I64, arrays: tuple[npt.NDArray[Any], ...], pos: I64
) -> tuple[I64, tuple[npt.NDArray[Any], ...]]:
    """Remove the entries at CSR positions ``pos`` (unique, valid)."""
    pos = np.sort(pos)
    rows = (np.searchsorted(indptr, pos, side="right") - 1).astype(np.int32)
    new_arrays = tuple(_ro(_cut(a, pos)) for a in arrays)
    return _ro(_shift_indptr(indptr, rows, -1)), new_arrays


def _node_thresholds(kind: I8, value: I32, count: I32) -> I32:
    """DOWN threshold ``count - min_up + 1`` per node (1 for plain nodes)."""
    cnt = count.astype(np.int64)
    val = np.maximum(value.astype(np.int64), 0)
    min_up = np.where(kind == 1, val, np.where(kind == 2, (val * cnt + 99) // 100, cnt))
    min_up = np.clip(min_up, 0, cnt)
    return np.where(kind != 0, cnt - min_up + 1, 1).astype(np.int32)


def _thresholds(
    n: int, kind: I8, value: I32, fwd_indices: I32, fwd_member: BoolArr
) -> tuple[BoolArr, I32, I32]:
    """Per-edge ``counted`` flag, per-node member count and DOWN threshold.

    A group with ``count`` distinct members that needs ``min_up`` of them goes DOWN when
    more than ``count - min_up`` members are DOWN, i.e. at ``count - min_up + 1`` DOWN
    members (``count + 1`` = never, when ``min_up`` is 0).
    """
    is_group = kind != 0
    counted = fwd_member & is_group[fwd_indices]
    count = np.bincount(fwd_indices[counted], minlength=n).astype(np.int32)
    return _ro(counted), _ro(count), _ro(_node_thresholds(kind, value, count))


@dataclass(frozen=True, eq=False, repr=False)
class Graph:
    """Immutable CMDB graph: relationships plus the derived failure-impact graph.

    Build it with :meth:`Graph.build`. All fields are internal (renumbered ids); use the
    query functions of :mod:`assetgraph.graph` with caller node indices ``0..n_nodes-1``.
    """

    n_nodes: int
    _to_int: I32 | None  # caller id -> internal id (None = identity)
    _to_ext: I32 | None  # internal id -> caller id
    _type_direction: I8
    _type_membership: BoolArr
    _kind: I8
    _value: I32
    # raw relationships (deduplicated (src, dst, type), no self loops)
    _out_indptr: I64
    _out_dst: I32
    _out_type: I32
    _in_indptr: I64
    _in_src: I32
    _in_type: I32
    # impact edges u -> v ("failure of u affects v"), deduplicated on (u, v, member)
    _fwd_indptr: I64
    _fwd_indices: I32
    _fwd_member: BoolArr
    _fwd_counted: BoolArr
    _rev_indptr: I64
    _rev_indices: I32
    _rev_member: BoolArr
    _member_count: I32
    _threshold: I32
    # memo of reach-set sizes, stored plus one (0 = unknown: see reach_memo()); reset on update
    _reach_memo: I32

    # ------------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        n_nodes: int,
        rel_src: ArrayLike,
        rel_dst: ArrayLike,
        rel_type: ArrayLike,
        type_direction: ArrayLike,
        type_membership: ArrayLike,
        redundancy_kind: ArrayLike | None = None,
        redundancy_value: ArrayLike | None = None,
        *,
        reorder: bool = False,
    ) -> Graph:
        """Build an immutable graph from dense integer arrays.

        Why: the adapter reads ids with ``values_list`` and maps them to ``0..n-1``; this
        turns those arrays into CSR adjacency for relationships (both directions) and for
        failure impact (both directions), deduplicating parallel edges and dropping
        self-loops. ``type_direction[t]`` is 1 (src failure impacts dst), -1 (dst failure
        impacts src) or 0 (informational); ``type_membership[t]`` marks member->group
        types. ``redundancy_kind`` is 0 (none), 1 (at least ``value`` members up) or 2 (at
        least ``value`` percent up). ``reorder=True`` renumbers nodes internally in
        a BFS-from-the-roots order for memory locality (hidden from callers).
        """
        n = int(n_nodes)
        if n < 0:
            raise ValueError("n_nodes must be >= 0")
        tdir = _as_i64(type_direction, "type_direction")
        if np.any((tdir < -1) | (tdir > 1)):
            raise ValueError("type_direction values must be -1, 0 or 1")
        tmem = np.asarray(type_membership, dtype=np.bool_).reshape(-1)
        if tmem.size != tdir.size:
            raise ValueError("type_direction and type_membership must have the same length")
        t = int(tdir.size)
        src = _as_i64(rel_src, "rel_src")
        dst = _as_i64(rel_dst, "rel_dst")
        typ = _as_i64(rel_type, "rel_type")
        if not (src.size == dst.size == typ.size):
            raise ValueError("rel_src, rel_dst and rel_type must have the same length")
        if src.size:
            if min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n:
                raise ValueError("relationship endpoints must be in 0..n_nodes-1")
            if typ.min() < 0 or typ.max() >= t:
                raise ValueError("rel_type values must index type_direction")
        kind, value = cls._check_redundancy(n, redundancy_kind, redundancy_value)

        if reorder and n > 1 and src.size:
            plain = cls.build(n, src, dst, typ, tdir, tmem, kind, value)
            to_ext = _locality_order(plain)
            to_int = np.empty(n, dtype=np.int32)
            to_int[to_ext] = np.arange(n, dtype=np.int32)
            g = cls.build(n, to_int[src], to_int[dst], typ, tdir, tmem, kind[to_ext], value[to_ext])
            return replace(g, _to_int=_ro(to_int), _to_ext=_ro(to_ext))

        keep = src != dst
        src, dst, typ = src[keep], dst[keep], typ[keep]
        if n * n * max(t, 1) >= (1 << 62):  # pragma: no cover - astronomically large ids
            raise ValueError("n_nodes * n_nodes * n_types must be < 2**62")
        tt = max(t, 1)
        # deduplicate (src, dst, type); sorted keys give the out-CSR order directly
        key = _sorted_unique((src * n + dst) * tt + typ)
        s32, d32, t32 = _split_key(key, n, tt)
        out_indptr = _indptr(s32, n)
        i_dst, i_src, i_typ = _split_key(
            np.sort((d32.astype(np.int64) * n + s32) * tt + t32), n, tt
        )
        in_indptr = _indptr(i_dst, n)
        del key

        fwd_indptr, fwd_idx, fwd_mem, rev_indptr, rev_idx, rev_mem = _impact_csr(
            n, s32, d32, t32, tdir.astype(np.int8), tmem
        )
        counted, count, thr = _thresholds(n, kind, value, fwd_idx, fwd_mem)
        return cls(
            n_nodes=n,
            _to_int=None,
            _to_ext=None,
            _type_direction=_ro(tdir.astype(np.int8)),
            _type_membership=_ro(tmem.copy()),
            _kind=_ro(kind),
            _value=_ro(value),
            _out_indptr=_ro(out_indptr),
            _out_dst=_ro(d32),
            _out_type=_ro(t32),
            _in_indptr=_ro(in_indptr),
            _in_src=_ro(i_src),
            _in_type=_ro(i_typ),
            _fwd_indptr=fwd_indptr,
            _fwd_indices=fwd_idx,
            _fwd_member=fwd_mem,
            _fwd_counted=counted,
            _rev_indptr=rev_indptr,
            _rev_indices=rev_idx,
            _rev_member=rev_mem,
            _member_count=count,
            _threshold=thr,
            _reach_memo=np.zeros(n, dtype=np.int32),
        )

    @staticmethod
    def _check_redundancy(
        n: int, kind_in: ArrayLike | None, value_in: ArrayLike | None
    ) -> tuple[I8, I32]:
        """Validate redundancy arrays (defaults: no redundancy anywhere)."""
        kind = (
            np.zeros(n, dtype=np.int8)
            if kind_in is None
            else _as_i64(kind_in, "redundancy_kind").astype(np.int8)
        )
        value = (
            np.zeros(n, dtype=np.int32)
            if value_in is None
            else _as_i64(value_in, "redundancy_value").astype(np.int32)
        )
        if kind.size != n or value.size != n:
            raise ValueError("redundancy arrays must have n_nodes entries")
        if np.any((kind < 0) | (kind > 2)):
            raise ValueError("redundancy_kind values must be 0, 1 or 2")
        return kind, value

    # ------------------------------------------------------------------ info
    @property
    def n_relations(self) -> int:
        """Number of distinct relationships kept (self-loops and duplicates removed)."""
        return int(self._out_dst.size)

    @property
    def n_impact_edges(self) -> int:
        """Number of distinct failure-impact edges (informational types excluded)."""
        return int(self._fwd_indices.size)

    @property
    def n_types(self) -> int:
        """Number of relationship types the graph was built with."""
        return int(self._type_direction.size)

    @cached_property
    def has_redundancy(self) -> bool:
        """True if at least one redundancy group has member edges (threshold logic active).

        Cached per graph version: the scan reads every impact edge's flag (4.5 MB at 1M
        CIs, ~0.15 ms), more than a small impact query itself. A derived graph
        (:func:`dataclasses.replace`) is a new object and computes it afresh.
        """
        return bool(self._fwd_counted.any())

    def nbytes(self) -> int:
        """Total bytes held by the graph's arrays (shared arrays counted once per graph)."""
        total = 0
        for v in vars(self).values():
            if isinstance(v, np.ndarray):
                total += int(v.nbytes)
        return total

    def __repr__(self) -> str:
        """Short summary, never the arrays themselves."""
        return (
            f"Graph(n_nodes={self.n_nodes}, relations={self.n_relations}, "
            f"impact_edges={self.n_impact_edges}, types={self.n_types})"
        )

    # ------------------------------------------------------------------ id mapping
    def to_internal(self, nodes: ArrayLike, name: str = "nodes") -> I32:
        """Validate caller node indices and map them to internal ids (order preserved)."""
        a = _as_i64(nodes, name)
        if a.size and (a.min() < 0 or a.max() >= self.n_nodes):
            raise ValueError(f"{name} must be in 0..n_nodes-1")
        a32 = a.astype(np.int32)
        return a32 if self._to_int is None else self._to_int[a32]

    def to_external(self, nodes: I32) -> I32:
        """Map internal ids back to caller node indices (negative values pass through)."""
        if self._to_ext is None:
            return nodes
        out = self._to_ext[np.maximum(nodes, 0)]
        return np.where(nodes < 0, nodes, out).astype(np.int32)

    @property
    def external_ids(self) -> I32 | None:
        """The internal -> caller id table (``None`` when ids are not renumbered), for
        kernels that map their output in their own final loop."""
        return self._to_ext

    def _ext_scalar(self, node: int) -> int:
        """Map one internal id to the caller's id."""
        return int(node) if self._to_ext is None else int(self._to_ext[node])

    # ------------------------------------------------------------------ adjacencies
    def impact_arrays(self) -> ImpactArrays:
        """The arrays used by the impact kernel (built once per graph version)."""
        return self._impact_arrays

    @cached_property
    def _impact_arrays(self) -> ImpactArrays:
        return ImpactArrays(
            self.n_nodes,
            self._fwd_indptr,
            self._fwd_indices,
            self._fwd_counted,
            self._threshold,
            self.has_redundancy,
            self._rev_indptr,
            self._rev_indices,
        )

    def adj_impact(self) -> Adjacency:
        """Impact direction: u -> v means a failure of u affects v."""
        return Adjacency(self._fwd_indptr, self._fwd_indices)

    def adj_depends(self) -> Adjacency:
        """Dependency direction: v -> u means v needs u (reverse of impact)."""
        return Adjacency(self._rev_indptr, self._rev_indices)

    def adj_raw(self, allowed_types: BoolArr | None = None) -> tuple[Adjacency, Adjacency]:
        """Relationships in both directions (undirected view), optionally type-filtered."""
        return (
            Adjacency(self._out_indptr, self._out_dst, self._out_type, allowed_types),
            Adjacency(self._in_indptr, self._in_src, self._in_type, allowed_types),
        )

    def adj_raw_directed(
        self, impact_direction: bool, allowed_types: BoolArr | None
    ) -> tuple[Adjacency, Adjacency]:
        """Relationships followed along (or against) the impact direction, type-filtered.

        ``impact_direction=True`` follows a relationship from x to y when a failure of x
        impacts y; ``False`` follows it from y to x (what x needs). Informational types are
        never followed.
        """
        base = np.ones(self.n_types, dtype=np.bool_) if allowed_types is None else allowed_types
        fwd_dir = 1 if impact_direction else -1
        out_ok = base & (self._type_direction == fwd_dir)
        in_ok = base & (self._type_direction == -fwd_dir)
        return (
            Adjacency(self._out_indptr, self._out_dst, self._out_type, out_ok),
            Adjacency(self._in_indptr, self._in_src, self._in_type, in_ok),
        )

    # ------------------------------------------------------------------ updates
    def with_redundancy(self, nodes: ArrayLike, kind: ArrayLike, value: ArrayLike) -> Graph:
        """Return a graph where ``nodes`` get new redundancy ``kind``/``value``.

        Why: a farm's policy changes without touching relationships; only the changed
        nodes' thresholds and their in-edges' "counted member" flags are recomputed (all
        CSR arrays and the reach memo are shared with this graph).
        """
        idx = self.to_internal(nodes)
        k = _as_i64(kind, "kind")
        v = _as_i64(value, "value")
        k = np.broadcast_to(k, idx.shape) if k.size == 1 else k
        v = np.broadcast_to(v, idx.shape) if v.size == 1 else v
        if k.size != idx.size or v.size != idx.size:
            raise ValueError("kind/value must be scalars or match nodes")
        if np.any((k < 0) | (k > 2)):
            raise ValueError("redundancy kind must be 0, 1 or 2")
        new_kind = self._kind.copy()
        new_val = self._value.copy()
        new_kind[idx] = k.astype(np.int8)
        new_val[idx] = v.astype(np.int32)
        g = replace(self, _kind=_ro(new_kind), _value=_ro(new_val))
        return g._regroup(unique(idx))

    def _regroup(self, nodes: I32) -> Graph:
        """Recompute counted flags of the in-edges of ``nodes`` and their thresholds."""
        if nodes.size == 0:
            return self
        pos, cs = expand(self._rev_indptr, nodes)
        row = np.searchsorted(cs, np.arange(pos.size), side="right")
        v = nodes[row]
        u = self._rev_indices[pos]
        mem = self._rev_member[pos]
        is_group = self._kind[nodes] != 0
        fpos = _find(self._fwd_indptr, (self._fwd_indices, self._fwd_member), u, (v, mem))
        counted = self._fwd_counted.copy()
        counted[fpos] = mem & is_group[row]
        count = self._member_count.copy()
        count[nodes] = np.where(is_group, np.bincount(row[mem], minlength=nodes.size), 0).astype(
            np.int32
        )
        thr = self._threshold.copy()
        thr[nodes] = _node_thresholds(self._kind[nodes], self._value[nodes], count[nodes])
        return replace(
            self, _fwd_counted=_ro(counted), _member_count=_ro(count), _threshold=_ro(thr)
        )

    def _triples(self, src: ArrayLike, dst: ArrayLike, typ: ArrayLike) -> tuple[I32, I32, I32]:
        """Validate and canonicalise a batch of relationship triples (internal ids, unique)."""
        s = self.to_internal(src, "src")
        d = self.to_internal(dst, "dst")
        t = _as_i64(typ, "type")
        if t.size == 1 and s.size != 1:
            t = np.broadcast_to(t, s.shape)
        if not (s.size == d.size == t.size):
            raise ValueError("src, dst and type must have the same length")
        if t.size and (t.min() < 0 or t.max() >= self.n_types):
            raise ValueError("type values must index type_direction")
        keep = s != d
        s, d, t32 = s[keep], d[keep], t[keep].astype(np.int32)
        if s.size > 1:
            n, nt = self.n_nodes, max(self.n_types, 1)
            key = np.unique((s.astype(np.int64) * n + d) * nt + t32)
            t32 = (key % nt).astype(np.int32)
            sd = key // nt
            s, d = (sd // n).astype(np.int32), (sd % n).astype(np.int32)
        return s, d, t32

    def _induced(self, s: I32, d: I32, t: I32) -> tuple[I32, I32, BoolArr]:
        """Impact edges (u, v, member) induced by relationship triples, deduplicated."""
        dirn = self._type_direction[t]
        m = dirn != 0
        u = np.where(dirn == 1, s, d)[m].astype(np.int32)
        v = np.where(dirn == 1, d, s)[m].astype(np.int32)
        mem = (self._type_membership[t] & (dirn == 1))[m]
        if u.size > 1:
            n = self.n_nodes
            key = np.unique((u.astype(np.int64) * n + v) * 2 + mem)
            mem = (key % 2).astype(np.bool_)
            uv = key // 2
            u, v = (uv // n).astype(np.int32), (uv % n).astype(np.int32)
        return u, v, mem

    def with_edges_added(self, src: ArrayLike, dst: ArrayLike, rel_type: ArrayLike) -> Graph:
        """Return a graph with extra relationships (existing/self-loop ones are ignored).

        Why: keep a cached engine in sync with a CMDB write without a full rebuild. New
        entries are spliced at the end of their CSR rows (one ``memcpy`` per array).
        """
        s, d, t = self._triples(src, dst, rel_type)
        exists = _find(self._out_indptr, (self._out_dst, self._out_type), s, (d, t)) >= 0
        s, d, t = s[~exists], d[~exists], t[~exists]
        if s.size == 0:
            return self
        out_indptr, (out_dst, out_type) = _csr_insert(
            self._out_indptr, (self._out_dst, self._out_type), s, (d, t)
        )
        in_indptr, (in_src, in_type) = _csr_insert(
            self._in_indptr, (self._in_src, self._in_type), d, (s, t)
        )
        g = self._derive(
            _out_indptr=out_indptr,
            _out_dst=out_dst,
            _out_type=out_type,
            _in_indptr=in_indptr,
            _in_src=in_src,
            _in_type=in_type,
        )
        u, v, mem = self._induced(s, d, t)
        have = _find(self._fwd_indptr, (self._fwd_indices, self._fwd_member), u, (v, mem)) >= 0
        u, v, mem = u[~have], v[~have], mem[~have]
        if u.size == 0:
            return g
        fwd_indptr, (fwd_idx, fwd_mem, fwd_cnt) = _csr_insert(
            self._fwd_indptr,
            (self._fwd_indices, self._fwd_member, self._fwd_counted),
            u,
            (v, mem, np.zeros(u.size, dtype=np.bool_)),
        )
        rev_indptr, (rev_idx, rev_mem) = _csr_insert(
            self._rev_indptr, (self._rev_indices, self._rev_member), v, (u, mem)
        )
        new = g._with_impact(
            fwd_indptr, fwd_idx, fwd_mem, fwd_cnt, rev_indptr, rev_idx, rev_mem, unique(v)
        )
        return new._derive(_stale_from=u)

    def with_edges_removed(self, src: ArrayLike, dst: ArrayLike, rel_type: ArrayLike) -> Graph:
        """Return a graph without the given relationships (unknown ones are ignored).

        Why: mirror a CMDB delete cheaply. An impact edge disappears only when no
        remaining relationship still induces it.
        """
        s, d, t = self._triples(src, dst, rel_type)
        opos = _find(self._out_indptr, (self._out_dst, self._out_type), s, (d, t))
        found = opos >= 0
        s, d, t, opos = s[found], d[found], t[found], opos[found]
        if s.size == 0:
            return self
        ipos = _find(self._in_indptr, (self._in_src, self._in_type), d, (s, t))
        out_indptr, (out_dst, out_type) = _csr_delete(
            self._out_indptr, (self._out_dst, self._out_type), np.unique(opos)
        )
        in_indptr, (in_src, in_type) = _csr_delete(
            self._in_indptr, (self._in_src, self._in_type), np.unique(ipos)
        )
        g = self._derive(
            _out_indptr=out_indptr,
            _out_dst=out_dst,
            _out_type=out_type,
            _in_indptr=in_indptr,
            _in_src=in_src,
            _in_type=in_type,
        )
        u, v, mem = self._induced(s, d, t)
        if u.size == 0:
            return g
        # still induced by a remaining relationship u->v (direction 1) or v->u (-1)?
        tdir, tmem = self._type_direction, self._type_membership
        support = np.zeros(u.size, dtype=np.bool_)
        for rows, other, want_dir in ((u, v, 1), (v, u, -1)):
            pos, cs = expand(out_indptr, rows)
            if pos.size == 0:
                continue
            qi = np.searchsorted(cs, np.arange(pos.size), side="right")
            ty = out_type[pos]
            ok = (out_dst[pos] == other[qi]) & (tdir[ty] == want_dir)
            ok &= (tmem[ty] & (tdir[ty] == 1)) == mem[qi]
            support[qi[ok]] = True
        u, v, mem = u[~support], v[~support], mem[~support]
        if u.size == 0:
            return g
        fpos = _find(self._fwd_indptr, (self._fwd_indices, self._fwd_member), u, (v, mem))
        rpos = _find(self._rev_indptr, (self._rev_indices, self._rev_member), v, (u, mem))
        fpos, rpos = fpos[fpos >= 0], rpos[rpos >= 0]
        fwd_indptr, (fwd_idx, fwd_mem, fwd_cnt) = _csr_delete(
            self._fwd_indptr,
            (self._fwd_indices, self._fwd_member, self._fwd_counted),
            np.unique(fpos),
        )
        rev_indptr, (rev_idx, rev_mem) = _csr_delete(
            self._rev_indptr, (self._rev_indices, self._rev_member), np.unique(rpos)
        )
        stale = self._derive(_stale_from=u)._reach_memo  # ancestors in the graph with the edges
        new = g._with_impact(
            fwd_indptr, fwd_idx, fwd_mem, fwd_cnt, rev_indptr, rev_idx, rev_mem, unique(v)
        )
        return replace(new, _reach_memo=stale)

    def _derive(self, _stale_from: I32 | None = None, **changes: Any) -> Graph:
        """A modified copy. The reach memo is shared when impact edges are unchanged
        (``_stale_from`` None and no impact arrays replaced); otherwise it is copied with
        the entries of every CI that can reach a node of ``_stale_from`` dropped."""
        memo = self._reach_memo
        if _stale_from is not None:
            memo = memo.copy()
            if _stale_from.size:
                from ._backend import bfs  # local: graph.py must not depend on dispatch

                anc = bfs(self.n_nodes, (self.adj_depends(),), unique(_stale_from)).order
                memo[anc] = 0
        return replace(self, **changes, _reach_memo=memo)

    def reach_memo(self) -> I32:
        """Writable memo of reach-set sizes by internal id, stored **plus one**: 0 = not
        computed yet, ``s >= 1`` = exactly ``s - 1``, ``s <= -1`` = more than ``-s - 1``.

        Why the offset: "not computed" is then zero, so the memo is allocated with
        ``np.zeros`` (fresh zero pages from the kernel) and a worker holds in memory only
        the pages root cause has written — not 4 bytes per CI from the first mapping.
        """
        return self._reach_memo

    def _with_impact(
        self,
        fwd_indptr: I64,
        fwd_idx: npt.NDArray[Any],
        fwd_mem: npt.NDArray[Any],
        fwd_cnt: npt.NDArray[Any],
        rev_indptr: I64,
        rev_idx: npt.NDArray[Any],
        rev_mem: npt.NDArray[Any],
        targets: I32,
    ) -> Graph:
        """Swap in new impact CSRs; refresh thresholds of the nodes whose in-edges changed."""
        g = replace(
            self,
            _fwd_indptr=fwd_indptr,
            _fwd_indices=fwd_idx,
            _fwd_member=fwd_mem,
            _fwd_counted=fwd_cnt,
            _rev_indptr=rev_indptr,
            _rev_indices=rev_idx,
            _rev_member=rev_mem,
        )
        return g._regroup(targets)


def _impact_csr(
    n: int, src: I32, dst: I32, typ: I32, tdir: I8, tmem: BoolArr
) -> tuple[I64, I32, BoolArr, I64, I32, BoolArr]:
    """Forward and reverse CSR of deduplicated impact edges (u, v, member)."""
    dirn = tdir[typ]
    m = dirn != 0
    fwd = dirn[m] == 1
    s64, d64 = src[m].astype(np.int64), dst[m].astype(np.int64)
    u = np.where(fwd, s64, d64)
    v = np.where(fwd, d64, s64)
    mem = (tmem[typ[m]] & fwd).astype(np.int64)
    u32, v32, mem32 = _split_key(_sorted_unique((u * n + v) * 2 + mem), n, 2)
    fwd_indptr = _indptr(u32, n)
    rv, ru, rmem = _split_key(np.sort((v32.astype(np.int64) * n + u32) * 2 + mem32), n, 2)
    rev_indptr = _indptr(rv, n)
    return (
        _ro(fwd_indptr),
        _ro(v32),
        _ro(mem32.astype(np.bool_)),
        _ro(rev_indptr),
        _ro(ru),
        _ro(rmem.astype(np.bool_)),
    )


def scc_labels(g: Graph) -> tuple[int, I32]:
    """Strongly connected component label of every node (scipy, linear time)."""
    n = g.n_nodes
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(g._fwd_indptr))
    # canonical matrix (parallel member/non-member edges merged): scipy's SCC needs it
    mat = coo_array(
        (np.ones(rows.size, dtype=np.float64), (rows, g._fwd_indices)), shape=(n, n)
    ).tocsr()
    mat.sum_duplicates()
    ncomp, labels = connected_components(mat, directed=True, connection="strong")
    return int(ncomp), np.asarray(labels, dtype=np.int32)


def _locality_order(g: Graph) -> I32:
    """New-to-old id order: multi-source BFS over impact edges from the roots.

    Nodes that a failure reaches together (siblings, whole sub-trees) end up close in
    memory, so traversals touch fewer cache lines. Nodes only on root-less cycles and
    isolated nodes follow, in BFS order from the lowest remaining id.
    """
    from ._kernels import bfs  # numpy kernel: no compilation needed at build time

    n = g.n_nodes
    indeg = np.diff(g._rev_indptr)
    outdeg = np.diff(g._fwd_indptr)
    roots = np.flatnonzero((indeg == 0) & (outdeg > 0)).astype(np.int32)
    seen = np.zeros(n, dtype=np.bool_)
    parts: list[I32] = []
    if roots.size:
        order = bfs(n, (g.adj_impact(),), roots).order
        seen[order] = True
        parts.append(order)
    rest = np.flatnonzero(~seen).astype(np.int32)
    if rest.size:
        parts.append(rest)
    return np.concatenate(parts).astype(np.int32)
