"""The CMDB: CI classes and attributes, CIs, typed relationships, history as of any time."""

from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """App config for :mod:`assetgraph.cmdb`."""

    name = "assetgraph.cmdb"
    label = "cmdb"
    verbose_name = "CMDB"

    def ready(self) -> None:
        from assetgraph.assets.signals import asset_retired

        from .receivers import retire_ci_with_asset

        asset_retired.connect(retire_ci_with_asset, dispatch_uid="cmdb.retire_ci_with_asset")
