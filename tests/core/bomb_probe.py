"""Run in a subprocess by test_import_limits: read hostile files through ``read_table`` and
print, per file, whether it was refused, how long it took, and the process's peak memory.

A separate process, so the peak resident memory measured is that of reading the file alone
(what a web worker would spend), not of the test runner that built the bombs."""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def peak_mb() -> int:
    """This process's peak resident memory (``VmHWM``: unlike ``ru_maxrss``, not inherited
    from the parent across ``exec``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django

    django.setup()
    from assetgraph.core.tabular import TableError, read_table

    results = []
    baseline = peak_mb()
    for path in sys.argv[1:]:
        started = time.monotonic()
        outcome = "read"
        try:
            with open(path, "rb") as handle:
                _, rows = read_table(handle, path)
                for _ in rows:
                    pass
        except TableError as exc:
            outcome = f"refused: {exc}"
        except Exception as exc:
            outcome = f"crashed: {type(exc).__name__}: {exc}"
        results.append(
            {
                "file": os.path.basename(path),
                "outcome": outcome,
                "seconds": round(time.monotonic() - started, 2),
                "peak_mb": peak_mb(),
            }
        )
    print(json.dumps({"baseline_mb": baseline, "results": results}))


if __name__ == "__main__":
    main()
