"""Inbound app config."""

from __future__ import annotations

from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from inbound import source_cache
        from inbound.models import InboundSource

        # A saved or deleted source takes effect at once in this process (others: the TTL).
        changed = source_cache.source_changed
        post_save.connect(changed, sender=InboundSource, dispatch_uid="source-cache")
        post_delete.connect(changed, sender=InboundSource, dispatch_uid="source-cache")
