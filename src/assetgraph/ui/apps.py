"""The web UI: layout, navigation, dashboard, search and the generic object views."""

from django.apps import AppConfig


class UiConfig(AppConfig):
    """App config for :mod:`assetgraph.ui`."""

    name = "assetgraph.ui"
    label = "ui"
    verbose_name = "User interface"
