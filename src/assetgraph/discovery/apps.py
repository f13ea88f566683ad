"""Discovery and reconciliation: real scanner and inventory formats in, one CI per thing out
(docs/discovery.md)."""

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """App config for :mod:`assetgraph.discovery`."""

    name = "assetgraph.discovery"
    label = "discovery"
    verbose_name = "Discovery"
