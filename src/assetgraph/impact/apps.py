"""Impact: the only adapter between the database and the pure graph engine."""

from django.apps import AppConfig


class ImpactConfig(AppConfig):
    """App config for :mod:`assetgraph.impact` (impact, root cause, change impact, maps)."""

    name = "assetgraph.impact"
    label = "impact"
    verbose_name = "Impact analysis"
