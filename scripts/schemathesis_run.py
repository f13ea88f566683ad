"""Run schemathesis, all checks and every phase (stateful included), against a real server.

``make schemathesis`` / CI: a throw-away data directory (SQLite) with a few objects, the
production server (``assetgraph serve``, gunicorn) on a free port, then ``st run`` bounded by
``--max-examples`` (6 per operation in the fuzzing phase, ``SCHEMATHESIS_MAX_EXAMPLES`` to
change it; the coverage phase is exhaustive whatever the bound; about five minutes on two
cores for ~450 operations, which keeps the whole of ``.ci/run`` under 20 minutes). Exits
with schemathesis's status: any failure of any check fails the run. Settings shared with hand
runs live in ``schemathesis.toml``; authentication comes from ``scripts/schemathesis_hooks.py``.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = """
from assetgraph.core.actor import Actor
from assetgraph.org import services as org
actor = Actor.system("schemathesis")
region = org.create_location(actor, {"name": "EMEA", "kind": "region"})
org.create_location(actor, {"name": "London", "kind": "site", "parent": region, "country": "GB"})
org.create_company(actor, {"name": "Dell", "is_manufacturer": True, "is_supplier": True})
org.create_department(actor, {"name": "IT", "code": "IT"})
org.create_person(actor, {"employee_number": "E1", "first_name": "Ada", "last_name": "Lovelace"})
"""


# Extra arguments for a hand run (e.g. ``--include-name "GET /api/cmdb/cis/"``).
EXTRA_ARGS = shlex.split(os.environ.get("SCHEMATHESIS_ARGS", ""))
# CI generates the same cases every run, so a red run is a change's doing, not the dice's;
# exploring with new cases is a hand run: SCHEMATHESIS_SEED=random (or any other number).
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261204")
SEED_ARGS = [] if SEED == "random" else ["--seed", SEED]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    max_examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6")
    with tempfile.TemporaryDirectory(prefix="assetgraph-st-") as data_dir:
        env = {**os.environ, "ASSETGRAPH_DATA_DIR": data_dir, "PYTHONPATH": str(ROOT / "scripts")}
        env.pop("ASSETGRAPH_DATABASE_URL", None)  # its own SQLite database, never a shared one
        assetgraph = str(BIN / "assetgraph")
        subprocess.run([assetgraph, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        subprocess.run([assetgraph, "manage", "shell", "-c", SEED], env=env, check=True)  # noqa: S603
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 - our own command
            [assetgraph, "serve", "--no-migrate", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/api/openapi.json"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url, timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        print("the server did not start", file=sys.stderr)
                        return 2
                    time.sleep(0.5)
            # No ``--checks all``: every built-in check is on by default, and a command-line
            # selection would override schemathesis.toml's per-operation settings (it did: the
            # queued uploads' negative-data-rejection exemption was silently ignored).
            command = [
                str(BIN / "st"),
                "run",
                url,
                *SEED_ARGS,
                *EXTRA_ARGS,
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                max_examples,
                "--workers",
                "2",
                "--no-color",
            ]
            return subprocess.run(  # noqa: S603
                command, env={**env, "SCHEMATHESIS_HOOKS": "schemathesis_hooks"}, cwd=ROOT
            ).returncode
        finally:
            server.terminate()
            server.wait(20)


if __name__ == "__main__":
    sys.exit(main())
