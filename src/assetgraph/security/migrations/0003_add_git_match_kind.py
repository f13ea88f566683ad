"""The ``git`` match kind (OSV GIT ranges), and the release of distribution entries imported
before releases were read from the OSV ecosystem (``Debian:12`` → ``debian-12``), so that an
unchanged re-import (skipped by its content hash) still matches per release."""

from typing import Any

from django.db import migrations, models

from assetgraph.security.distros import distro_of_ecosystem, normal_distro


def fill_releases(apps: Any, schema_editor: Any) -> None:
    """Normalise each Debian, Ubuntu or Alpine entry's release (docs/security.md)."""
    affected = apps.get_model("security", "AffectedPackage")
    rows = affected.objects.filter(kind="purl").filter(
        models.Q(key__startswith="deb/") | models.Q(key__startswith="apk/")
    )
    for row in rows.iterator(chunk_size=2000):
        namespace = row.key.split("/")[1] if row.key.count("/") >= 2 else ""
        release = normal_distro(namespace, row.distro) if row.distro else ""
        release = release or distro_of_ecosystem(row.ecosystem)
        if release != row.distro:
            affected.objects.filter(pk=row.pk).update(distro=release[:50])


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0002_security_class_attributes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="affectedpackage",
            name="kind",
            field=models.CharField(
                choices=[("purl", "Package URL"), ("cpe", "CPE"), ("git", "Git repository")],
                max_length=4,
            ),
        ),
        migrations.AlterField(
            model_name="finding",
            name="matched_by",
            field=models.CharField(
                choices=[("purl", "Package URL"), ("cpe", "CPE"), ("git", "Git repository")],
                max_length=4,
            ),
        ),
        migrations.RunPython(fill_releases, migrations.RunPython.noop),
    ]
