"""URLs of the assets pages (namespace ``ui:assets``)."""

from django.urls import URLPattern

app_name = "assets"

urlpatterns: list[URLPattern] = []
