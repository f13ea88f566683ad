"""The demo company's IT estate: services, applications, VMs, farms, network, storage, power
and the endpoints of the demo laptops, wired to the demo's people and assets.

Runs after the assets demo (``DEMO_APPS``). About 700 CIs and 2,000 relationships are written
in bulk — validated exactly as the services validate them (class attributes, redundancy,
relationship rules) and audited with one event each — because one service call per row would
dominate the demo's load time. The handful of objects the stories are told with (Minh's path
from his laptop to the finance application's storage) go through the services, and one CI on
that path is changed afterwards, so the audit spine holds a recent change for root cause.

Minh's path, read ``down`` one level at a time::

    Minh's laptop  uses  VPN (service)  depends on  SSO
    Minh's laptop  uses  Finance (service)  depends on  Finance application
    Finance application  depends on  SSO, Finance DB
    Finance DB  runs on  fin-db-01 (VM)  hosted on  Farm A  depends on  stor-aus1-01

``stor-aus1-01`` is linked to the storage asset whose warranty ended first (made to have
ended if none has), so "a storage array fails" flags an out-of-warranty array.
Same seed, same estate: everything random comes from ``context.rng``.
"""

from .layers import load_demo

__all__ = ["load_demo"]
