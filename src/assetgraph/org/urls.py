"""URLs of the organisation pages (namespace ``ui:org``)."""

from assetgraph.ui.generic import resource_urls

from .imports_views import import_view
from .views import RESOURCES

app_name = "org"

urlpatterns = [pattern for resource in RESOURCES for pattern in resource_urls(resource)]
urlpatterns += import_view.urls()
