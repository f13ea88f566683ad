"""IT asset management: catalogue, assets, lifecycle, custody, kits, labels, alerts."""

from django.apps import AppConfig


class AssetsConfig(AppConfig):
    """App config for :mod:`assetgraph.assets`."""

    name = "assetgraph.assets"
    label = "assets"
    verbose_name = "Assets"
