"""Delivery maintenance: log retention (batched deletes) and the daily dead-letter summary.

Scheduled from hub/maintenance/ (its tasks wrap these with the metric rollups that must precede
a cleanup and with the dead-letter watermark). Rules are in docs/dashboard.md.
"""

from __future__ import annotations

import json
import logging
import operator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry
from hub.lib import http
from hub.lib.errors import summary_line

logger = logging.getLogger(__name__)

# An exhausted retry is a dead letter waiting for a person: its logs are the evidence needed to
# resolve it, so it counts as open until it is retried (succeeded) or cancelled.
OPEN_RETRY_STATES = (RetryState.PENDING, RetryState.RETRYING, RetryState.EXHAUSTED)
BATCH_SIZE = 1000
MAX_BATCHES = 500  # 500k rows per run at most; the next run continues
REPORT_ITEMS = 50
ERROR_CHARS = 200


# --- retention -------------------------------------------------------------------------------


def retention_cutoffs(now: datetime) -> tuple[datetime | None, datetime | None]:
    """(success/test cutoff, failed cutoff); None when that retention is disabled (<= 0 days)."""
    success_days = settings.HUB_LOG_RETENTION_DAYS
    failed_days = settings.HUB_FAILED_LOG_RETENTION_DAYS
    return (
        now - timedelta(days=success_days) if success_days > 0 else None,
        now - timedelta(days=failed_days) if failed_days > 0 else None,
    )


def deletable_logs(*, now: datetime) -> Q | None:
    """Which logs retention removes now; pending logs and logs of open retries are never removed."""
    success_cutoff, failed_cutoff = retention_cutoffs(now)
    parts = []
    if success_cutoff is not None:
        parts.append(
            Q(status__in=[LogStatus.SUCCESS, LogStatus.TEST], created_at__lt=success_cutoff)
        )
    if failed_cutoff is not None:
        parts.append(Q(status=LogStatus.FAILED, created_at__lt=failed_cutoff))
    if not parts:
        return None
    expired = reduce(operator.or_, parts)
    open_retries = WebhookRetry.objects.filter(state__in=OPEN_RETRY_STATES)
    # Both links: the retry FK, and the delivery id (attempts logged before the retry existed).
    return (
        expired
        & ~Q(retry__in=open_retries.values("id"))
        & ~Q(delivery_id__in=open_retries.values("delivery_id"))
    )


def cleanup_logs(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES
) -> str:
    """Delete expired logs in batches of `batch_size` ids, one short transaction each."""
    now = now or timezone.now()
    condition = deletable_logs(now=now)
    if condition is None:
        return "log retention disabled (HUB_LOG_RETENTION_DAYS and HUB_FAILED_... are 0)"
    counts: dict[str, int] = {LogStatus.SUCCESS: 0, LogStatus.TEST: 0, LogStatus.FAILED: 0}
    batches = 0
    while batches < max_batches:
        batch = list(
            WebhookLog.objects.filter(condition).order_by().values_list("id", "status")[:batch_size]
        )
        if not batch:
            break
        with transaction.atomic():
            WebhookLog.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        for _, status in batch:
            counts[status] = counts.get(status, 0) + 1
        batches += 1
    deleted = sum(counts.values())
    summary = (
        f"deleted {deleted} log(s) ({counts[LogStatus.SUCCESS]} success, "
        f"{counts[LogStatus.TEST]} test, {counts[LogStatus.FAILED]} failed) in {batches} batch(es)"
    )
    if batches == max_batches:
        summary += "; batch limit reached, the next run continues"
    logger.info("log retention: %s", summary)
    return summary


# --- dead letters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    id: int
    delivery_id: str
    rule: str
    url: str
    event: str
    attempts: int
    last_status: int | None
    last_error: str
    exhausted_at: datetime
    admin_url: str


@dataclass
class DeadLetterResult:
    summary: str
    count: int
    delivered: bool  # every configured channel accepted the report (or nothing to report)
    channels: list[str] = field(default_factory=list)


def _absolute_admin_url(name: str, *args: int) -> str:
    try:
        return settings.HUB_PUBLIC_URL.rstrip("/") + reverse(name, args=args)
    except NoReverseMatch:
        return ""


