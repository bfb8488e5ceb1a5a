"""/metrics: a Prometheus collector that reads the hub's tables on every scrape.

Why from the tables and not in-process counters: the hub runs as several processes (gunicorn
workers, django-q2 workers, the poller) on several nodes and restarts; the database is the one
place that sees every delivery. Each scrape runs a handful of aggregate queries on indexed
columns. Meanings and alert rules: docs/operations.md, "Metrics".

- Counters (monotonic, survive restarts): delivery attempts by rule and outcome, from the daily
  rollups (dashboard.DailyMetric, kept after log retention) plus the logs they do not cover yet.
- Gauges of the current state: pending deliveries and the oldest one's age, retry queue, dead
  letters, queue backlog, Odoo poll lag and errors.
- Gauges over the last HUB_METRICS_WINDOW seconds: attempt latency (a gauge histogram) and
  inbound requests by source and result (rejected rows are pruned, so no exact counter exists).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder

from dashboard.models import DailyMetric, RollupDay
from dashboard.rollups import day_bounds
from delivery.models import BreakerState, Lane, LogStatus, RetryState, WebhookLog, WebhookRetry
from hub.models import ModelHook, OdooConnection
from inbound.models import IncomingWebhook

logger = logging.getLogger(__name__)

# Attempt duration buckets, seconds (the log stores milliseconds).
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OUTCOMES = {"success": LogStatus.SUCCESS, "failed": LogStatus.FAILED, "test": LogStatus.TEST}


def uncovered_by_rollups(markers: list[tuple[datetime, datetime]]) -> Q:
    """WebhookLog rows not counted in DailyMetric: outside every [day start, logs_until)."""
    covered: list[list[datetime]] = []
    for start, until in sorted(markers):
        if covered and covered[-1][1] >= start:
            covered[-1][1] = max(covered[-1][1], until)
        elif until > start:
            covered.append([start, until])
    if not covered:
        return Q()
    gaps = Q(created_at__lt=covered[0][0]) | Q(created_at__gte=covered[-1][1])
    for (_, end), (next_start, _) in zip(covered, covered[1:], strict=False):
        gaps |= Q(created_at__gte=end, created_at__lt=next_start)
    return gaps


def delivery_attempts() -> Iterator[Metric]:
    family = CounterMetricFamily(
        "hub_delivery_attempts",
        "Delivery attempts (HTTP requests to webhook targets) by rule and outcome.",
        labels=["rule_id", "rule", "outcome"],
    )
    totals: dict[tuple[str, str], dict[str, int]] = {}
    rolled = (
        DailyMetric.objects.order_by()
        .values("rule_id", "rule_name")
        .annotate(success=Sum("success"), failed=Sum("failed"), test=Sum("test"))
    )
    for row in rolled:
        counts = totals.setdefault((str(row["rule_id"] or ""), row["rule_name"]), {})
        for outcome in OUTCOMES:
            counts[outcome] = counts.get(outcome, 0) + (row[outcome] or 0)
    markers = [
        (day_bounds(day)[0], until)
        for day, until in RollupDay.objects.values_list("day", "logs_until")
    ]
    live = (
        WebhookLog.objects.filter(uncovered_by_rollups(markers), status__in=OUTCOMES.values())
        .order_by()
        .values("rule_id", "rule_name", "status")
        .annotate(n=Count("id"))
    )
    for row in live:
        counts = totals.setdefault((str(row["rule_id"] or ""), row["rule_name"]), {})
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
    for (rule_id, rule), counts in sorted(totals.items()):
        # success and failed always appear (a rate over a missing series is no rate at all).
        for outcome in OUTCOMES:
            if outcome != "test" or counts.get(outcome):
                family.add_metric([rule_id, rule, outcome], counts.get(outcome, 0))
    yield family


def attempt_latency(now: datetime) -> Iterator[Metric]:
    since = now - timedelta(seconds=settings.HUB_METRICS_WINDOW)
    sent = WebhookLog.objects.filter(
        status__in=[LogStatus.SUCCESS, LogStatus.FAILED],
        created_at__gte=since,
        duration_ms__isnull=False,
    )
    counts = sent.aggregate(
        total=Count("id"),
        total_ms=Sum("duration_ms"),
        **{
            f"le_{i}": Count("id", filter=Q(duration_ms__lte=b * 1000))
            for i, b in enumerate(LATENCY_BUCKETS)
        },
    )
    buckets = [(str(b), counts[f"le_{i}"]) for i, b in enumerate(LATENCY_BUCKETS)]
    buckets.append(("+Inf", counts["total"]))
    yield GaugeHistogramMetricFamily(
        "hub_delivery_attempt_duration_seconds",
        f"Duration of the delivery attempts sent in the last {settings.HUB_METRICS_WINDOW} s.",
        buckets=buckets,
        gsum_value=(counts["total_ms"] or 0) / 1000,
    )


def delivery_queues(now: datetime) -> Iterator[Metric]:
    pending = WebhookLog.objects.filter(status=LogStatus.PENDING).aggregate(
        n=Count("id"), oldest=Min("created_at")
    )
    yield GaugeMetricFamily(
        "hub_deliveries_pending", "Deliveries created and not sent yet.", value=pending["n"]
    )
    age = (now - pending["oldest"]).total_seconds() if pending["oldest"] else 0.0
    yield GaugeMetricFamily(
        "hub_deliveries_oldest_pending_age_seconds",
        "Age of the oldest delivery not sent yet (0 when none).",
        value=max(age, 0.0),
    )
    retries = WebhookRetry.objects.aggregate(
        queue=Count("id", filter=Q(state__in=[RetryState.PENDING, RetryState.RETRYING])),
        dead=Count("id", filter=Q(state=RetryState.EXHAUSTED)),
    )
    yield GaugeMetricFamily(
        "hub_retry_queue", "Deliveries waiting for a retry.", value=retries["queue"]
    )
    yield GaugeMetricFamily(
        "hub_dead_letters", "Deliveries out of attempts (dead letters).", value=retries["dead"]
    )


def inbound_requests(now: datetime) -> Iterator[Metric]:
    since = now - timedelta(seconds=settings.HUB_METRICS_WINDOW)
    family = GaugeMetricFamily(
        "hub_inbound_requests_recent",
        f"Inbound webhook requests received in the last {settings.HUB_METRICS_WINDOW} s, "
        "by source and result (processing state).",
        # The source's name, not its slug: a `none`-verified source's slug is its secret.
        labels=["source_id", "source", "result"],
    )
    rows = (
        IncomingWebhook.objects.filter(received_at__gte=since)
        .order_by()
        .values("source_id", "source__name", "state")
        .annotate(n=Count("id"))
    )
    for row in sorted(rows, key=lambda r: (r["source_id"], r["state"])):
        family.add_metric([str(row["source_id"]), row["source__name"], row["state"]], row["n"])
    yield family


def odoo_polls(now: datetime) -> Iterator[Metric]:
    lag = GaugeMetricFamily(
        "hub_odoo_poll_lag_seconds",
        "Seconds since an active hook was last polled (since it was created if never).",
        labels=["connection", "model"],
    )
    error = GaugeMetricFamily(
        "hub_odoo_poll_error",
        "1 when the hook's or its connection's last poll failed (details in the admin).",
        labels=["connection", "model"],
    )
    hooks = ModelHook.objects.filter(active=True, connection__active=True).values_list(
        "connection__name",
        "model",
        "last_poll_at",
        "created_at",
        "last_error",
        "connection__consecutive_failures",
    )
    for name, model, polled, created, hook_error, failures in hooks:
        lag.add_metric([name, model], max((now - (polled or created)).total_seconds(), 0.0))
        error.add_metric([name, model], 1.0 if hook_error or failures else 0.0)
    yield lag
    yield error
    failing = GaugeMetricFamily(
        "hub_odoo_connection_failures",
        "Consecutive failed polls of an active Odoo connection.",
        labels=["connection"],
    )
    for name, failures in OdooConnection.objects.filter(active=True).values_list(
        "name", "consecutive_failures"
    ):
        failing.add_metric([name], failures)
    yield failing


def queue_backlog(now: datetime) -> Iterator[Metric]:
    from django_q.conf import Conf
    from django_q.models import OrmQ

    if settings.REDIS_URL:
        from hub.ops.health import redis_client

        broker, size = (
            "redis",
            redis_client(settings.REDIS_URL).llen(f"django_q:{Conf.CLUSTER_NAME}:q"),
        )
    else:
        broker = "orm"
        size = OrmQ.objects.filter(key=Conf.CLUSTER_NAME, lock__lte=now).count()
    family = GaugeMetricFamily(
        "hub_queue_backlog", "Tasks waiting in the django-q2 queue.", labels=["broker"]
    )
    family.add_metric([broker], size)
    yield family


def delivery_lanes(now: datetime) -> Iterator[Metric]:
    """Per lane (one per rule, labelled by the rule's name): breaker open, paused."""
    breaker = GaugeMetricFamily(
        "hub_delivery_breaker_open",
        "1 while the lane's circuit breaker is open or half-open.",
        labels=["endpoint"],
    )
    paused = GaugeMetricFamily(
        "hub_delivery_lane_paused", "1 while the lane is paused.", labels=["endpoint"]
    )
    for name, state, is_paused in Lane.objects.values_list("rule__name", "breaker_state", "paused"):
        breaker.add_metric([name], float(state != BreakerState.CLOSED))
        paused.add_metric([name], float(is_paused))
    yield breaker
    yield paused


# Each part is independent: one failing (the broker down) leaves the others in the scrape.
PARTS: dict[str, Callable[[datetime], Iterable[Metric]]] = {
    "deliveries": lambda now: delivery_attempts(),
    "latency": attempt_latency,
    "queues": delivery_queues,
    "lanes": delivery_lanes,
    "inbound": inbound_requests,
    "odoo": odoo_polls,
    "backlog": queue_backlog,
}


class HubCollector:
    """Fresh numbers on every scrape (no state kept between scrapes)."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily(
            "hub_metrics_part_up",
            "1 when this part of the metrics was read, 0 when it failed (see the logs).",
            labels=["part"],
        )
        for name, part in PARTS.items():
            try:
                metrics = list(part(now))
            except Exception as exc:
                # A warning, not a traceback: a broker outage would log one per scrape.
                logger.warning("metrics part %s failed: %s", name, exc)
                up.add_metric([name], 0.0)
                continue
            yield from metrics
            up.add_metric([name], 1.0)
        yield up
        info = GaugeMetricFamily("hub_info", "The hub's version.", labels=["version"])
        info.add_metric([settings.HUB_VERSION], 1.0)
        yield info


registry = CollectorRegistry(auto_describe=False)
registry.register(HubCollector())


def render(accept: str = "") -> tuple[bytes, str]:
    """The body and its content type, in the format the scraper asks for (Accept header)."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type
