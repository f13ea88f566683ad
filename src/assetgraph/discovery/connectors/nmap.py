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

from .base import DiscoveredItem, ParseError, Relation, load_xml, normal_mac, read_limited

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
    root = load_xml(raw)
    if root.tag != "nmaprun":
        raise ParseError(f"not an nmap report: the root element is <{root.tag}>, not <nmaprun>")
    items: dict[str, DiscoveredItem] = {}
    by_name: dict[str, str] = {}  # host name → the ref of the device that has it
    for number, host in enumerate(root.iter("host"), start=1):
        status = host.find("status")
        if status is not None and status.get("state") != "up":
            continue
        for item in _host(host, f"<host> #{number}"):
            named = item.ci_class != "IP Address" and "hostname" in item.attributes
            ref = by_name.get(item.name, item.ref) if named else item.ref
            if ref in items:
                # The same address listed twice (``nmap localhost 127.0.0.1``), or a
                # multi-homed host whose addresses resolve to one name: one device.
                _merge(items[ref], item)
            else:
                items[ref] = item
                if named:
                    by_name[item.name] = ref
    return list(items.values())


def _merge(kept: DiscoveredItem, again: DiscoveredItem) -> None:
    """Fold a second ``<host>`` of the same address into the first: values it lacked,
    the union of open ports, addresses, MACs and relations."""
    for key, value in again.attributes.items():
        kept.attributes.setdefault(key, value)
    for key, value in again.identifiers.items():
        old = kept.identifiers.get(key)
        if isinstance(old, list) and isinstance(value, list):
            old.extend(v for v in value if v not in old)
        elif not old:
            kept.identifiers[key] = value
    ports = kept.facts.setdefault("open_ports", [])
    ports.extend(p for p in again.facts.get("open_ports", []) if p not in ports)
    ports.sort(key=lambda p: (p.get("protocol", ""), p.get("port", 0)))
    for key, value in again.facts.items():
        kept.facts.setdefault(key, value)
    if kept.name == kept.attributes.get("ip_address") and again.name != kept.name:
        kept.name = again.name
    for relation in again.relations:
        if relation not in kept.relations:
            kept.relations.append(relation)
    kept.hardware = kept.hardware or again.hardware
    for key in ("ip_address", "mac_address"):
        values = kept.identifiers.get(key) or []
        if len(values) > 1:
            kept.facts["addresses" if key == "ip_address" else "mac_addresses"] = list(values)


def _addresses(host: Element, where: str) -> tuple[list[str], list[str], str]:
    """The host's IPv4/IPv6 addresses, its MAC addresses (a host seen on several
    interfaces, or a hand-merged report, may list more than one) and the first MAC's
    vendor (nmap's OUI lookup)."""
    ips: list[str] = []
    macs: list[str] = []
    vendor = ""
    for address in host.findall("address"):
        kind, value = address.get("addrtype", ""), address.get("addr", "")
        if not value:
            raise ParseError("<address> without addr", where)
        if kind in {"ipv4", "ipv6"}:
            if value not in ips:
                ips.append(value)
        elif kind == "mac":
            mac = normal_mac(value)
            if not mac:
                raise ParseError(f"<address addr={value!r}> is not a MAC address", where)
            if mac not in macs:
                macs.append(mac)
            vendor = vendor or address.get("vendor", "")
        else:
            raise ParseError(f"<address addrtype={kind!r}> is not ipv4, ipv6 or mac", where)
    if not ips:
        raise ParseError("no IPv4/IPv6 <address>", where)
    return ips, macs, vendor


def _number(value: str | None, what: str, where: str) -> int:
    """An integer attribute of the report (a port, an accuracy), or a named error."""
    try:
        return int(value or "0")
    except ValueError:
        raise ParseError(f"{what} {value!r} is not a number", where) from None


def _ports(host: Element, where: str) -> list[dict[str, Any]]:
    found = []
    for port in host.findall("ports/port"):
        state = port.find("state")
        if state is None or state.get("state") != "open":
            continue
        service = port.find("service")
        entry: dict[str, Any] = {
            "protocol": port.get("protocol", ""),
            "port": _number(port.get("portid"), "<port portid>", where),
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


def _os(host: Element, where: str) -> tuple[str, str, str]:
    """``(name, class type, vendor)`` of the most accurate OS match (the first of equals)."""
    best: Element | None = None
    best_accuracy = -1
    for match in host.findall("os/osmatch"):
        accuracy = _number(match.get("accuracy"), "<osmatch accuracy>", where)
        if accuracy > best_accuracy:
            best, best_accuracy = match, accuracy
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
    ips, macs, vendor = _addresses(host, where)
    mac = macs[0] if macs else ""
    names: list[str] = []
    for hostname_element in host.findall("hostnames/hostname"):
        name = hostname_element.get("name", "").lower().rstrip(".")
        if name and name not in names:
            names.append(name)
    fqdn = names[0] if names else ""
    hostname, _, domain = fqdn.partition(".")
    os_name, kind, os_vendor = _os(host, where)
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
    facts: dict[str, Any] = {"open_ports": _ports(host, where)}
    if vendor:
        facts["mac_vendor"] = vendor
    if os_vendor:
        facts["os_vendor"] = os_vendor
    if len(names) > 1:
        facts["host_names"] = names
    if len(macs) > 1:
        facts["mac_addresses"] = macs
    if len(ips) > 1:
        facts["addresses"] = ips
    ref = f"host {ip}"
    device = DiscoveredItem(
        ref=ref,
        ci_class=ci_class,
        name=fqdn or ip,
        attributes=attributes,
        identifiers={
            "hostname": hostname,
            "domain": domain,
            "mac_address": macs,
            "ip_address": ips,
        },
        facts=facts,
        hardware=bool(mac),
        # No host name and no MAC (a host behind a router without a PTR record, or ::1):
        # the class's rules have nothing to go on, so the address identifies it, over the
        # whole Computer System family, rather than a new CI on every scan.
        fallback=() if hostname or macs else ("ip_address",),
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
