"""The security pages that are not generic (namespace ``ui:security``); the generic pages of
policies and exceptions come from resources.py."""

from django.urls import URLPattern

from .views import security_urls

app_name = "security"

urlpatterns: list[URLPattern] = security_urls()
