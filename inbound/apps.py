"""Inbound app config."""

from __future__ import annotations

from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound webhooks"
