"""Per-core and per-processor licences need a host's processor count and model: add them as
class attributes of "Computer System" (inherited by servers, hypervisors and VMs), next to the
CMDB's own ``cpu_count`` (cores). Data only: no CMDB table changes."""

from typing import Any

from django.db import migrations

ATTRIBUTES = [
    ("cpu_sockets", "Processors (sockets)", "integer", {"minimum": 1, "weight": 32}),
    ("cpu_model", "Processor model", "text", {"weight": 33}),
]


def add(apps: Any, schema_editor: Any) -> None:
    CIClass = apps.get_model("cmdb", "CIClass")
    ClassAttribute = apps.get_model("cmdb", "ClassAttribute")
    host = CIClass.objects.filter(name="Computer System").first()
    if host is None:
        return
    for key, label, kind, extra in ATTRIBUTES:
        if not ClassAttribute.objects.filter(key=key).exists():
            ClassAttribute.objects.create(ci_class=host, key=key, label=label, type=kind, **extra)


def remove(apps: Any, schema_editor: Any) -> None:
    apps.get_model("cmdb", "ClassAttribute").objects.filter(
        key__in=[a[0] for a in ATTRIBUTES], ci_class__name="Computer System"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("licences", "0001_create_licences"),
        ("cmdb", "0005_set_builtin_class_slugs"),
    ]

    operations = [migrations.RunPython(add, remove)]
