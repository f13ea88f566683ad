"""Addresses outside the UI and API namespaces: ``/metrics``, ``/health/live``,
``/health/ready`` (mounted at the root by ``assetgraph.urls``)."""

from django.urls import path

from . import observability

urlpatterns = [
    path("metrics", observability.metrics, name="metrics"),
    path("health/live", observability.live, name="health_live"),
    path("health/ready", observability.ready, name="health_ready"),
]
