"""``/scim/v2/`` (mounted by the root URLconf)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("ServiceProviderConfig", views.service_provider),
    path("ResourceTypes", views.resource_type_list),
    path("ResourceTypes/<str:name>", views.resource_type_list),
    path("Schemas", views.schema_list),
    path("Schemas/<str:urn>", views.schema_list),
    path(".search", views.search),
    re_path(r"^(?P<endpoint>Users|Groups)/\.search$", views.search),
    re_path(r"^(?P<endpoint>Users|Groups)$", views.collection),
    re_path(r"^(?P<endpoint>Users|Groups)/(?P<pk>[^/]+)$", views.item),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
