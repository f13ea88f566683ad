#!/usr/bin/env python3
"""Ansible dynamic inventory script for assetgraph (docs/integrations.md).

    ansible-inventory -i contrib/ansible/assetgraph_inventory.py --list
    ansible-playbook -i contrib/ansible/assetgraph_inventory.py site.yml

Reads the CMDB over the REST API (``GET /api/integrations/inventory``), so it needs no
assetgraph installation on the control node, only Python 3. Configuration, from the
environment:

- ``ASSETGRAPH_URL``: the server, e.g. ``https://cmdb.example.com`` (required);
- ``ASSETGRAPH_TOKEN``: an API token (``agt_…``); a read-only token scoped to ``integrations``
  is enough (required);
- ``ASSETGRAPH_INVENTORY_QUERY``: optional query string narrowing hosts and variables, e.g.
  ``environment=production&vars=os,os_version&ci_class=Virtual Machine``;
- ``ASSETGRAPH_CA_BUNDLE``: optional CA file for a private certificate authority.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.parse
import urllib.request

USAGE = "usage: assetgraph_inventory.py --list | --host HOST"


def fetch(path: str) -> object:
    base = os.environ.get("ASSETGRAPH_URL", "").rstrip("/")
    token = os.environ.get("ASSETGRAPH_TOKEN", "")
    if not base or not token:
        sys.exit("assetgraph_inventory: set ASSETGRAPH_URL and ASSETGRAPH_TOKEN")
    query = os.environ.get("ASSETGRAPH_INVENTORY_QUERY", "")
    url = f"{base}/api/integrations/{path}" + (f"?{query}" if query else "")
    request = urllib.request.Request(  # noqa: S310 - the operator's configured server
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    context = ssl.create_default_context(cafile=os.environ.get("ASSETGRAPH_CA_BUNDLE") or None)
    try:
        with urllib.request.urlopen(request, timeout=60, context=context) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as exc:
        sys.exit(f"assetgraph_inventory: {url} answered {exc.code}: {exc.read()[:500]!r}")
    except urllib.error.URLError as exc:
        sys.exit(f"assetgraph_inventory: cannot reach {url}: {exc.reason}")


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--list"]:
        data = fetch("inventory")
    elif len(argv) == 3 and argv[1] == "--host":
        data = fetch("inventory/hosts/" + urllib.parse.quote(argv[2], safe=""))
    else:
        print(USAGE, file=sys.stderr)
        return 2
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
