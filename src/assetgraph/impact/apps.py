"""Impact: the only adapter between the database and the pure graph engine."""

from django.apps import AppConfig


class ImpactConfig(AppConfig):
    """App config for :mod:`assetgraph.impact` (impact, root cause, change impact, maps)."""

    name = "assetgraph.impact"
    label = "impact"
    verbose_name = "Impact analysis"

    def ready(self) -> None:
        # Change records and dependency maps (see docs/changes.md, docs/maps.md).
        from .change_views import register_ci_sections
        from .models import register_change_types

        register_change_types()
        register_ci_sections()
        # Impact and root-cause links on the CI page (docs/impact.md).
        from .views import register_ci_section

        register_ci_section()
