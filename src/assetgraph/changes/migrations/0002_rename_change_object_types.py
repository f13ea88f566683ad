"""Object permissions name change records and blackout windows by their new object types.

The object type of a model is ``app_label.model_name``; moving the models from the impact app
renamed ``impact.changerecord`` and ``impact.blackoutwindow``. Built-in roles are re-synced
after every migrate; this rewrites administrator-made permissions. Audit events keep the old
names (they are immutable and hash-chained); the registry lists the old names as aliases so
History still finds them.
"""

from typing import Any

from django.db import migrations

RENAMED = {
    "impact.changerecord": "changes.changerecord",
    "impact.blackoutwindow": "changes.blackoutwindow",
    "impact.changeci": "changes.changeci",
}


def forwards(apps: Any, schema_editor: Any) -> None:
    ObjectPermission = apps.get_model("accounts", "ObjectPermission")
    for permission in ObjectPermission.objects.all():
        renamed = [RENAMED.get(key, key) for key in permission.object_types]
        if renamed != permission.object_types:
            permission.object_types = renamed
            permission.save(update_fields=["object_types"])


def backwards(apps: Any, schema_editor: Any) -> None:
    reverse = {new: old for old, new in RENAMED.items()}
    ObjectPermission = apps.get_model("accounts", "ObjectPermission")
    for permission in ObjectPermission.objects.all():
        renamed = [reverse.get(key, key) for key in permission.object_types]
        if renamed != permission.object_types:
            permission.object_types = renamed
            permission.save(update_fields=["object_types"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_create_accounts"),
        ("changes", "0001_change_records_from_impact_app"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
