"""The integrations pages that are not generic (namespace ``ui:integrations``); the list and
detail pages of sync runs and offboardings come from resources.py."""

from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("people/<int:pk>/offboard/", views.person_offboard, name="person_offboard"),
    path("directory-sync/run/", views.directory_sync, name="directory_sync"),
    path(
        "offboardings/<int:pk>/<str:action>/",
        views.offboarding_action,
        name="offboarding_action",
    ),
]
