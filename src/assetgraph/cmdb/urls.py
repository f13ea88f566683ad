"""The CMDB's own pages (namespace ``ui:cmdb``); the generic pages of its resources are added
by the mount point."""

from django.urls import URLPattern, path

from assetgraph.ui.importing import ImportKind, ImportPages

from . import views
from .importers import CIImporter, RelationshipImporter

app_name = "cmdb"

import_view = ImportPages(
    ImportKind("cis", "CIs", CIImporter),
    ImportKind("relationships", "Relationships", RelationshipImporter),
)
urlpatterns: list[URLPattern] = [
    path("cis/add/", views.ci_edit, name="ci_add"),
    path("cis/<int:pk>/", views.ci_detail, name="ci_detail"),
    path("cis/<int:pk>/edit/", views.ci_edit, name="ci_edit"),
    path("cis/<int:pk>/retire/", views.ci_retire, name="ci_delete"),
    path("cis/<int:pk>/relate/", views.relationship_add, name="relationship_add"),
    path(
        "cis/<int:pk>/relationships/<int:rel_pk>/end/",
        views.relationship_remove,
        name="relationship_remove",
    ),
    path("classes/tree/", views.class_tree, name="class_tree"),
    path("diff/", views.diff_view, name="diff"),
    *import_view.urls(),
]
