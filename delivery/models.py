"""One row per HTTP attempt (WebhookLog) and the retry / dead-letter queue (WebhookRetry)."""

from __future__ import annotations

import uuid

from django.db import models


class LogStatus(models.TextChoices):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    TEST = "test"


class RetryState(models.TextChoices):
    PENDING = "pending"
    RETRYING = "retrying"
    EXHAUSTED = "exhausted"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"


class WebhookRetry(models.Model):
    """Durable retry state of one delivery (event x rule); `exhausted` rows are the dead letters."""

    delivery_id = models.CharField(max_length=64, unique=True)
    rule = models.ForeignKey(
        "rules.WebhookRule", null=True, on_delete=models.SET_NULL, related_name="retries"
    )
    event = models.ForeignKey(
        "hub.EventHistory", null=True, on_delete=models.SET_NULL, related_name="retries"
    )
    state = models.CharField(max_length=10, choices=RetryState, default=RetryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=10)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    initial_delay = models.PositiveIntegerField(default=60)
    multiplier = models.FloatField(default=2.0)
    max_interval = models.PositiveIntegerField(default=86400)
    last_error = models.TextField(blank=True)
    last_status = models.IntegerField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    exhausted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "retry / dead letter"
        verbose_name_plural = "retry queue / dead letters"
        indexes = [
            models.Index(fields=["state", "next_retry_at"], name="retry_state_due"),
            models.Index(fields=["state", "exhausted_at"], name="retry_state_exhausted"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} ({self.state})"


class WebhookLog(models.Model):
    delivery_id = models.CharField(max_length=64, default="", db_index=True)
    rule = models.ForeignKey(
        "rules.WebhookRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    rule_name = models.CharField(max_length=200, blank=True)
    event = models.ForeignKey(
        "hub.EventHistory", null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    retry = models.ForeignKey(
        WebhookRetry, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    model = models.CharField(max_length=128, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    event_code = models.CharField(max_length=128, blank=True)
    url = models.CharField(max_length=2048)
    http_method = models.CharField(max_length=6, default="POST")
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    response_status = models.IntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=LogStatus, default=LogStatus.PENDING)
    error = models.TextField(blank=True)
    attempt = models.PositiveIntegerField(default=1)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="log_status_time"),
            models.Index(fields=["rule", "created_at"], name="log_rule_time"),
            models.Index(fields=["model", "created_at"], name="log_model_time"),
        ]

    def __str__(self) -> str:
        return f"{self.http_method} {self.url} -> {self.status}"


def new_delivery_id() -> str:
    return "msg_" + uuid.uuid4().hex
