"""Fix existing drift between hardware CIs and their assets (docs/both-layers.md): a CI whose
asset is retired retires, a CI takes its asset's registered location, a live CI whose asset
is in repair goes to maintenance. Through the services, so every fix is audited.

Runs only when hardware CIs exist (a fresh database has none, and then the current models,
which may be ahead of this migration's schema, are never touched).
"""

from django.db import migrations


def fix(apps, schema_editor):  # type: ignore[no-untyped-def]
    historical = apps.get_model("cmdb", "CI")
    if not historical.objects.filter(asset__isnull=False, valid_to__isnull=True).exists():
        return
    from assetgraph.cmdb.drift import fix_drift
    from assetgraph.core.actor import Actor

    fix_drift(Actor.system("migration cmdb.0007: asset/CI drift"))


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0006_ci_planned_retirement"),
        ("assets", "0002_add_physical_audit_campaigns"),
        ("audit", "0001_create_audit_event"),
    ]

    operations = [migrations.RunPython(fix, migrations.RunPython.noop)]
