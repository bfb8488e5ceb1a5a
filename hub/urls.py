"""URL map: admin, API (+ schema and docs), inbound webhooks, dashboard, Odoo push, ops probes."""

from __future__ import annotations

import importlib

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
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

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the API's own pages).
    path("favicon.ico", RedirectView.as_view(url=static("hub/favicon.svg"), permanent=True)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include(router.urls)),
    path("webhook/", include("inbound.urls")),
    path("webhook/dashboard/", include("dashboard.urls")),
    path("odoo/", include("hub.odoo.urls")),
    # Normally answered by hub.ops.middleware.ProbeMiddleware first; named here for reverse().
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
]
