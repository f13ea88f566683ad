"""The CI attributes security reads: ``internet_facing`` and ``cpe`` on every root class
(so every class inherits them), ``managed`` and ``encrypted`` on computer systems (the
evidence report on unmanaged or unencrypted devices)."""

from django.db import migrations

ROOT = [
    (
        "internet_facing",
        "Internet-facing",
        "boolean",
        "Reachable from the internet (a public address).",
    ),
    ("cpe", "CPE", "text", "CPE 2.3 name of its OS or firmware, for advisory matching."),
]
DEVICE = [
    ("managed", "Managed", "boolean", "Under endpoint management."),
    ("encrypted", "Disk encrypted", "boolean", "Full-disk encryption on."),
]


def add(apps, schema_editor):  # type: ignore[no-untyped-def]
    CIClass = apps.get_model("cmdb", "CIClass")
    ClassAttribute = apps.get_model("cmdb", "ClassAttribute")
    targets = [(c, ROOT) for c in CIClass.objects.filter(parent__isnull=True)]
    targets += [(c, DEVICE) for c in CIClass.objects.filter(name="Computer System")]
    for ci_class, definitions in targets:
        for key, label, kind, help_text in definitions:
            ClassAttribute.objects.get_or_create(
                ci_class=ci_class,
                key=key,
                defaults={"label": label, "type": kind, "help_text": help_text, "weight": 900},
            )


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    ClassAttribute = apps.get_model("cmdb", "ClassAttribute")
    ClassAttribute.objects.filter(key__in=[k for k, *_ in ROOT + DEVICE], weight=900).delete()


class Migration(migrations.Migration):
    dependencies = [("security", "0001_security_initial"), ("cmdb", "0005_set_builtin_class_slugs")]
    operations = [migrations.RunPython(add, remove)]
