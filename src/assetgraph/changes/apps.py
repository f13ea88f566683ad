"""Change management: change records with a lifecycle, blackout windows, and assessments that
ask the impact app for the graph (docs/changes.md)."""

from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """App config for :mod:`assetgraph.changes`."""

    name = "assetgraph.changes"
    label = "changes"
    verbose_name = "Changes"
