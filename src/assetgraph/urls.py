"""Root URL configuration: the UI at ``/`` and the one API at ``/api/``."""

from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from assetgraph.site.api import api

urlpatterns = [
    path("api/", api.urls),
    path("scim/v2/", include("assetgraph.integrations.scim.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("assetgraph.events.rooturls")),
    # Browsers ask for /favicon.ico on pages without an icon link (e.g. plain error pages).
    path("favicon.ico", RedirectView.as_view(url=static("ui/favicon.svg"), permanent=True)),
    path("", include("assetgraph.site.urls")),
]
