"""The deterministic demo company and scale generators."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """App config for :mod:`assetgraph.demo`."""

    name = "assetgraph.demo"
    label = "demo"
    verbose_name = "Demo data"
