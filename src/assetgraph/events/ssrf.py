"""The SSRF guard: webhooks reach only public addresses, unless an administrator allow-lists
a network.

The host is resolved once; every address it resolves to must be allowed, and the connection
is then made to the address that was checked (so a DNS answer that changes between check and
connect, "DNS rebinding", cannot redirect it). Refused, unless inside an allow-listed network
(``AllowedNetwork`` rows, plus ``settings.ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS``): private
(RFC 1918, fc00::/7), loopback, link-local (169.254/16 with the cloud metadata service,
fe80::/10), multicast, reserved, unspecified (0.0.0.0, ::) and shared (100.64/10) addresses,
and IPv4-mapped IPv6 forms of any of them. Only ``http`` and ``https`` URLs are accepted and
redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(Exception):
    """The webhook's URL is not acceptable or resolves to a refused address."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to ``address`` but speak to ``host``."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _refused_kind(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _refused_kind(address.ipv4_mapped)
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("shared", address in ipaddress.ip_network("100.64.0.0/10")),
    )
    return next((name for name, hit in checks if hit), None)


def allowed_networks() -> list[IPNetwork]:
    """The allow list: administrators' rows plus the setting."""
    from .models import AllowedNetwork

    values = list(getattr(settings, "ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS", ()))
    values += list(AllowedNetwork.objects.values_list("cidr", flat=True))
    return [ipaddress.ip_network(value, strict=False) for value in values]


def check_address(address: IPAddress, allowed: list[IPNetwork]) -> None:
    """Raise AddressRefused unless ``address`` is public or allow-listed."""
    kind = _refused_kind(address)
    if kind is None or any(address in network for network in allowed):
        return
    raise AddressRefused(f"{address} is a {kind} address and is not allow-listed")


def resolve(url: str) -> Target:
    """Check ``url`` and resolve its host to one allowed address."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise AddressRefused("only http and https URLs with a host are allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("the URL's port is not a number") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise AddressRefused(f"cannot resolve {parts.hostname}: {exc.strerror or exc}") from None
    allowed = allowed_networks()
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        check_address(address, allowed)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))
