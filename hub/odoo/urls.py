"""Odoo endpoints: /odoo/xmlrpc (push, with or without the trailing slash), /odoo/nudge/<token>/."""

from __future__ import annotations

from django.urls import path

from hub.odoo import nudge, push

urlpatterns = [
    path("xmlrpc", push.endpoint, name="odoo-xmlrpc"),
    path("xmlrpc/", push.endpoint, name="odoo-xmlrpc-slash"),
    path("nudge/<str:token>/", nudge.endpoint, name="odoo-nudge"),
]
