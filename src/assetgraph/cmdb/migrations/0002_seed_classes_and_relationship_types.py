"""Seed the built-in CI classes, their attributes and the relationship types, as data.

Administrators add more classes, attributes and types through the UI and API; these rows are
only a starting point (flagged ``builtin``). The data lives here, not in app code, so the
migration keeps working whatever the code becomes.
"""

from typing import Any

from django.db import migrations

# (key, label, type, extra)
HOST = [
    ("hostname", "Host name", "text", {"recommended": True, "weight": 10}),
    ("domain", "DNS domain", "text", {"weight": 11}),
    ("ip_address", "IP address", "ip", {"recommended": True, "weight": 12}),
    ("os", "Operating system", "text", {"recommended": True, "weight": 20}),
    ("os_version", "OS version", "version", {"weight": 21}),
    ("cpu_count", "CPU count", "integer", {"minimum": 1, "weight": 30}),
    ("ram_gb", "RAM (GB)", "decimal", {"minimum": 0, "weight": 31}),
]
HARDWARE = [
    ("serial_number", "Serial number", "text", {"recommended": True, "weight": 40}),
    ("vendor", "Vendor", "text", {"weight": 41}),
    ("model", "Model", "text", {"weight": 42}),
]
SOFTWARE = [
    ("version", "Version", "version", {"recommended": True, "weight": 20}),
    ("vendor", "Vendor", "text", {"weight": 21}),
]
NETWORK = [
    ("hostname", "Host name", "text", {"recommended": True, "weight": 10}),
    ("ip_address", "Management IP", "ip", {"weight": 12}),
    ("firmware_version", "Firmware version", "version", {"weight": 20}),
    *HARDWARE,
]

# (name, parent, icon, is_group, identification key, attributes, description)
CLASSES: list[tuple[str, str | None, str, bool, list[str], list[Any], str]] = [
    (
        "Business Service",
        None,
        "briefcase",
        True,
        [],
        [
            ("sla", "Service level", "choice", {"choices": ["gold", "silver", "bronze"]}),
            ("service_owner", "Service owner", "reference", {"reference_type": "org.person"}),
            ("url", "URL", "url", {}),
        ],
        "A service the business consumes (finance application, e-mail, VPN).",
    ),
    ("Application", None, "window", True, [], [*SOFTWARE, ("url", "URL", "url", {})], ""),
    ("Application Component", "Application", "puzzle", False, [], [], "A part of an application."),
    (
        "Database",
        None,
        "database",
        False,
        [],
        [
            ("engine", "Engine", "text", {"recommended": True}),
            *SOFTWARE,
            ("port", "Port", "integer", {"minimum": 1, "maximum": 65535}),
        ],
        "",
    ),
    ("Middleware", None, "hdd-stack", False, [], SOFTWARE, "Web servers, queues, brokers."),
    ("Computer System", None, "pc", False, ["hostname"], HOST, "Anything that runs an OS."),
    ("Server", "Computer System", "server", False, ["serial_number"], HARDWARE, "Physical."),
    (
        "Hypervisor",
        "Server",
        "boxes",
        False,
        ["serial_number"],
        [("hypervisor_type", "Hypervisor", "text", {})],
        "",
    ),
    (
        "Virtual Machine",
        "Computer System",
        "display",
        False,
        ["hostname"],
        [("vm_uuid", "VM UUID", "text", {})],
        "",
    ),
    ("Endpoint", "Computer System", "laptop", False, ["serial_number"], HARDWARE, ""),
    ("Laptop", "Endpoint", "laptop", False, ["serial_number"], [], ""),
    ("Desktop", "Endpoint", "pc-display", False, ["serial_number"], [], ""),
    ("Container Node", "Computer System", "box", False, ["hostname"], [], ""),
    (
        "Cluster/Farm",
        None,
        "collection",
        True,
        [],
        [("cluster_type", "Cluster type", "text", {})],
        "A group of members with a redundancy setting.",
    ),
    (
        "Container Platform",
        None,
        "bounding-box",
        True,
        [],
        [*SOFTWARE, ("api_url", "API URL", "url", {})],
        "",
    ),
    (
        "Container Workload",
        None,
        "box-seam",
        False,
        [],
        [("image", "Image", "text", {}), ("namespace", "Namespace", "text", {})],
        "",
    ),
    ("Network Device", None, "router", False, ["serial_number"], NETWORK, ""),
    ("Switch", "Network Device", "diagram-2", False, ["serial_number"], [], ""),
    ("Router", "Network Device", "router", False, ["serial_number"], [], ""),
    ("Firewall", "Network Device", "shield", False, ["serial_number"], [], ""),
    ("Load Balancer", "Network Device", "distribute-vertical", True, ["serial_number"], [], ""),
    (
        "Storage Array",
        None,
        "device-hdd",
        False,
        ["serial_number"],
        [*HARDWARE, ("capacity_tb", "Capacity (TB)", "decimal", {"minimum": 0})],
        "",
    ),
    ("IP Address", None, "123", False, ["ip_address"], [("ip_address", "Address", "ip", {})], ""),
    (
        "Subnet",
        None,
        "diagram-3",
        False,
        ["cidr"],
        [("cidr", "Network", "cidr", {"required": True}), ("vlan", "VLAN", "integer", {})],
        "",
    ),
    (
        "Cloud Resource",
        None,
        "cloud",
        False,
        ["resource_id"],
        [
            ("provider", "Provider", "choice", {"choices": ["aws", "azure", "gcp", "other"]}),
            ("region", "Region", "text", {}),
            ("resource_id", "Resource id", "text", {"recommended": True}),
            ("resource_type", "Resource type", "text", {}),
        ],
        "",
    ),
    (
        "Rack",
        None,
        "bricks",
        False,
        [],
        [
            ("height_u", "Height (U)", "integer", {"minimum": 1}),
            ("serial_number", "Serial", "text", {}),
        ],
        "",
    ),
    (
        "Power",
        None,
        "lightning",
        False,
        ["serial_number"],
        [*HARDWARE, ("capacity_kva", "Capacity (kVA)", "decimal", {"minimum": 0})],
        "",
    ),
    ("PDU", "Power", "plug", False, ["serial_number"], [], ""),
    ("UPS", "Power", "battery-charging", False, ["serial_number"], [], ""),
]

