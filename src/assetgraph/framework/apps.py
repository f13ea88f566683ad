"""Collects every app's ``resources.py`` once the models are loaded (see :mod:`.spec`)."""

from django.apps import AppConfig


class FrameworkConfig(AppConfig):
    """App config for :mod:`assetgraph.framework`: discovers the resource declarations."""

    name = "assetgraph.framework"
    label = "framework"
    verbose_name = "Framework"

    def ready(self) -> None:
        from .spec import discover

        discover()
