"""Discovery's own pages (namespace ``ui:discovery``); the generic pages of sources, rules,
policies, compliance rules, runs and the queue come from resources.py."""

from django.urls import URLPattern

from .views import discovery_urls

app_name = "discovery"

urlpatterns: list[URLPattern] = discovery_urls()
