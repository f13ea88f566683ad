"""nmap XML (``nmap -oX``) → network-seen devices, their IP addresses and listening services.

Parsed with ``defusedxml`` (no entity expansion, no external DTDs: an XML bomb is refused).
Each ``<host>`` whose status is ``up`` becomes a device: its class from the best OS match's
``osclass type`` (router, switch, firewall → those network classes; WAP, printer, webcam and
other embedded kinds → Network Device; anything else → Computer System). Its IPv4/IPv6
address, MAC address and vendor, PTR/user host names, open ports (protocol, port, service,
product, version, CPEs) and the best OS match become attributes and facts; each address is
also an IP Address CI the device is ``connected to``. Hosts that are down are skipped.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XMLParseError
from defusedxml.ElementTree import fromstring

from .base import DiscoveredItem, ParseError, Relation, normal_mac, read_limited

NETWORK_CLASSES = {
    "router": "Router",
    "switch": "Switch",
    "firewall": "Firewall",
    "load balancer": "Load Balancer",
}
EMBEDDED = frozenset(
    {"wap", "printer", "webcam", "broadband router", "power-device", "storage-misc", "phone"}
)


def parse_nmap(data: bytes | str) -> list[DiscoveredItem]:
    """The devices and IP addresses of an nmap XML report."""
    raw = read_limited(data)
    try:
        root = fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(
            f"refused: {type(exc).__name__} (entity declarations are not allowed)"
        ) from None
    except XMLParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ParseError(f"broken XML ({exc})", f"line {line} column {column}") from None
    if root.tag != "nmaprun":
        raise ParseError(f"not an nmap report: the root element is <{root.tag}>, not <nmaprun>")
    items: list[DiscoveredItem] = []
    for number, host in enumerate(root.iter("host"), start=1):
        status = host.find("status")
        if status is not None and status.get("state") != "up":
            continue
        items.extend(_host(host, f"<host> #{number}"))
    return items


def _addresses(host: Element, where: str) -> tuple[list[str], str, str]:
    ips: list[str] = []
    mac, vendor = "", ""
    for address in host.findall("address"):
        kind, value = address.get("addrtype", ""), address.get("addr", "")
        if not value:
            raise ParseError("<address> without addr", where)
        if kind in {"ipv4", "ipv6"}:
            ips.append(value)
        elif kind == "mac":
            mac = normal_mac(value)
            if not mac:
                raise ParseError(f"<address addr={value!r}> is not a MAC address", where)
            vendor = address.get("vendor", "")
    if not ips:
        raise ParseError("no IPv4/IPv6 <address>", where)
    return ips, mac, vendor


def _ports(host: Element) -> list[dict[str, Any]]:
    found = []
    for port in host.findall("ports/port"):
        state = port.find("state")
        if state is None or state.get("state") != "open":
            continue
        service = port.find("service")
        entry: dict[str, Any] = {
            "protocol": port.get("protocol", ""),
            "port": int(port.get("portid", "0") or 0),
        }
        if service is not None:
            for key in ("name", "product", "version", "extrainfo", "tunnel"):
                if service.get(key):
                    entry[key] = service.get(key)
            cpes = [c.text for c in service.findall("cpe") if c.text]
            if cpes:
                entry["cpe"] = cpes
        found.append(entry)
    return found


def _os(host: Element) -> tuple[str, str, str]:
    """``(name, class type, vendor)`` of the most accurate OS match."""
    best: Element | None = None
    for match in host.findall("os/osmatch"):
        if best is None or int(match.get("accuracy", "0")) > int(best.get("accuracy", "0")):
            best = match
    if best is None:
        return "", "", ""
    osclass = best.find("osclass")
    kind = osclass.get("type", "") if osclass is not None else ""
    vendor = osclass.get("vendor", "") if osclass is not None else ""
    return best.get("name", ""), kind.lower(), vendor


def _class_for(kind: str) -> str:
    if kind in NETWORK_CLASSES:
        return NETWORK_CLASSES[kind]
    if kind in EMBEDDED:
        return "Network Device"
    return "Computer System"


def _host(host: Element, where: str) -> list[DiscoveredItem]:
    ips, mac, vendor = _addresses(host, where)
    names = [h.get("name", "").lower().rstrip(".") for h in host.findall("hostnames/hostname")]
    names = [n for n in names if n]
    fqdn = names[0] if names else ""
    hostname, _, domain = fqdn.partition(".")
    os_name, kind, os_vendor = _os(host)
    ci_class = _class_for(kind)
    ip = ips[0]
    attributes: dict[str, Any] = {"ip_address": ip}
    if hostname:
        attributes["hostname"] = hostname
    if domain:
        attributes["domain"] = domain
    if mac:
        attributes["mac_address"] = mac
    if os_name:
        attributes["os"] = os_name
    if vendor and ci_class != "Computer System":
        attributes["vendor"] = vendor
    facts: dict[str, Any] = {"open_ports": _ports(host)}
    if vendor:
        facts["mac_vendor"] = vendor
    if os_vendor:
        facts["os_vendor"] = os_vendor
    if len(names) > 1:
        facts["host_names"] = names
    ref = f"host {ip}"
    device = DiscoveredItem(
        ref=ref,
        ci_class=ci_class,
        name=fqdn or ip,
        attributes=attributes,
        identifiers={
            "hostname": hostname,
            "domain": domain,
            "mac_address": [mac] if mac else [],
            "ip_address": ips,
        },
        facts=facts,
        hardware=bool(mac),
    )
    items = [device]
    for address in ips:
        items.append(
            DiscoveredItem(
                ref=f"ip {address}",
                ci_class="IP Address",
                name=address,
                attributes={"ip_address": address},
                identifiers={"ip_address": [address]},
            )
        )
        device.relations.append(Relation("connected to", f"ip {address}"))
    return items
