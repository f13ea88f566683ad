"""The CMDB: CI classes and attributes, CIs, typed relationships, history as of any time."""

from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """App config for :mod:`assetgraph.cmdb`."""

    name = "assetgraph.cmdb"
    label = "cmdb"
    verbose_name = "CMDB"