# (name, reverse name, impact direction, is membership, description)
RELATIONSHIP_TYPES = [
    ("depends on", "used by", "reverse", False, "The source needs the target to work."),
    ("runs on", "runs", "reverse", False, "Software runs on a host."),
    ("hosted on", "hosts", "reverse", False, "A VM or workload is hosted on a host."),
    ("contains", "contained in", "forward", False, "Physical containment (rack, chassis)."),
    ("connected to", "connected to", "none", False, "A network link; informational."),
    ("member of", "has member", "forward", True, "The source is a member of the target group."),
    ("backed up by", "backs up", "none", False, "Backup coverage; informational."),
    ("uses", "is used by", "reverse", False, "The source uses the target."),
]


def seed(apps: Any, schema_editor: Any) -> None:
    CIClass = apps.get_model("cmdb", "CIClass")
    ClassAttribute = apps.get_model("cmdb", "ClassAttribute")
    RelationshipType = apps.get_model("cmdb", "RelationshipType")
    made: dict[str, Any] = {}
    for name, parent, icon, is_group, ident, attributes, description in CLASSES:
        made[name] = CIClass.objects.create(
            name=name,
            parent=made.get(parent) if parent else None,
            icon=icon,
            is_group=is_group,
            identification_key=ident,
            description=description,
            builtin=True,
        )
        for key, label, kind, extra in attributes:
            ClassAttribute.objects.create(
                ci_class=made[name], key=key, label=label, type=kind, **extra
            )
    for name, reverse, direction, membership, description in RELATIONSHIP_TYPES:
        RelationshipType.objects.create(
            name=name,
            reverse_name=reverse,
            impact_direction=direction,
            is_membership=membership,
            description=description,
            builtin=True,
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cmdb", "ClassAttribute").objects.filter(ci_class__builtin=True).delete()
    for name in [c[0] for c in reversed(CLASSES)]:
        apps.get_model("cmdb", "CIClass").objects.filter(name=name, builtin=True).delete()
    apps.get_model("cmdb", "RelationshipType").objects.filter(builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0001_create_cmdb")]

    operations = [migrations.RunPython(seed, unseed)]
