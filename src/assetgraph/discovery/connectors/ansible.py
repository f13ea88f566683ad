"""Ansible facts → servers and VMs with their hardware, network and installed packages.

Reads the JSON ansible-core writes for ``ansible HOST -m setup`` (``{"ansible_facts": …}``,
one host) and ``-m package_facts`` (``ansible_facts.packages``), either as one file, as a
``--tree`` folder of per-host files (file name = host), or as several such folders (setup
and package facts of the same host are merged by file name). The command line's
``HOST | SUCCESS => {…}`` prefix is accepted too, and so is a ``jsonfile`` fact cache folder
(``fact_caching_connection``: the facts at the top level, or, from ansible-core 2.19, inside a
``__payload__`` JSON string).

A host whose ``ansible_virtualization_role`` is ``guest`` is a Virtual Machine, else a
Server. Mapping (docs/discovery.md): hostname, domain, default IPv4 address and MAC, OS
(distribution + version), CPU count (``processor_vcpus``), cores, memory (GB), serial
(``product_serial`` unless "NA"), vendor and model, VM UUID; facts: interfaces, disks,
mounts, architecture, kernel. Packages become software installs with a package URL
(``pkg:deb/debian/bash@5.2.15?arch=amd64``, ``pkg:rpm/…``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from .base import MAX_FILE_BYTES, DiscoveredItem, ParseError, SoftwareItem, load_json, normal_mac

UNKNOWN = frozenset({"", "na", "n/a", "none", "not specified", "to be filled by o.e.m.", "0"})
PURL_TYPES = {
    "apt": "deb",
    "rpm": "rpm",
    "dnf": "rpm",
    "yum": "rpm",
    "apk": "apk",
    "pacman": "alpm",
}
_PREFIX = re.compile(r"^\s*[^\s{]+ \| [A-Z]+!? => ", re.ASCII)
# ``ansible all -m setup`` on a terminal: one ``HOST | SUCCESS => {…}`` block per host (and
# ``HOST | UNREACHABLE! => {…}`` or ``FAILED!`` for the hosts it could not read).
_HOST_BLOCK = re.compile(
    r"^([^\s{|]+) \| (?:SUCCESS|CHANGED|UNREACHABLE!|FAILED!) => ", re.ASCII | re.MULTILINE
)


def _known(value: Any) -> str:
    text = str(value or "").strip()
    return "" if text.lower() in UNKNOWN else text


def facts_of(data: bytes | str, where: str) -> dict[str, Any]:
    """The ``ansible_facts`` object of one host's file; empty for a host Ansible could not
    reach or whose module failed (``{"unreachable": true, "msg": …}`` in a ``--tree``
    folder): a fleet always has one, and it is skipped, not an error."""
    if isinstance(data, bytes | str):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        match = _PREFIX.match(text)
        if match:
            data = text[match.end() :]
    try:
        document = load_json(data, "Ansible facts")
    except ParseError as exc:
        raise ParseError(exc.text, f"{where} {exc.where}".strip()) from None
    if isinstance(document, dict) and isinstance(document.get("__payload__"), str):
        # ansible-core 2.19's jsonfile fact cache wraps the facts in a JSON string
        try:
            document = load_json(document["__payload__"], "Ansible cached facts")
        except ParseError as exc:
            raise ParseError(exc.text, f"{where} __payload__ {exc.where}".strip()) from None
    if isinstance(document, dict) and isinstance(document.get("ansible_facts"), dict):
        facts: dict[str, Any] = document["ansible_facts"]
        return facts
    if isinstance(document, dict) and (
        document.get("unreachable") is True or document.get("failed") is True
    ):
        return {}
    if isinstance(document, dict) and (
        "ansible_hostname" in document or "ansible_nodename" in document or "packages" in document
    ):
        return document  # a fact cache file (fact_caching = jsonfile): the facts themselves
    raise ParseError(
        "no ansible_facts object (run `ansible HOST -m setup`, or give a jsonfile fact cache)",
        where,
    )


def read_output(data: bytes | str, name: str = "file") -> dict[str, dict[str, Any]]:
    """Facts per host from one file: a host's JSON, or the command line's output of one
    or more ``HOST | SUCCESS => {…}`` blocks."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    blocks = list(_HOST_BLOCK.finditer(text))
    if len(blocks) > 1:
        hosts: dict[str, dict[str, Any]] = {}
        for index, block in enumerate(blocks):
            end = blocks[index + 1].start() if index + 1 < len(blocks) else len(text)
            body = text[block.end() : end]
            hosts.setdefault(block.group(1), {}).update(facts_of(body, block.group(1)))
        return hosts
    facts = facts_of(data, name)
    host = _host_key(facts) or (blocks[0].group(1) if blocks else name)
    return {host: facts}


