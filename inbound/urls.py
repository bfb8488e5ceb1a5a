"""Inbound webhook URLs: exact paths only, so /webhook/dashboard/ (included after) still works."""

from __future__ import annotations

from django.urls import path, re_path

from inbound import views

app_name = "inbound"

urlpatterns = [
    path("incoming", views.incoming_generic, name="incoming-generic"),
    path("incoming/", views.incoming_generic),
    path("incoming/<slug:slug>/", views.incoming, name="incoming"),
    # Senders often drop the trailing slash; APPEND_SLASH cannot redirect a POST.
    re_path(r"^incoming/(?P<slug>[-a-zA-Z0-9_]+)$", views.incoming),
]
