"""Pages of the organisation app beyond the generic ones of its resources (``ui:org``)."""

from .imports_views import import_view

app_name = "org"

urlpatterns = import_view.urls()
