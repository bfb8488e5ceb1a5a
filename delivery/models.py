"""One row per HTTP attempt (WebhookLog), the retry / dead-letter queue (WebhookRetry) and the
per-rule endpoint lanes (Lane: in-flight limit, rate limit, circuit breaker, pause)."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
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
    # Every claim and every result writes a new version of the row into each index (a status
    # or lease change is never a HOT update), so the table keeps only the indexes a query uses
    # (docs/delivery.md, "Indexes"): delivery_id without the LIKE copy PostgreSQL adds for
    # db_index, the rule through log_rule_time, the retry link only where there is one.
    delivery_id = models.CharField(max_length=64, default="")
    rule = models.ForeignKey(
        "rules.WebhookRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logs",
        db_index=False,  # log_rule_time (rule, created_at) serves lookups by rule
    )
    rule_name = models.CharField(max_length=200, blank=True)
    event = models.ForeignKey(
        "hub.EventHistory", null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    retry = models.ForeignKey(
        WebhookRetry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logs",
        db_index=False,  # log_retry: only the attempts that have an entry
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
    # The claim: who holds it (a sender's token) and when its lease was last renewed.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True, default="", editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["delivery_id"], name="log_delivery_id"),
            models.Index(
                fields=["retry"], condition=models.Q(retry__isnull=False), name="log_retry"
            ),
            models.Index(fields=["status", "created_at"], name="log_status_time"),
            models.Index(fields=["rule", "created_at"], name="log_rule_time"),
            models.Index(fields=["model", "created_at"], name="log_model_time"),
            # The lanes' work list: small (only pending rows), read on every claim.
            models.Index(
                fields=["rule", "id"],
                condition=models.Q(status="pending"),
                name="log_pending_lane",
            ),
            # Attempts in flight per lane: pending rows under a lease, counted on every claim.
            models.Index(
                fields=["rule", "claimed_at"],
                condition=models.Q(status="pending"),
                name="log_pending_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.http_method} {self.url} -> {self.status}"


class BreakerState(models.TextChoices):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open", "half-open"


class OnGone(models.TextChoices):
    DEACTIVATE = "deactivate", "Deactivate the rule (nothing new is recorded)"
    PAUSE = "pause", "Pause the rule (new deliveries are held until resumed)"


# The lane's columns by role, for its admin and its API (settings are editable, the rest is state).
LANE_SETTINGS = ("max_in_flight", "rate_limit", "breaker_threshold", "breaker_cooldown", "on_gone")
LANE_PAUSE = ("paused", "paused_at", "paused_reason")
LANE_BREAKER = (
    "breaker_state",
    "breaker_failures",
    "open_until",
    "last_error",
    "last_failure_at",
    "slow_until",
    "last_attempt_at",
    "last_success_at",
)


class Lane(models.Model):
    """One endpoint lane per rule: its sending limits and its live state (see docs/delivery.md).

    Settings: `max_in_flight`, `rate_limit`, the breaker's threshold and cool-down, `on_gone`,
    `paused`. State, written by the senders: breaker, Retry-After pause, rate-limit bucket.
    """

    rule = models.OneToOneField(
        "rules.WebhookRule", primary_key=True, on_delete=models.CASCADE, related_name="lane"
    )
    max_in_flight = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Attempts in flight at once to this endpoint, across all workers and nodes.",
    )
    rate_limit = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01)],
        help_text="Requests per second at most (blank = no limit).",
    )
    # 10, not 5: an endpoint failing 30 % of the time (a flaky one, not a down one) has 5
    # failures in a row about every 30 s at 20 requests/s, 10 in a row about every 2 hours.
    breaker_threshold = models.PositiveIntegerField(
        default=10,
        validators=[MaxValueValidator(1000)],
        help_text="Consecutive failures that open the circuit breaker (0 = never).",
    )
    breaker_cooldown = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="Seconds the breaker stays open the first time; doubles on every failed "
        "probe, up to 10 minutes.",
    )
    on_gone = models.CharField(
        max_length=10,
        choices=OnGone,
        default=OnGone.DEACTIVATE,
        verbose_name="on 410 Gone",
        help_text="What a 410 Gone does to the rule.",
    )
    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True)
    breaker_state = models.CharField(
        max_length=9, choices=BreakerState, default=BreakerState.CLOSED
    )
    breaker_failures = models.PositiveIntegerField(default=0)
    breaker_trips = models.PositiveIntegerField(default=0)  # consecutive opens: cool-down doubles
    open_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    slow_until = models.DateTimeField(null=True, blank=True)  # Retry-After of a 429 / 503
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    tokens = models.FloatField(default=0.0)  # rate-limit bucket (database mode)
    tokens_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "endpoint lane"

    def __str__(self) -> str:
        return f"lane of rule {self.rule_id}"


def new_delivery_id() -> str:
    return "msg_" + uuid.uuid4().hex
