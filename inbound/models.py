"""Inbound sources (one URL each) and the requests received on them."""
from __future__ import annotations

import secrets

from django.db import models

from hub.crypto import EncryptedTextField


class Verification(models.TextChoices):
    NONE = "none", "None (the slug is the secret)"
    HMAC = "hmac", "Hub HMAC (X-Webhook-Signature)"
    STANDARD = "standard", "Standard Webhooks"
    GITHUB = "github", "GitHub (X-Hub-Signature-256)"
    STRIPE = "stripe", "Stripe (Stripe-Signature)"
    SHOPIFY = "shopify", "Shopify (X-Shopify-Hmac-Sha256)"
    BASIC = "basic", "HTTP Basic"
    API_KEY = "api_key", "API key header"
    BEARER = "bearer", "Bearer token"


class Handler(models.TextChoices):
    STORE = "store", "Store only"
    EMIT_EVENT = "emit_event", "Emit a hub event"
    ODOO_UPSERT = "odoo_upsert", "Create/update an Odoo record"
    ODOO_NATIVE = "odoo_native", "Odoo 'Send Webhook Notification'"
    PYTHON = "python", "Python handler (HUB_INBOUND_HANDLERS)"


def generate_slug() -> str:
    return secrets.token_urlsafe(24)


class InboundSource(models.Model):
    slug = models.SlugField(max_length=100, unique=True, default=generate_slug)
    name = models.CharField(max_length=200)
    verification = models.CharField(max_length=10, choices=Verification, default=Verification.STANDARD)
    secret = EncryptedTextField(
        blank=True, help_text="Secret(s); several (one per line) while rotating."
    )
    api_key_header = models.CharField(max_length=100, default="X-API-Key", blank=True)
    idempotency_path = models.CharField(
        max_length=255, blank=True, help_text="JSON path of an idempotency key in the body."
    )
    tolerance_seconds = models.PositiveIntegerField(default=300)
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    handler = models.CharField(max_length=12, choices=Handler, default=Handler.STORE)
    handler_config = models.JSONField(default=dict, blank=True)
    connection = models.ForeignKey(
        "hub.OdooConnection", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="inbound_sources",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VerificationStatus(models.TextChoices):
    VERIFIED = "verified"
    NOT_REQUIRED = "not_required", "Not required"
    FAILED = "failed"


class ProcessingState(models.TextChoices):
    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class IncomingWebhook(models.Model):
    source = models.ForeignKey(InboundSource, on_delete=models.CASCADE, related_name="requests")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    body_truncated = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    verification_status = models.CharField(max_length=12, choices=VerificationStatus)
    state = models.CharField(max_length=10, choices=ProcessingState, default=ProcessingState.RECEIVED)
    result = models.JSONField(null=True, blank=True, help_text='e.g. {"model": "res.partner", "id": 7}')
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="incoming_unique_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["source", "received_at"], name="incoming_source_time"),
            models.Index(fields=["state", "next_retry_at"], name="incoming_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.source} @ {self.received_at:%Y-%m-%d %H:%M:%S}"
