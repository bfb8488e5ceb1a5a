"""Inbound sources (one URL each) and the requests received on them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse

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
    verification = models.CharField(
        max_length=10, choices=Verification, default=Verification.STANDARD
    )
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
        "hub.OdooConnection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_sources",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> str:
        return reverse("inbound:incoming", kwargs={"slug": self.slug})

    @property
    def url(self) -> str:
        """The full inbound URL to give to the sender."""
        return settings.HUB_PUBLIC_URL.rstrip("/") + self.path

    @property
    def event_source(self) -> str:
        """The ``source`` of hub events it emits. A ``none`` source's slug is its secret, so
        that one is named by id instead: event sources are sent to every outbound receiver."""
        if self.verification == Verification.NONE:
            return f"inbound:source-{self.pk}"
        return f"inbound:{self.slug}"


class VerificationStatus(models.TextChoices):
    VERIFIED = "verified"
    NOT_REQUIRED = "not_required", "Not required"
    FAILED = "failed"
    # Refused before the signature was looked at (405, 413, 429): nothing was verified.
    UNCHECKED = "unchecked", "Not checked"


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
    # NULL, not "": a request without a key must never collide with another (partial unique).
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    verification_status = models.CharField(max_length=12, choices=VerificationStatus)
    state = models.CharField(
        max_length=10, choices=ProcessingState, default=ProcessingState.RECEIVED
    )
    result = models.JSONField(
        null=True, blank=True, help_text='e.g. {"model": "res.partner", "id": 7}'
    )
    error = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="HTTP status the sender was given."
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        help_text="For a duplicate: the first request with the same idempotency key.",
    )
    attempts = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
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


class InboundCounter(models.Model):
    """A fixed one-minute window counter per source, shared by every web process (rate limit,
    cap on stored rejected requests). Incremented with one atomic upsert; old rows are swept."""

    source = models.ForeignKey(InboundSource, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    window_start = models.BigIntegerField(help_text="Unix seconds, a multiple of 60.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "window_start"], name="inbound_counter_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id}/{self.kind}@{self.window_start}: {self.count}"


class InboundLease(models.Model):
    """A short lease on a name (one Odoo record being upserted), so two workers never create
    the same record twice. Taken by insert, stolen only once expired."""

    name = models.CharField(max_length=255, unique=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
