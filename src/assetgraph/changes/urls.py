"""The change pages that are not generic (namespace ``ui:changes``); the generic pages of
changes and blackout windows come from resources.py."""

from django.urls import URLPattern

from .views import change_urls

app_name = "changes"

urlpatterns: list[URLPattern] = change_urls()
