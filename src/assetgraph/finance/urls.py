"""The finance pages that are not generic (namespace ``ui:finance``)."""

from django.urls import URLPattern, path

from . import views

app_name = "finance"

urlpatterns: list[URLPattern] = [
    path("register/", views.register_page, name="register"),
    path("register/export/", views.register_export, name="register_export"),
    path("periods/", views.periods_page, name="periods"),
    path("purchase-orders/<int:pk>/receive/", views.receive_page, name="receive"),
    path("service-costs/", views.service_costs_page, name="service_costs"),
    path("hardware-risk/", views.hardware_risk_page, name="hardware_risk"),
    path("reports/", views.reports_page, name="reports"),
    path("replacement-forecast/", views.replacement_forecast_page, name="replacement_forecast"),
    path("hardware-risk/export/", views.hardware_risk_export, name="hardware_risk_export"),
    path("service-costs/<int:pk>/", views.service_cost_page, name="service_cost"),
    path("periods/<int:pk>/", views.period_detail, name="period_detail"),
    path("periods/<int:pk>/journal/", views.journal_export, name="journal_export"),
    *views.upload_jobs.urls(),
]
