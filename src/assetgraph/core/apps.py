"""Shared infrastructure: errors, the actor, the object-type registry, tabular I/O."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """App config for :mod:`assetgraph.core`."""

    name = "assetgraph.core"
    label = "core"
    verbose_name = "Core"
