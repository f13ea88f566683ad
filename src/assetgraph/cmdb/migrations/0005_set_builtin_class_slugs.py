"""Mark the seeded classes with their slugs, so the code finds them whatever their name.

The impact report relies on three of them (business service, application, end-user
device); every seeded class gets one so that the rule is the same for all. A seeded class
an administrator renamed before this migration cannot be recognised and stays unmarked (set
its slug in the Django shell). The data lives here, not in app code, so the migration keeps
working whatever the code becomes.
"""

from typing import Any

from django.db import migrations

SLUGS = {
    "Business Service": "business-service",
    "Application": "application",
    "Application Component": "application-component",
    "Database": "database",
    "Middleware": "middleware",
    "Computer System": "computer-system",
    "Server": "server",
    "Hypervisor": "hypervisor",
    "Virtual Machine": "virtual-machine",
    "Endpoint": "endpoint",
    "Laptop": "laptop",
    "Desktop": "desktop",
    "Container Node": "container-node",
    "Cluster/Farm": "cluster-farm",
    "Container Platform": "container-platform",
    "Container Workload": "container-workload",
    "Network Device": "network-device",
    "Switch": "switch",
    "Router": "router",
    "Firewall": "firewall",
    "Load Balancer": "load-balancer",
    "Storage Array": "storage-array",
    "IP Address": "ip-address",
    "Subnet": "subnet",
    "Cloud Resource": "cloud-resource",
    "Rack": "rack",
    "Power": "power",
    "PDU": "pdu",
    "UPS": "ups",
}


def mark(apps: Any, schema_editor: Any) -> None:
    CIClass = apps.get_model("cmdb", "CIClass")
    for name, slug in SLUGS.items():
        CIClass.objects.filter(name=name, builtin=True, slug__isnull=True).update(slug=slug)


def unmark(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cmdb", "CIClass").objects.filter(slug__in=SLUGS.values()).update(slug=None)


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0004_add_class_slug")]

    operations = [migrations.RunPython(mark, unmark)]
