"""``make bench``: run every benchmark, side by side with its baseline, and print the tables.

Each benchmark is a script printing a Markdown table; results go into docs/performance.md by
hand, with the machine and date. Benchmarks never run as part of ``make test``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ["bench_foundation.py"],
    ["graph/bench_engine.py"],
    ["assets/bench_import.py"],
    # the documented 1M figures: bench_adapter.py --cis 1000000 --workers 4 (about 15 min)
    ["impact/bench_adapter.py", "--cis", "100000", "--workers", "4"],
    ["impact/bench_changes_maps.py"],
    ["cmdb/bench_import.py"],
    ["licences/bench_position.py"],
    ["finance/bench_schedules.py"],
    ["finance/bench_register.py"],
    ["finance/bench_service_cost.py"],
    ["stock/bench_on_hand.py"],
    ["discovery/bench_ansible.py"],
    ["security/bench_matching.py"],
    ["integrations/bench_directory_sync.py"],
]


def main() -> int:
    failed = 0
    for script, *args in BENCHMARKS:
        path = HERE / script
        if not path.exists():
            continue
        env = {**os.environ, "ASSETGRAPH_DATA_DIR": tempfile.mkdtemp(prefix="agbench-")}
        print(f"== {script}", flush=True)
        result = subprocess.run(
            [sys.executable, str(path), *args, *sys.argv[1:]], env=env, check=False
        )
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
