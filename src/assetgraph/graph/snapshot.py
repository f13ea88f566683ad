"""A :class:`Graph` in one memory-mapped file, shared read-only by every process of a host.

Why: each web worker building its own copy of the estate graph costs seconds of CPU and the
graph's full size in memory, times the worker count. One process writes the graph once per
audit revision into a file (:func:`save_snapshot`); every worker maps it read-only
(:func:`load_snapshot`), so the operating system keeps one copy in the page cache and a new
worker answers its first query after a mapping and a checksum, not a rebuild.

File layout (layout version :data:`LAYOUT_VERSION`, little-endian)::

    0    8 bytes  magic b"AGGRAPH\\0"
    8    8 bytes  uint64 length L of the JSON header
    16   8 bytes  uint64 CRC-32 of the JSON header
    24   L bytes  JSON header: layout, revision, meta, n_nodes, data_size, data_crc32 and the
                  directory of arrays (name, dtype, shape, offset from the data start)
    ...  zero padding to a multiple of 4096 (the data start)
    data arrays, each at a 64-byte aligned offset; ``data_crc32`` covers the whole data part

A file is never trusted: a wrong magic, layout version, header or data checksum, a size that
does not match, an array directory that does not fit the :class:`Graph` fields or a revision
other than the expected one raises :class:`SnapshotError` (its ``reason`` says which), and
the caller rebuilds. Files are written to a temporary name in the same directory, flushed
and renamed over the old one, so a reader sees either the old or the new file, never half a
file; a process that mapped the old file keeps it until it re-maps. There is no ``fsync``: a
file torn by a crash fails its checksum and is rebuilt, like any other damaged file.

The per-process parts of a :class:`Graph` (the reach-size memo) are created fresh on load;
derived graphs (incremental updates) copy the arrays they change and share the rest with
the mapping.
"""

from __future__ import annotations

import dataclasses
import json
import mmap
import os
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .graph import Graph

__all__ = [
    "LAYOUT_VERSION",
    "Snapshot",
    "SnapshotError",
    "load_snapshot",
    "read_header",
    "save_snapshot",
]

LAYOUT_VERSION = 1
MAGIC = b"AGGRAPH\0"
_PREFIX = struct.Struct("<8sQQ")
_PAGE = 4096
_ALIGN = 64
_GRAPH_PREFIX = "graph."
_EXTRA_PREFIX = "extra."
# per-process state, never stored
_PRIVATE_FIELDS = {"_reach_memo"}


class SnapshotError(Exception):
    """A snapshot file that must not be used; ``reason`` is one of ``missing``, ``corrupt``,
    ``layout`` or ``stale``."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"graph snapshot {reason}: {detail}")


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A mapped snapshot: the graph, its revision, the caller's metadata and extra arrays."""

    graph: Graph
    revision: int
    meta: dict[str, Any]
    extra: dict[str, npt.NDArray[Any]]
    path: Path
    nbytes: int


def _graph_arrays(graph: Graph) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """The graph's stored arrays and scalar / absent fields."""
    arrays: dict[str, npt.NDArray[Any]] = {}
    scalars: dict[str, Any] = {}
    for f in dataclasses.fields(Graph):
        if f.name in _PRIVATE_FIELDS:
            continue
        value = getattr(graph, f.name)
        if isinstance(value, np.ndarray):
            arrays[f.name] = value
        elif value is None or isinstance(value, int):
            scalars[f.name] = value
        else:  # pragma: no cover - a new field type needs a layout version bump
            raise TypeError(f"cannot store Graph field {f.name}")
    return arrays, scalars


