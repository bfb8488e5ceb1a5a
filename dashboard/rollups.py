"""Metric rollups: one day of WebhookLog / IncomingWebhook counts, grouped, recomputed idempotently.

A rollup of day D counts the rows created before a cutoff (``logs_until``): the end of D, or
earlier while D is open or has young in-flight rows. The data endpoint adds the rows after the
cutoff live, so rollup + tail always equal the logs. Days older than the retention window are
frozen: their logs may already be cleaned up, recomputing would lose history.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from dashboard.metrics import InboundRow, MetricRow, group_key
from dashboard.models import DailyInbound, DailyMetric, RollupDay
from delivery.models import LogStatus, WebhookLog
from inbound.models import IncomingWebhook, ProcessingState

logger = logging.getLogger(__name__)

# Rows younger than this may belong to transactions not yet committed: always read them live.
SETTLE = timedelta(minutes=2)
# In-flight rows (pending logs, unfinished inbound requests) younger than this keep the cutoff
# before them, so they are read live until they finish; older ones are counted as they stand
# and their day is recomputed by the schedule until they finish (see rollup_recent).
IN_FLIGHT_HORIZON = timedelta(hours=1)
SENT = (LogStatus.SUCCESS, LogStatus.FAILED)
LOOKBACK_DAYS = 90


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the current time zone."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end


def frozen_before(now: datetime) -> date:
    """Days before this one may have lost logs to the retention job: never recomputed."""
    keep = min(settings.HUB_LOG_RETENTION_DAYS, settings.HUB_FAILED_LOG_RETENTION_DAYS)
    return timezone.localdate(now - timedelta(days=keep))


def narrowed(
    qs: QuerySet, *, rule_id: int | None, model: str | None, model_field: str = "model"
) -> QuerySet:
    """The rows of one rule and/or one Odoo model, when the dashboard is filtered so."""
    if rule_id is not None:
        qs = qs.filter(rule_id=rule_id)
    if model is not None:
        qs = qs.filter(**{model_field: model})
    return qs


def aggregate_logs(
    *,
    day: date,
    start: datetime,
    end: datetime,
    rule_id: int | None = None,
    model: str | None = None,
) -> list[MetricRow]:
    """One GROUP BY over the logs created in [start, end), which must lie within `day`."""
    qs = WebhookLog.objects.filter(created_at__gte=start, created_at__lt=end)
    qs = narrowed(qs, rule_id=rule_id, model=model)
    sent = Q(status__in=SENT)
    grouped = (
        qs.order_by()
        .values("rule_id", "rule_name", "model", "event_code", "url")
        .annotate(
            n_success=Count("id", filter=Q(status=LogStatus.SUCCESS)),
            n_failed=Count("id", filter=Q(status=LogStatus.FAILED)),
            n_test=Count("id", filter=Q(status=LogStatus.TEST)),
            n_pending=Count("id", filter=Q(status=LogStatus.PENDING)),
            duration_sum=Sum("duration_ms", filter=sent),
            duration_count=Count("duration_ms", filter=sent),
        )
    )
    return [
        MetricRow(
            day=day,
            rule_id=g["rule_id"],
            rule_name=g["rule_name"],
            model=g["model"],
            event_code=g["event_code"],
            url=g["url"],
            success=g["n_success"],
            failed=g["n_failed"],
            test=g["n_test"],
            pending=g["n_pending"],
            duration_sum_ms=g["duration_sum"] or 0,
            duration_count=g["duration_count"],
        )
        for g in grouped
    ]


def aggregate_inbound(*, day: date, start: datetime, end: datetime) -> list[InboundRow]:
    grouped = (
        IncomingWebhook.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values("state", "verification_status")
        .annotate(n=Count("id"))
    )
    return [InboundRow(day, g["state"], g["verification_status"], g["n"]) for g in grouped]


def _inbound_open() -> Q:
    """Inbound requests whose state may still change."""
    return Q(state__in=[ProcessingState.RECEIVED, ProcessingState.PROCESSING]) | Q(
        state=ProcessingState.FAILED, next_retry_at__isnull=False
    )


def _cutoffs(*, start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """Where the exact part of the day ends for the logs and for the inbound requests."""
    base = max(start, min(end, now - SETTLE))
    young = max(start, now - IN_FLIGHT_HORIZON)
    first_pending = WebhookLog.objects.filter(
        status=LogStatus.PENDING, created_at__gte=young, created_at__lt=base
    ).aggregate(first=Min("created_at"))["first"]
    first_open = IncomingWebhook.objects.filter(
        _inbound_open(), received_at__gte=young, received_at__lt=base
    ).aggregate(first=Min("received_at"))["first"]
    return min(base, first_pending or base), min(base, first_open or base)


def rollup(*, day: date, now: datetime | None = None, force: bool = False) -> RollupDay | None:
    """Recompute one day's rollups from the logs (idempotent). None when skipped.

    Skipped: future days, and frozen days (older than the retention window) that already have
    a rollup, unless `force` (their logs may be partly deleted; the rollup is the history).
    """
    now = now or timezone.now()
    start, end = day_bounds(day)
    if start > now:
        return None
    with transaction.atomic():
        # The locked marker serialises concurrent rollups of the same day across workers.
        marker, created = RollupDay.objects.select_for_update().get_or_create(
            day=day, defaults={"computed_at": now, "logs_until": start, "inbound_until": start}
        )
        if not created and not force and day < frozen_before(now):
            logger.info("rollup %s skipped: older than the retention window", day)
            return None
        logs_until, inbound_until = _cutoffs(start=start, end=end, now=now)
        rows = aggregate_logs(day=day, start=start, end=logs_until)
        inbound = aggregate_inbound(day=day, start=start, end=inbound_until)
        DailyMetric.objects.filter(day=day).delete()
        DailyMetric.objects.bulk_create(
            [_metric(row) for row in rows if row.sent + row.test + row.pending], batch_size=500
        )
        DailyInbound.objects.filter(day=day).delete()
        DailyInbound.objects.bulk_create(
            [DailyInbound(**asdict(r)) for r in inbound], batch_size=500
        )
        marker.computed_at = now
        marker.logs_until = logs_until
        marker.inbound_until = inbound_until
        marker.log_rows = sum(r.sent + r.test + r.pending for r in rows)
        marker.pending_rows = sum(r.pending for r in rows)
        marker.inbound_rows = sum(r.count for r in inbound)
        marker.inbound_open_rows = (
            IncomingWebhook.objects.filter(_inbound_open(), received_at__gte=start)
            .filter(received_at__lt=inbound_until)
            .count()
        )
        marker.save()
    return marker


def _metric(row: MetricRow) -> DailyMetric:
    key = group_key(
        rule_id=row.rule_id,
        rule_name=row.rule_name,
        model=row.model,
        event_code=row.event_code,
        url=row.url,
    )
    return DailyMetric(key=key, **asdict(row))  # a column per MetricRow field


def needs_rollup(marker: RollupDay | None, *, day: date) -> bool:
    """True when a day's rollup is missing, stops before the day's end or counted in-flight rows."""
    if marker is None:
        return True
    _, end = day_bounds(day)
    incomplete = marker.logs_until < end or marker.inbound_until < end
    return incomplete or bool(marker.pending_rows or marker.inbound_open_rows)


def rollup_recent(
    *, now: datetime | None = None, lookback: int = LOOKBACK_DAYS, max_days: int = 31
) -> str:
    """The schedule: today, yesterday, and up to `max_days` older days that need a rollup."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    oldest = max(today - timedelta(days=lookback - 1), frozen_before(now))
    markers = {m.day: m for m in RollupDay.objects.filter(day__gte=oldest, day__lte=today)}
    candidates = [today - timedelta(days=n) for n in range(2, (today - oldest).days + 1)]
    older = [day for day in candidates if needs_rollup(markers.get(day), day=day)]
    days = [today, today - timedelta(days=1), *older[:max_days]]
    done = [day for day in days if rollup(day=day, now=now) is not None]
    summary = f"rolled up {len(done)} day(s): {describe_days(done)}"
    if len(older) > max_days:
        summary += f"; {len(older) - max_days} more day(s) next run"
    logger.info("metrics %s", summary)
    return summary


