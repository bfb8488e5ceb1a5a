"""Odoo push endpoint URLs: /odoo/xmlrpc with or without the trailing slash."""

from __future__ import annotations

from django.urls import path

from hub.odoo import push

urlpatterns = [
    path("xmlrpc", push.endpoint, name="odoo-xmlrpc"),
    path("xmlrpc/", push.endpoint, name="odoo-xmlrpc-slash"),
]
