"""The licences pages that are not generic (namespace ``ui:licences``); the generic pages of
every resource come from resources.py."""

from django.urls import URLPattern

from .views import licence_urls

app_name = "licences"

urlpatterns: list[URLPattern] = licence_urls()
