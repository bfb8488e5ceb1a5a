"""The one API router; each app registers its viewsets in its own `api.py`."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
