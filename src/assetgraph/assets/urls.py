"""URLs of the assets pages (namespace ``ui:assets``)."""

from django.urls import path

from . import (
    asset_form_views,
    audits_views,
    bulk_views,
    kit_views,
    labels,
    reports_views,
    scan_views,
    views,
)
from .imports_views import import_view

app_name = "assets"

# The app's own pages; the generic pages of its resources (resources.py) are added by the mount
# point. The asset detail and form pages are its own (custody tabs, typed custom fields).
urlpatterns = [
    path("assets/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("assets/<int:pk>/audits/", views.asset_audits, name="asset_audits"),
    path("assets/scan/", scan_views.asset_scan, name="scan"),
    path("assets/add/", asset_form_views.asset_edit, name="asset_add"),
    path("assets/<int:pk>/edit/", asset_form_views.asset_edit, name="asset_edit"),
    path("assets/custom-fields/", asset_form_views.asset_custom_fields, name="asset_custom_fields"),
    path("assets/<int:pk>/checkout/", views.asset_checkout, name="asset_checkout"),
    path("assets/<int:pk>/checkin/", views.asset_checkin, name="asset_checkin"),
    path("assets/<int:pk>/transition/", views.asset_transition, name="asset_transition"),
    path("kits/<int:pk>/issue/", views.kit_issue, name="kit_issue"),
    path("kits/<int:pk>/items/", kit_views.kit_items, name="kit_items"),
    path("people/<int:pk>/custody/", views.person_custody, name="person_custody"),
    path("accept/<str:token>/", views.accept, name="accept"),
    path("labels/", labels.labels, name="labels"),
    path("alerts/", views.alerts, name="alerts"),
    path("audits/", audits_views.audit_list, name="audit_list"),
    path("audits/start/", audits_views.audit_start, name="audit_start"),
    path("audits/due/", audits_views.audits_due, name="audits_due"),
    path("audits/<int:pk>/", audits_views.audit_detail, name="audit_detail"),
    path("audits/<int:pk>/scan/", audits_views.audit_scan, name="audit_scan"),
    path(
        "audits/<int:pk>/items/<int:item_pk>/relocate/",
        audits_views.audit_relocate,
        name="audit_relocate",
    ),
    path("audits/<int:pk>/close/", audits_views.audit_close, name="audit_close"),
    path("audits/<int:pk>/history/", audits_views.audit_history, name="audit_history"),
    path("reports/", reports_views.reports_page, name="reports"),
    path("reports/<str:name>/export/", reports_views.report_export, name="report_export"),
    path("bulk/checkin/", bulk_views.bulk_checkin, name="bulk_checkin"),
    path("bulk/transition/", bulk_views.bulk_transition, name="bulk_transition"),
]
urlpatterns += import_view.urls()