def read_zip(data: bytes) -> dict[str, dict[str, Any]]:
    """Facts per host from a ZIP of a ``--tree`` folder (how a tree is uploaded): entries are
    read in memory, merged by file name like a folder; size limits hold for the unpacked
    total (a ZIP bomb is refused)."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ParseError("not a ZIP archive") from None
    entries = [
        e
        for e in archive.infolist()
        if not e.is_dir()
        and not Path(e.filename).name.startswith(".")
        and "__MACOSX" not in e.filename
    ]
    if not entries:
        raise ParseError("no facts files in the archive")
    if sum(e.file_size for e in entries) > MAX_FILE_BYTES:
        raise ParseError(f"the archive unpacks to more than {MAX_FILE_BYTES // 2**20} MB")
    hosts: dict[str, dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: e.filename):
        name = Path(entry.filename).name
        hosts.setdefault(name, {}).update(facts_of(archive.read(entry), entry.filename))
    return hosts


def read_tree(path: Path) -> dict[str, dict[str, Any]]:
    """Facts per host from a file, a ZIP or ``--tree`` folder(s), merged by host (file name)."""
    if path.is_file() and path.read_bytes()[:4] == b"PK\x03\x04":
        return read_zip(path.read_bytes())
    if path.is_file():
        return read_output(path.read_bytes(), path.name)
    hosts: dict[str, dict[str, Any]] = {}
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ParseError("no facts files in the folder", str(path))
    for file in files:
        hosts.setdefault(file.name, {}).update(facts_of(file.read_bytes(), file.name))
    return hosts


def _host_key(facts: dict[str, Any]) -> str:
    return str(facts.get("ansible_hostname") or facts.get("ansible_nodename") or "")


def parse_ansible(hosts: dict[str, dict[str, Any]]) -> list[DiscoveredItem]:
    """One item per host (with its packages when package facts were given); hosts that were
    unreachable or failed are skipped, but a run where every host did is an error."""
    items = []
    unread = sorted(key for key, facts in hosts.items() if not facts)
    if unread and len(unread) == len(hosts):
        raise ParseError(
            "Ansible reached no host (unreachable or failed): " + ", ".join(unread[:10]),
            unread[0],
        )
    for key, facts in sorted(hosts.items()):
        if not facts:
            continue
        if "ansible_hostname" in facts or "ansible_nodename" in facts:
            items.append(_host(key, facts))
        elif "packages" in facts:
            items.append(_packages_only(key, facts))
        else:
            raise ParseError("neither setup facts nor package facts for this host", key)
    return items


def _packages_only(key: str, facts: dict[str, Any]) -> DiscoveredItem:
    """Package facts without setup facts: the host is known by its name (the ``--tree``
    file name) only, so it is identified by host name."""
    hostname = key.lower().split(".")[0]
    domain = key.lower().partition(".")[2]
    attributes = {"hostname": hostname, **({"domain": domain} if domain else {})}
    return DiscoveredItem(
        ref=f"host {key}",
        ci_class="Computer System",
        name=key.lower(),
        attributes=attributes,
        identifiers={"hostname": hostname, "domain": domain},
        software=_software(facts, ""),
        fallback=("hostname",),
    )


def _memory_gb(facts: dict[str, Any]) -> float | None:
    total = facts.get("ansible_memtotal_mb")
    if not isinstance(total, int | float) or isinstance(total, bool):
        return None
    return round(total / 1024, 1)


def _interfaces(facts: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name in facts.get("ansible_interfaces") or []:
        data = facts.get(f"ansible_{str(name).replace('-', '_')}")
        if not isinstance(data, dict) or data.get("type") == "loopback" or name == "lo":
            continue
        entry: dict[str, Any] = {"name": name, "active": bool(data.get("active"))}
        if mac := normal_mac(str(data.get("macaddress") or "")):
            entry["mac"] = mac
        ipv4 = data.get("ipv4")
        if isinstance(ipv4, dict) and ipv4.get("address"):
            entry["ipv4"] = f"{ipv4['address']}/{ipv4.get('prefix', '')}".rstrip("/")
        ipv6 = [a.get("address") for a in data.get("ipv6") or [] if isinstance(a, dict)]
        if ipv6:
            entry["ipv6"] = [a for a in ipv6 if a]
        found.append(entry)
    return found


def _disks(facts: dict[str, Any]) -> list[dict[str, Any]]:
    devices = facts.get("ansible_devices") or {}
    if not isinstance(devices, dict):
        return []
    found = []
    for name, data in sorted(devices.items()):
        if not isinstance(data, dict) or name.startswith(("loop", "ram", "zram", "dm-", "sr")):
            continue
        sectors, size = data.get("sectors"), data.get("sectorsize")
        try:
            gigabytes: float | None = round(int(str(sectors)) * int(str(size)) / 1024**3, 1)
        except (TypeError, ValueError):
            gigabytes = None
        found.append({"name": name, "size_gb": gigabytes, "model": data.get("model") or ""})
    return found


@lru_cache(maxsize=65_536)
def package_url(purl_type: str, namespace: str | None, name: str, version: str, arch: str) -> str:
    """The package URL of one package (memoised: a fleet installs the same packages)."""
    return PackageURL(
        type=purl_type,
        namespace=namespace if purl_type != "generic" else None,
        name=name,
        version=version or None,
        qualifiers={"arch": arch} if arch else None,
    ).to_string()


def _software(facts: dict[str, Any], distribution: str) -> list[SoftwareItem] | None:
    packages = facts.get("packages")
    if packages is None:
        return None
    if not isinstance(packages, dict):
        raise ParseError("ansible_facts.packages is not an object of name → list")
    found = []
    namespace = distribution.lower() or None
    for name, versions in sorted(packages.items()):
        if not isinstance(versions, list):
            raise ParseError("not a list of installed versions", f"packages.{name}")
        for entry in versions:
            if not isinstance(entry, dict):
                raise ParseError("not an object", f"packages.{name}")
            version = str(entry.get("version") or "")
            if entry.get("release"):
                version = f"{version}-{entry['release']}"
            if entry.get("epoch") not in (None, "", 0, "0"):
                version = f"{entry['epoch']}:{version}"
            purl_type = PURL_TYPES.get(str(entry.get("source") or ""), "generic")
            purl = package_url(purl_type, namespace, name, version, str(entry.get("arch") or ""))
            publisher = str(entry.get("origin") or entry.get("vendor") or distribution)
            found.append(SoftwareItem(name, version, publisher, purl))
    return found


def _host(key: str, facts: dict[str, Any]) -> DiscoveredItem:
    hostname = str(facts.get("ansible_hostname") or facts.get("ansible_nodename") or key).lower()
    domain = _known(facts.get("ansible_domain")).lower()
    default = facts.get("ansible_default_ipv4") or {}
    ip = str(default.get("address") or "") if isinstance(default, dict) else ""
    mac = normal_mac(str(default.get("macaddress") or "")) if isinstance(default, dict) else ""
    guest = facts.get("ansible_virtualization_role") == "guest"
    distribution = _known(facts.get("ansible_distribution"))
    serial = _known(facts.get("ansible_product_serial"))
    attributes: dict[str, Any] = {"hostname": hostname}
    for name, value in (
        ("domain", domain),
        ("ip_address", ip),
        ("mac_address", mac),
        ("os", distribution),
        ("os_version", _known(facts.get("ansible_distribution_version"))),
        ("cpu_count", facts.get("ansible_processor_vcpus") or facts.get("ansible_processor_count")),
        ("cpu_cores", facts.get("ansible_processor_cores")),
        ("ram_gb", _memory_gb(facts)),
    ):
        if value not in (None, ""):
            attributes[name] = value
    if guest:
        if uuid := _known(facts.get("ansible_product_uuid")):
            attributes["vm_uuid"] = uuid.lower()
    else:
        for name, value in (
            ("serial_number", serial),
            ("vendor", _known(facts.get("ansible_system_vendor"))),
            ("model", _known(facts.get("ansible_product_name"))),
        ):
            if value:
                attributes[name] = value
    disks = _disks(facts)
    facts_out: dict[str, Any] = {
        "interfaces": _interfaces(facts),
        "disks": disks,
        "architecture": facts.get("ansible_architecture") or "",
        "kernel": facts.get("ansible_kernel") or "",
    }
    total_disk = sum(d["size_gb"] or 0 for d in disks)
    if total_disk:
        attributes["disk_gb"] = round(total_disk, 1)
    mounts = facts.get("ansible_mounts")
    if isinstance(mounts, list):
        facts_out["mounts"] = [
            {"mount": m.get("mount"), "fstype": m.get("fstype"), "size": m.get("size_total")}
            for m in mounts
            if isinstance(m, dict)
        ]
    ips = [str(a) for a in facts.get("ansible_all_ipv4_addresses") or [] if a]
    fqdn = f"{hostname}.{domain}" if domain else hostname
    return DiscoveredItem(
        ref=f"host {key}",
        ci_class="Virtual Machine" if guest else "Server",
        name=fqdn,
        attributes=attributes,
        identifiers={
            "serial_number": serial,
            "vm_uuid": attributes.get("vm_uuid", ""),
            "hostname": hostname,
            "domain": domain,
            "mac_address": [mac] if mac else [],
            "ip_address": [ip, *[a for a in ips if a != ip]] if ip else ips,
        },
        facts=facts_out,
        software=_software(facts, distribution),
        hardware=not guest,
    )
