"""Software asset management: the licensing catalogue, entitlements by metric, allocations,
and the compliance position computed from evidence (docs/licences.md)."""

from django.apps import AppConfig


class LicencesConfig(AppConfig):
    """App config for :mod:`assetgraph.licences`."""

    name = "assetgraph.licences"
    label = "licences"
    verbose_name = "Licences"
