"""Seed what discovery needs as data: the attributes its connectors fill on the built-in
classes, the identification rules per class, and class policies (staleness, orphans).

Everything is data that administrators edit afterwards (rules in the UI). Attributes are
only added where the class (or an ancestor, or a descendant) lacks the key; classes an
administrator deleted are skipped.
"""

from typing import Any

from django.db import migrations

# class name → [(key, label, type, extra)]
ATTRIBUTES: dict[str, list[tuple[str, str, str, dict[str, Any]]]] = {
    "Computer System": [
        ("mac_address", "MAC address", "mac", {"weight": 13}),
        ("cpu_cores", "CPU cores", "integer", {"minimum": 1, "weight": 32}),
        ("disk_gb", "Disk (GB)", "decimal", {"minimum": 0, "weight": 33}),
    ],
    "Network Device": [
        ("domain", "DNS domain", "text", {"weight": 11}),
        ("mac_address", "MAC address", "mac", {"weight": 13}),
        ("os", "Operating system", "text", {"weight": 21}),
    ],
    "Cloud Resource": [
        ("instance_type", "Instance type", "text", {"weight": 30}),
        ("state", "State", "text", {"weight": 31}),
        ("ip_address", "Private IP", "ip", {"weight": 32}),
        ("availability_zone", "Availability zone", "text", {"weight": 33}),
    ],
}
# class name → [(priority, attribute keys)]
RULES: dict[str, list[tuple[int, list[str]]]] = {
    "Computer System": [
        (20, ["hostname", "domain"]),
        (30, ["mac_address"]),
        (40, ["ip_address", "hostname"]),
    ],
    "Server": [
        (10, ["serial_number"]),
        (20, ["hostname", "domain"]),
        (30, ["mac_address"]),
        (40, ["ip_address", "hostname"]),
    ],
    "Virtual Machine": [
        (10, ["vm_uuid"]),
        (20, ["hostname", "domain"]),
        (30, ["mac_address"]),
        (40, ["ip_address", "hostname"]),
    ],
    "Endpoint": [(10, ["serial_number"]), (20, ["hostname", "domain"]), (30, ["mac_address"])],
    "Network Device": [
        (10, ["serial_number"]),
        (20, ["hostname", "domain"]),
        (30, ["mac_address"]),
        (40, ["ip_address"]),
    ],
    "Cloud Resource": [(10, ["resource_id"])],
    "IP Address": [(10, ["ip_address"])],
    "Application": [(10, ["name"])],
}
# class name → (stale after days, expects a relationship)
POLICIES = {
    "Computer System": (60, True),
    "Server": (30, True),
    "Virtual Machine": (30, True),
    "Network Device": (60, False),
    "Cloud Resource": (7, True),
    "IP Address": (30, False),
    "Application": (90, True),
}


def _family(CIClass: Any, ci_class: Any) -> set[int]:
    ids = {ci_class.pk}
    node = ci_class
    while node.parent_id:
        node = CIClass.objects.get(pk=node.parent_id)
        ids.add(node.pk)
    queue = [ci_class.pk]
    while queue:
        children = list(CIClass.objects.filter(parent_id__in=queue).values_list("pk", flat=True))
        ids.update(children)
        queue = children
    return ids


def seed(apps: Any, schema_editor: Any) -> None:
    CIClass = apps.get_model("cmdb", "CIClass")
    ClassAttribute = apps.get_model("cmdb", "ClassAttribute")
    Rule = apps.get_model("discovery", "IdentificationRule")
    Policy = apps.get_model("discovery", "ClassPolicy")
    classes = {c.name: c for c in CIClass.objects.all()}
    for name, attributes in ATTRIBUTES.items():
        ci_class = classes.get(name)
        if ci_class is None:
            continue
        family = _family(CIClass, ci_class)
        for key, label, kind, extra in attributes:
            if ClassAttribute.objects.filter(ci_class_id__in=family, key=key).exists():
                continue
            ClassAttribute.objects.create(
                ci_class=ci_class, key=key, label=label, type=kind, **extra
            )
    for name, rules in RULES.items():
        ci_class = classes.get(name)
        if ci_class is None:
            continue
        for priority, keys in rules:
            Rule.objects.get_or_create(
                ci_class=ci_class, priority=priority, defaults={"attributes": keys}
            )
    for name, (days, expects) in POLICIES.items():
        ci_class = classes.get(name)
        if ci_class is not None:
            Policy.objects.get_or_create(
                ci_class=ci_class,
                defaults={"stale_after_days": days, "expects_relationship": expects},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0001_create_discovery"),
        ("cmdb", "0005_set_builtin_class_slugs"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
