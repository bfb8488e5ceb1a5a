"""Daily metric rollups (outbound deliveries, inbound requests) and the maintenance jobs' state."""

from __future__ import annotations

from django.db import models


class RollupDay(models.Model):
    """Marks that a day has been rolled up, and up to which instant the rollup is exact.

    Log rows of the day created before ``logs_until`` are counted in DailyMetric; the data
    endpoint reads the rest of the day (the "live tail") from the logs, so its numbers are
    exact. A day without a RollupDay is read live. See docs/dashboard.md, "Rollups".
    """

    day = models.DateField(unique=True)
    computed_at = models.DateTimeField()
    logs_until = models.DateTimeField(help_text="DailyMetric covers logs created before this.")
    inbound_until = models.DateTimeField(
        help_text="DailyInbound covers requests received before this."
    )
    log_rows = models.PositiveIntegerField(default=0, help_text="Log rows counted.")
    pending_rows = models.PositiveIntegerField(default=0, help_text="Counted while still pending.")
    inbound_rows = models.PositiveIntegerField(default=0)
    inbound_open_rows = models.PositiveIntegerField(
        default=0, help_text="Inbound requests counted while not yet in a final state."
    )

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} (until {self.logs_until:%H:%M:%S})"


class DailyMetric(models.Model):
    """WebhookLog counts for one day and one (rule, rule name, model, event code, url) group."""

    day = models.DateField()
    # Identifies the group: url can be 2048 characters (too long for a portable unique index)
    # and SQL unique constraints treat NULL rule ids as distinct, so the group tuple is hashed.
    key = models.CharField(max_length=64)
    rule = models.ForeignKey(
        "rules.WebhookRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_name = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=128, blank=True)
    event_code = models.CharField(max_length=128, blank=True)
    url = models.CharField(max_length=2048)
    success = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    test = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    duration_sum_ms = models.BigIntegerField(default=0, help_text="Over sent rows with a duration.")
    duration_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "url"]
        constraints = [models.UniqueConstraint(fields=["day", "key"], name="dailymetric_day_key")]
        indexes = [
            models.Index(fields=["rule", "day"], name="dailymetric_rule_day"),
            models.Index(fields=["model", "day"], name="dailymetric_model_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.rule_name or self.url}"


class DailyInbound(models.Model):
    """IncomingWebhook counts for one day, processing state and verification status."""

    day = models.DateField()
    state = models.CharField(max_length=10)
    verification_status = models.CharField(max_length=12)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "state"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "state", "verification_status"], name="dailyinbound_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.state}/{self.verification_status}: {self.count}"


class JobState(models.Model):
    """Watermark of a periodic job (e.g. dead letters reported up to `last_until`)."""

    name = models.CharField(max_length=100, unique=True)
    last_until = models.DateTimeField(null=True, blank=True)
    last_summary = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
