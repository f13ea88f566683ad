"""The audit spine: the single, append-only, hash-chained event stream."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """App config for :mod:`assetgraph.audit`."""

    name = "assetgraph.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from assetgraph.core import registry

        from .models import AuditEvent

        registry.register(
            AuditEvent,
            constraint_fields=("object_type", "action", "source", "actor_id"),
            actions=("view",),
        )
