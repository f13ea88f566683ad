"""The client's address, as far as it can be trusted.

Behind a reverse proxy every request comes from the proxy, so throttles keyed on
``REMOTE_ADDR`` would lump all users together. ``X-Forwarded-For`` is honoured only from the
proxies named in ``ASSETGRAPH_TRUSTED_PROXIES``: walking the header from the right, the first
address that is not a trusted proxy is the client (anything further left was written by the
client itself and proves nothing).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16"]`` → networks; ``ValueError`` naming a bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value.strip()!r} is not an IP address or network") from None
    return tuple(networks)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request`` (see the module docstring)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    networks = parse_networks(getattr(settings, "ASSETGRAPH_TRUSTED_PROXIES", ()))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed entry: trust nothing beyond the proxy
        if not _trusted(hop, networks):
            return hop
    return remote
