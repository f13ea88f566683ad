"""Operations: webhooks and event rules fed by the audit spine, a database job queue with
schedules, notifications, health and metrics, backup and restore (docs/operations.md)."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """App config for :mod:`assetgraph.events`."""

    name = "assetgraph.events"
    label = "events"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Registers the built-in tasks, schedules and event hooks.
        from . import notifications, tasks  # noqa: F401
