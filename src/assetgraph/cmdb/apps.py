"""The CMDB: CI classes and attributes, CIs, typed relationships, history as of any time."""

from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """App config for :mod:`assetgraph.cmdb`."""

    name = "assetgraph.cmdb"
    label = "cmdb"
    verbose_name = "CMDB"

    def ready(self) -> None:
        from assetgraph.assets.signals import asset_relocated, asset_retired, asset_transitioned

        from . import receivers

        asset_retired.connect(receivers.retire_ci_with_asset, dispatch_uid="cmdb.retire")
        asset_transitioned.connect(receivers.ci_follows_repair, dispatch_uid="cmdb.repair")
        asset_relocated.connect(receivers.ci_follows_location, dispatch_uid="cmdb.location")
