"""URLs of the UI: the shell pages plus each domain app's pages under its namespace."""

from django.urls import include, path

from . import views

app_name = "ui"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("search/", views.search, name="search"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("audit/", views.audit_log, name="audit_log"),
    path("org/", include("assetgraph.org.urls")),
    path("assets/", include("assetgraph.assets.urls")),
    path("cmdb/", include("assetgraph.cmdb.urls")),
    path("impact/", include("assetgraph.impact.urls")),
]
