"""UI pages of impact analysis, root cause, change records and dependency maps."""

from django.urls import URLPattern, path

from . import change_views, map_views, views

app_name = "impact"

urlpatterns: list[URLPattern] = [
    path("analyse/", views.impact_page, name="analyse"),
    path("root-cause/", views.root_cause_page, name="root_cause"),
]
urlpatterns += change_views.change_urls()
urlpatterns += [path("map/<int:pk>/", map_views.ci_map, name="map")]
