"""Organisation data: people, departments, cost centres, locations, companies."""

from typing import Any

from django.apps import AppConfig


def _person_of(user: Any) -> int | None:
    from .models import Person

    return Person.objects.filter(user=user).values_list("pk", flat=True).first()


class OrgConfig(AppConfig):
    """App config for :mod:`assetgraph.org`."""

    name = "assetgraph.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from assetgraph.core import registry

        registry.register_token("$person", _person_of)
