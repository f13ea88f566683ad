"""The REST API: one NinjaAPI, auth, errors, pagination and router mounting."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """App config for :mod:`assetgraph.api`."""

    name = "assetgraph.api"
    label = "api"
    verbose_name = "API"
