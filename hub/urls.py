"""URL map: admin, API (+ schema and docs), inbound webhooks, dashboard, Odoo push, ops probes."""

from __future__ import annotations

import importlib

from django.contrib import admin
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerView

from hub.api.routers import router
from hub.api.schema import SchemaView
from hub.ops import views as ops_views

# Each app registers its viewsets on the shared router when its api module is imported
# (the emit entry point lives next to hub.events; the order is the API root's).
for _module in (
    "hub.odoo.api",
    "rules.api",
    "hub.api.emit",
    "delivery.api",
    "inbound.api",
    "dashboard.api",
):
    importlib.import_module(_module)


def _busiest_first(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """The router's patterns with POST /api/emit/ first: the resolver tries them in order and
    emit, a machine entry point called per record, came after 36 others. No other pattern can
    match `emit/` (each starts with its own literal prefix), so only the time changes."""
    emit = [p for p in patterns if getattr(p, "name", None) == "emit-list"]
    return emit + [p for p in patterns if p not in emit]


# The machine entry points come first (the resolver tries patterns in order). The inbound
# webhook URLs are normally answered by inbound.middleware.InboundMiddleware before any
# resolving; they are named here for reverse() and for a stack without that middleware.
urlpatterns = [
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include(_busiest_first(router.urls))),
    path("webhook/", include("inbound.urls")),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the API's own pages).
    path("favicon.ico", RedirectView.as_view(url=static("hub/favicon.svg"), permanent=True)),
    path("webhook/dashboard/", include("dashboard.urls")),
    path("odoo/", include("hub.odoo.urls")),
    # Normally answered by hub.ops.middleware.ProbeMiddleware first; named here for reverse().
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
]
