"""Root URL configuration: the UI at ``/`` and the one API at ``/api/``."""

from django.urls import include, path

from assetgraph.api.router import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("assetgraph.ui.urls")),
]
