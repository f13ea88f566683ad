"""Operations: webhooks and event rules fed by the audit spine, a database job queue with
schedules, notifications, health and metrics, backup and restore (docs/operations.md)."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """App config for :mod:`assetgraph.events`."""

    name = "assetgraph.events"
    label = "events"
    verbose_name = "Operations"

    def ready(self) -> None:
        # The built-in tasks, schedules and event hooks, then every app's ``operations``
        # module (its tasks, schedules and hooks), found by name: events imports no domain app.
        import importlib
        import importlib.util

        from django.apps import apps

        from . import notifications, tasks  # noqa: F401

        for config in apps.get_app_configs():
            name = f"{config.name}.operations"
            if config.name.startswith("assetgraph.") and importlib.util.find_spec(name):
                importlib.import_module(name)
