"""URLs of the cmdb pages (namespace ``ui:cmdb``)."""

from django.urls import URLPattern

app_name = "cmdb"

urlpatterns: list[URLPattern] = []
