"""A compiled-C reference BFS, built at benchmark time with the system compiler (ctypes).

Why: a ratio to a tight C loop over the *same* CSR arrays says how far an engine figure is
from what this machine can physically do, whatever the load. The kernel is the plain
single-threaded queue BFS every impact query must at least perform: visit each reached
node once, scan its out-edges, record depth and parent (queue position) per reached node.
It knows nothing about redundancy states, so it does strictly less work than the engine.

Nothing here is a runtime dependency: ``cc`` (or ``$CC``) compiles the source below into a
temporary shared library the first time :func:`load` is called; :func:`load` returns
``None`` when no compiler is available and the benchmarks then print "-" for the ratio.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

SOURCE = r"""
#include <stdint.h>
#include <string.h>

/* Multi-source BFS over CSR (indptr int64, indices int32). `seen` (n bytes) must be zero
   and is left zero; `queue`, `depth`, `parent` need room for every reached node.
   Returns the number of nodes in the queue (sources included). */
int64_t bfs(int64_t n, const int64_t *indptr, const int32_t *indices,
            const int32_t *sources, int64_t k, uint8_t *seen,
            int32_t *queue, int32_t *depth, int32_t *parent) {
    int64_t tail = 0;
    for (int64_t i = 0; i < k; i++) {
        int32_t s = sources[i];
        if (seen[s]) continue;
        seen[s] = 1;
        queue[tail] = s; depth[tail] = 0; parent[tail] = -1; tail++;
    }
    for (int64_t head = 0; head < tail; head++) {
        int32_t u = queue[head];
        int32_t du = depth[head] + 1;
        for (int64_t e = indptr[u], end = indptr[u + 1]; e < end; e++) {
            int32_t v = indices[e];
            if (seen[v]) continue;
            seen[v] = 1;
            queue[tail] = v; depth[tail] = du; parent[tail] = (int32_t)head; tail++;
        }
    }
    if (tail * 16 > n) memset(seen, 0, (size_t)n);
    else for (int64_t i = 0; i < tail; i++) seen[queue[i]] = 0;
    return tail;
}
"""

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


class CBfs:
    """The compiled kernel plus reusable per-node buffers (allocated once, like the engine's)."""

    def __init__(self, lib: ctypes.CDLL, compiler: str) -> None:
        """Bind the exported function; buffers are sized on first use."""
        self.compiler = compiler
        self._fn = lib.bfs
        self._fn.restype = ctypes.c_int64
        p = ctypes.c_void_p
        self._fn.argtypes = [ctypes.c_int64, p, p, p, ctypes.c_int64, p, p, p, p]
        self._n = -1

    def _buffers(self, n: int) -> None:
        if n != self._n:
            self.seen = np.zeros(n, np.uint8)
            self.queue = np.empty(n, np.int32)
            self.depth = np.empty(n, np.int32)
            self.parent = np.empty(n, np.int32)
            self._n = n

    def reach(self, indptr: I64, indices: I32, sources: I32) -> int:
        """BFS from ``sources``; returns how many nodes were reached (sources excluded)."""
        n = indptr.size - 1
        self._buffers(n)
        src = np.ascontiguousarray(sources, dtype=np.int32)
        tail = self._fn(
            n,
            indptr.ctypes.data,
            indices.ctypes.data,
            src.ctypes.data,
            src.size,
            self.seen.ctypes.data,
            self.queue.ctypes.data,
            self.depth.ctypes.data,
            self.parent.ctypes.data,
        )
        return int(tail) - int(np.unique(src).size)

    def reached(self, indptr: I64, indices: I32, sources: I32) -> I32:
        """The reached nodes (sources excluded), for correctness checks."""
        self.reach(indptr, indices, sources)
        k = int(np.unique(sources).size)
        total = k + self.reach(indptr, indices, sources)
        return np.sort(self.queue[k:total])


def load() -> CBfs | None:
    """Compile the kernel with ``$CC``/``cc -O2`` into a temp dir and load it (None if no cc)."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    digest = hashlib.sha256(SOURCE.encode()).hexdigest()[:12]
    out_dir = Path(tempfile.gettempdir()) / f"assetgraph-cref-{os.getuid()}"
    out_dir.mkdir(exist_ok=True)
    lib_path = out_dir / f"bfs-{digest}.so"
    if not lib_path.exists():
        src = out_dir / f"bfs-{digest}.c"
        src.write_text(SOURCE)
        tmp = out_dir / f"bfs-{digest}.{os.getpid()}.so"
        cmd = [cc, "-O2", "-march=native", "-shared", "-fPIC", "-o", str(tmp), str(src)]
        if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
            cmd.remove("-march=native")
            if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
                return None
        tmp.replace(lib_path)
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, check=False)
    name = (version.stdout.splitlines() or [cc])[0]
    return CBfs(ctypes.CDLL(str(lib_path)), f"{name} -O2")