def newly_exhausted(*, since: datetime, until: datetime) -> tuple[int, list[DeadLetter]]:
    """Retries exhausted in (since, until] and still dead letters: the count and the first few."""
    qs = WebhookRetry.objects.filter(
        state=RetryState.EXHAUSTED, exhausted_at__gt=since, exhausted_at__lte=until
    )
    items = [
        DeadLetter(
            id=retry.pk,
            delivery_id=retry.delivery_id,
            rule=retry.rule.name if retry.rule else "(deleted rule)",
            url=retry.rule.url if retry.rule else "",
            event=f"{retry.event.type} #{retry.event.record_id}" if retry.event else "",
            attempts=retry.attempts,
            last_status=retry.last_status,
            last_error=retry.last_error[:ERROR_CHARS],
            exhausted_at=retry.exhausted_at or until,  # never None: the filter bounds it
            admin_url=_absolute_admin_url("admin:delivery_webhookretry_change", retry.pk),
        )
        for retry in qs.select_related("rule", "event").order_by("exhausted_at", "id")[
            :REPORT_ITEMS
        ]
    ]
    return qs.count(), items


def format_report(
    *, count: int, items: list[DeadLetter], since: datetime, until: datetime, list_url: str
) -> tuple[str, str]:
    """(subject, plain-text body) of the dead-letter summary."""
    window = f"between {since:%Y-%m-%d %H:%M} and {until:%Y-%m-%d %H:%M} UTC"
    subject = f"[webhook hub] {count} new dead letter(s)"
    lines = [f"{count} deliveries ran out of retries (dead letters) {window}.", ""]
    for item in items:
        last = f"HTTP {item.last_status}" if item.last_status else "no response"
        lines.append(f"- {item.delivery_id}: rule {item.rule!r} -> {item.url}")
        lines.append(f"  {item.event or 'event unknown'}; {item.attempts} attempt(s); last: {last}")
        if item.last_error:
            lines.append(f"  error: {item.last_error}")
        if item.admin_url:
            lines.append(f"  {item.admin_url}")
    if count > len(items):
        lines.append(f"... and {count - len(items)} more.")
    if list_url:
        lines += ["", f"All dead letters: {list_url}"]
    return subject, "\n".join(lines)


def _post_webhook(*, url: str, subject: str, text: str, count: int, items: list[DeadLetter]) -> str:
    """POST the report as JSON; "" on success, else the error. `text` suits Slack-like hooks."""
    payload = {
        "type": "hub.dead_letters",
        "count": count,
        "text": f"{subject}\n{text}",
        "items": [
            {**item.__dict__, "exhausted_at": item.exhausted_at.isoformat()} for item in items
        ],
    }
    result = http.send(
        method="POST",
        url=url,
        headers={"Content-Type": "application/json", "X-Webhook-Event": "hub.dead_letters"},
        body=json.dumps(payload).encode(),
        timeout=15,
        # The address comes from the server's environment (the operator), not from an API user,
        # and operations endpoints are often internal: the SSRF guard is not needed here.
        allow_private=True,
    )
    if result.outcome is http.Outcome.SUCCESS:
        return ""
    # Chat-style incoming webhooks carry their token in the path, and transport errors quote
    # the path; the error goes to the log and django-q's task result, so hide it (and a query).
    parts = urlsplit(url)
    error = summary_line(result.error) or "not delivered"  # one line: the summary is a message
    for secret in (url, parts._replace(scheme="", netloc="").geturl(), parts.path):
        if len(secret) > 1:
            error = error.replace(secret, "/…")
    return error


def process_dead_letters(
    *, since: datetime, until: datetime, email: str = "", webhook_url: str = ""
) -> DeadLetterResult:
    """Summarise deliveries newly exhausted in (since, until] and send it where configured."""
    count, items = newly_exhausted(since=since, until=until)
    if not count:
        summary = f"no new dead letters since {since:%Y-%m-%d %H:%M} UTC"
        logger.info("dead letters: %s", summary)
        return DeadLetterResult(summary=summary, count=0, delivered=True)
    list_url = _absolute_admin_url("admin:delivery_webhookretry_changelist")
    if list_url:
        list_url += "?state__exact=exhausted"
    subject, text = format_report(
        count=count, items=items, since=since, until=until, list_url=list_url
    )
    logger.warning("dead letters: %s\n%s", subject, text)
    channels, errors = [], []
    recipients = [address.strip() for address in email.split(",") if address.strip()]
    if recipients:
        try:
            send_mail(subject, text, None, recipients)
            channels.append(f"e-mail to {', '.join(recipients)}")
        except Exception as exc:  # noqa: BLE001 - any mail failure: report it, retry next run
            errors.append(f"e-mail failed: {exc}")
    if webhook_url:
        error = _post_webhook(url=webhook_url, subject=subject, text=text, count=count, items=items)
        if error:
            errors.append(f"webhook failed: {error}")
        else:
            channels.append("webhook")
    sent_to = "; sent by " + " and ".join(channels) if channels else "; no channel configured"
    summary = f"{count} new dead letter(s){sent_to}"
    if errors:
        summary += "; " + "; ".join(errors) + " (will be reported again next run)"
        logger.error("dead letters: %s", summary)
    return DeadLetterResult(summary=summary, count=count, delivered=not errors, channels=channels)