def save_snapshot(
    path: str | os.PathLike[str],
    graph: Graph,
    revision: int,
    meta: Mapping[str, Any] | None = None,
    extra: Mapping[str, npt.ArrayLike] | None = None,
) -> int:
    """Write ``graph`` (plus the caller's JSON-able ``meta`` and ``extra`` arrays) to ``path``
    atomically; returns the file size in bytes.

    Why: the one process that built or refreshed the graph shares it with every other
    process of the host. The write goes to a temporary file that is renamed over ``path``.
    """
    path = Path(path)
    arrays, scalars = _graph_arrays(graph)
    stored: list[tuple[str, npt.NDArray[Any]]] = [(_GRAPH_PREFIX + k, v) for k, v in arrays.items()]
    for name, value in (extra or {}).items():
        stored.append((_EXTRA_PREFIX + name, np.ascontiguousarray(np.asarray(value))))
    directory: list[dict[str, Any]] = []
    offset = 0
    for name, a in stored:
        if a.dtype.hasobject:
            raise TypeError(f"array {name} has object dtype")
        offset = -(-offset // _ALIGN) * _ALIGN
        directory.append(
            {"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": offset}
        )
        offset += a.nbytes
    data_size = offset
    crc = _data_crc(directory, stored)
    header = {
        "layout": LAYOUT_VERSION,
        "revision": int(revision),
        "meta": dict(meta or {}),
        "scalars": scalars,
        "data_size": data_size,
        "data_crc32": crc,
        "arrays": directory,
    }
    blob = json.dumps(header, sort_keys=True).encode()
    data_start = -(-(_PREFIX.size + len(blob)) // _PAGE) * _PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(_PREFIX.pack(MAGIC, len(blob), zlib.crc32(blob)))
            fh.write(blob)
            fh.write(b"\0" * (data_start - _PREFIX.size - len(blob)))
            pos = 0
            for entry, (_, a) in zip(directory, stored, strict=True):
                if entry["offset"] > pos:
                    fh.write(b"\0" * (entry["offset"] - pos))
                    pos = entry["offset"]
                fh.write(_bytes(a))
                pos += a.nbytes
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return data_start + data_size


def _bytes(a: npt.NDArray[Any]) -> memoryview:
    """The raw bytes of an array, without a copy when it is contiguous."""
    return memoryview(np.ascontiguousarray(a).reshape(-1).view(np.uint8))  # type: ignore[arg-type]


def _data_crc(directory: list[dict[str, Any]], stored: list[tuple[str, Any]]) -> int:
    """CRC-32 of the data part as laid out on disk (arrays and the zero padding between)."""
    out = 0
    pos = 0
    for entry, (_, a) in zip(directory, stored, strict=True):
        gap = entry["offset"] - pos
        if gap:
            out = zlib.crc32(b"\0" * gap, out)
        out = zlib.crc32(_bytes(a), out)
        pos = entry["offset"] + a.nbytes
    return out


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON header of a snapshot file, checked (magic, header checksum, layout).

    Why: cheap enough to call per request (one small read) to notice that another process
    wrote a newer snapshot. Raises :class:`SnapshotError`.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_PAGE)
            header, _ = _parse_header(head, fh)
    except FileNotFoundError as exc:
        raise SnapshotError("missing", str(path)) from exc
    return header


def _parse_header(head: Any, fh: Any = None) -> tuple[dict[str, Any], int]:
    """Decode and check the header; returns it and the data start offset."""
    if len(head) < _PREFIX.size:
        raise SnapshotError("corrupt", "file shorter than its header")
    magic, length, crc = _PREFIX.unpack_from(head)
    if magic != MAGIC:
        raise SnapshotError("corrupt", "not a graph snapshot (magic)")
    if length > (1 << 24):
        raise SnapshotError("corrupt", "header length out of range")
    blob = head[_PREFIX.size : _PREFIX.size + length]
    if len(blob) < length and fh is not None:
        blob += fh.read(length - len(blob))
    if len(blob) != length or zlib.crc32(blob) != crc:
        raise SnapshotError("corrupt", "header checksum mismatch")
    try:
        header = json.loads(blob)
    except ValueError as exc:
        raise SnapshotError("corrupt", "header is not JSON") from exc
    if not isinstance(header, dict) or header.get("layout") != LAYOUT_VERSION:
        raise SnapshotError("layout", f"layout {header.get('layout')!r} != {LAYOUT_VERSION}")
    return header, -(-(_PREFIX.size + length) // _PAGE) * _PAGE


def load_snapshot(
    path: str | os.PathLike[str],
    *,
    revision: int | None = None,
    meta: Mapping[str, Any] | None = None,
    verify: bool = True,
) -> Snapshot:
    """Map a snapshot read-only and return its graph, checking everything first.

    ``revision`` / ``meta``: when given, the file's must be equal (else ``stale``).
    ``verify=False`` skips the data checksum (tests of the checks themselves only). Raises
    :class:`SnapshotError`; the caller then rebuilds and writes a new file.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError as exc:
        raise SnapshotError("missing", str(path)) from exc
    try:
        size = os.fstat(fd).st_size
        if size < _PREFIX.size:
            raise SnapshotError("corrupt", "file shorter than its header")
        mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    finally:
        os.close(fd)
    header, data_start = _parse_header(mm)
    if revision is not None and header.get("revision") != revision:
        raise SnapshotError("stale", f"revision {header.get('revision')} != {revision}")
    for key, want in (meta or {}).items():
        if header.get("meta", {}).get(key) != want:
            raise SnapshotError("stale", f"{key} {header.get('meta', {}).get(key)!r} != {want!r}")
    data_size = int(header.get("data_size", -1))
    if size != data_start + data_size:
        raise SnapshotError("corrupt", f"size {size} != {data_start + data_size}")
    view = memoryview(mm)
    if verify and zlib.crc32(view[data_start:]) != header.get("data_crc32"):
        raise SnapshotError("corrupt", "data checksum mismatch")
    arrays: dict[str, npt.NDArray[Any]] = {}
    extra: dict[str, npt.NDArray[Any]] = {}
    try:
        for entry in header["arrays"]:
            dtype = np.dtype(entry["dtype"])
            shape = tuple(int(x) for x in entry["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            offset = data_start + int(entry["offset"])
            if offset + count * dtype.itemsize > size:
                raise SnapshotError("corrupt", f"array {entry['name']} past the end")
            a = np.frombuffer(view, dtype=dtype, count=count, offset=offset).reshape(shape)
            name = str(entry["name"])
            if name.startswith(_GRAPH_PREFIX):
                arrays[name[len(_GRAPH_PREFIX) :]] = a
            elif name.startswith(_EXTRA_PREFIX):
                extra[name[len(_EXTRA_PREFIX) :]] = a
        graph = _graph_from(arrays, header.get("scalars", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError("layout", f"array directory does not fit: {exc}") from exc
    return Snapshot(
        graph=graph,
        revision=int(header["revision"]),
        meta=dict(header.get("meta", {})),
        extra=extra,
        path=path,
        nbytes=size,
    )


def _graph_from(arrays: dict[str, npt.NDArray[Any]], scalars: dict[str, Any]) -> Graph:
    """Rebuild a :class:`Graph` from stored fields, checking names, dtypes and sizes."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Graph):
        if f.name in _PRIVATE_FIELDS:
            continue
        if f.name in arrays:
            values[f.name] = arrays[f.name]
        elif f.name in scalars:
            values[f.name] = scalars[f.name]
        else:
            raise KeyError(f.name)
    n = values["n_nodes"]
    if not isinstance(n, int) or n < 0:
        raise ValueError("n_nodes")
    expected = {
        "_out_indptr": (np.int64, n + 1),
        "_in_indptr": (np.int64, n + 1),
        "_fwd_indptr": (np.int64, n + 1),
        "_rev_indptr": (np.int64, n + 1),
        "_kind": (np.int8, n),
        "_value": (np.int32, n),
        "_member_count": (np.int32, n),
        "_threshold": (np.int32, n),
    }
    for name, (dtype, size) in expected.items():
        a = values[name]
        if a.dtype != dtype or a.shape != (size,):
            raise ValueError(f"{name} has dtype {a.dtype} shape {a.shape}")
    for name, ptr in (
        ("_out_dst", "_out_indptr"),
        ("_in_src", "_in_indptr"),
        ("_fwd_indices", "_fwd_indptr"),
        ("_rev_indices", "_rev_indptr"),
    ):
        if values[name].size != int(values[ptr][-1]):
            raise ValueError(f"{name} does not match {ptr}")
    return Graph(**values, _reach_memo=np.zeros(n, dtype=np.int32))
