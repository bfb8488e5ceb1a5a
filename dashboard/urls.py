"""Dashboard URLs (mounted at /webhook/dashboard/)."""

from __future__ import annotations

from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_page, name="index"),
    path("data", views.DashboardDataView.as_view(), name="data"),
    path("trace/", views.trace_page, name="trace"),
]