def describe_days(days: list[date]) -> str:
    if len(days) <= 5:
        return ", ".join(day.isoformat() for day in days)
    return f"{min(days).isoformat()} .. {max(days).isoformat()}"


def rollup_days(*, days: int, now: datetime | None = None, force: bool = False) -> list[date]:
    """On demand (`manage.py rollup_metrics --days N`): the last N days, today included."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted = [today - timedelta(days=offset) for offset in range(days)]
    return [day for day in wanted if rollup(day=day, now=now, force=force) is not None]


def ensure_rolled_up(*, before: datetime, now: datetime | None = None) -> list[date]:
    """Give every day with logs created before `before` a rollup first (the retention job)."""
    now = now or timezone.now()
    first = WebhookLog.objects.filter(created_at__lt=before).aggregate(m=Min("created_at"))["m"]
    if first is None:
        return []
    day, last = timezone.localdate(first), timezone.localdate(before)
    markers = {m.day: m for m in RollupDay.objects.filter(day__gte=day, day__lte=last)}
    done = []
    while day <= last:
        _, end = day_bounds(day)
        marker = markers.get(day)
        if marker is None or marker.logs_until < end:
            # Nothing of this day was deleted yet (every deletion is preceded by this), so a
            # forced recompute is complete.
            if rollup(day=day, now=now, force=True) is not None:
                done.append(day)
        day += timedelta(days=1)
    return done
