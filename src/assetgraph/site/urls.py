"""URLs of the UI (namespace ``ui``): the shell pages, then each app's pages under
``/<app>/`` (namespace ``ui:<app>``): its own (``<app>/urls.py``) first, then the generic
pages of its declared resources."""

from typing import Any

from django.urls import include, path

from assetgraph.framework.spec import app_resources
from assetgraph.ui import admin_views, pickers, views
from assetgraph.ui.generic import resource_urls

from . import domain_modules

app_name = "ui"

urlpatterns: list[Any] = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/pin/", views.dashboard_pin, name="dashboard_pin"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("search/", views.search, name="search"),
    path("pick/<str:object_type>/", pickers.pick, name="pick"),
    path("lists/<str:key>/columns/", views.list_columns, name="list_columns"),
    path("lists/<str:key>/filters/", views.save_list_filter, name="save_list_filter"),
    path("lists/filters/<int:pk>/delete/", views.delete_list_filter, name="delete_list_filter"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("users/", views.user_list, name="user_list"),
    path("users/add/", admin_views.user_add, name="user_add"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path(
        "users/<int:pk>/reset-password/",
        admin_views.user_reset_password,
        name="user_reset_password",
    ),
    path("roles/", admin_views.role_list, name="role_list"),
    path("roles/permissions/add/", admin_views.permission_add, name="permission_add"),
    path("roles/permissions/<int:pk>/", admin_views.permission_action, name="permission_action"),
    path("tokens/", admin_views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", admin_views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_log, name="audit_log"),
]

for label, module in domain_modules("urls"):
    own = list(getattr(module, "urlpatterns", []))
    names = {pattern.name for pattern in own}
    generic = [
        pattern
        for resource in app_resources(label)
        for pattern in resource_urls(resource)
        if pattern.name not in names
    ]
    if own or generic:
        urlpatterns.append(path(f"{label}/", include((own + generic, label))))
