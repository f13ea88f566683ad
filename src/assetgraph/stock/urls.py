"""The stock pages that are not generic (namespace ``ui:stock``); the generic pages of items,
storerooms, catalogue entries, loaners and maintenance records come from resources.py."""

from django.urls import URLPattern, path

from . import request_views, views

app_name = "stock"

urlpatterns: list[URLPattern] = [
    path("ledger/", views.ledger, name="ledger"),
    path("move/", views.move, name="move"),
    path("alerts/", views.alerts, name="alerts"),
    path("repairs/", views.repairs_report, name="repairs"),
    path("assets/<int:pk>/repair/", views.repair_send, name="repair_send"),
    path("assets/<int:pk>/repair/return/", views.repair_return, name="repair_return"),
    path("my/", request_views.my_items, name="my"),
    path("catalogue/", request_views.catalogue, name="catalogue"),
    path("catalogue/<int:pk>/request/", request_views.request_new, name="request_new"),
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/queue/", request_views.queue, name="queue"),
    path("requests/<int:pk>/", request_views.request_detail, name="request_detail"),
    path(
        "requests/<int:pk>/<slug:name>/",
        request_views.request_transition,
        name="request_transition",
    ),
    path("reservations/", request_views.calendar, name="calendar"),
    path("reservations/book/", request_views.book, name="book"),
    path(
        "reservations/<int:pk>/<slug:name>/",
        request_views.reservation_action,
        name="reservation_action",
    ),
]
