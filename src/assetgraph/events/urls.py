"""The operations pages that are not generic (namespace ``ui:events``): notifications; the
generic pages of webhooks, rules, networks, schedules, jobs and deliveries come from
resources.py."""

from django.urls import URLPattern

from .views import notification_urls

app_name = "events"

urlpatterns: list[URLPattern] = notification_urls()
