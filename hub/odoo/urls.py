"""Odoo push endpoint URLs."""
from __future__ import annotations

urlpatterns: list = []
