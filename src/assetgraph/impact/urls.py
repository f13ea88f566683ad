"""UI pages of impact analysis, root cause and dependency maps."""

from django.urls import URLPattern, path

from . import map_views, views

app_name = "impact"

urlpatterns: list[URLPattern] = [
    path("analyse/", views.impact_page, name="analyse"),
    path("analyse/export/", views.impact_export, name="analyse_export"),
    path("root-cause/", views.root_cause_page, name="root_cause"),
]
urlpatterns += [path("map/<int:pk>/", map_views.ci_map, name="map")]
