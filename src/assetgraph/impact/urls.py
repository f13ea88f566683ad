"""UI pages of impact analysis, root cause, change records and dependency maps."""

from django.urls import URLPattern

app_name = "impact"

urlpatterns: list[URLPattern] = []
