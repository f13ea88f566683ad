"""Users, roles, object permissions, API tokens and login throttling."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from .services import sync_builtin_roles

    sync_builtin_roles()


class AccountsConfig(AppConfig):
    """App config for :mod:`assetgraph.accounts`."""

    name = "assetgraph.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from assetgraph.core import registry

        from .models import APIToken, ObjectPermission, Role, User

        registry.register(
            User,
            search_fields=("username", "first_name", "last_name", "email"),
            constraint_fields=("id", "username", "is_active"),
            detail_url_name="ui:user_detail",
            list_url_name="ui:user_list",
        )
        registry.register(Role, search_fields=("name",), constraint_fields=("name",))
        registry.register(ObjectPermission, search_fields=("name",), constraint_fields=("name",))
        registry.register(APIToken, constraint_fields=("user",), actions=("view", "change"))
        registry.register_token("$user", lambda user: user.pk)
        # Runs once after `migrate` has applied every app (sender = this app).
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="assetgraph.sync_roles")
