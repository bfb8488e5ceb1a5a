"""django-q2 entry points of the maintenance jobs; each returns a summary string.

The project level may know every app: log retention asks the dashboard to roll up the days
about to lose logs *before* delivery deletes them (history survives the purge), and the
dead-letter report keeps its watermark so a failed report is sent again. The dashboard itself
only reads.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from dashboard.models import JobState
from dashboard.rollups import ensure_rolled_up
from delivery import maintenance

DEAD_LETTERS_JOB = "dead_letters"
# Retries are marked exhausted and committed at once; a minute's margin keeps a late commit
# from falling before the watermark.
DEAD_LETTER_MARGIN = timedelta(minutes=1)
FIRST_REPORT_WINDOW = timedelta(days=1)


def log_retention() -> str:
    """Daily: roll up the days about to lose logs (history survives), then delete in batches."""
    now = timezone.now()
    cutoffs = [c for c in maintenance.retention_cutoffs(now) if c is not None]
    rolled = ensure_rolled_up(before=max(cutoffs), now=now) if cutoffs else []
    summary = maintenance.cleanup_logs(now=now)
    if rolled:
        summary += f"; rolled up {len(rolled)} day(s) first"
    return summary


def dead_letters() -> str:
    """Daily: report deliveries exhausted since the last successful report."""
    state, _ = JobState.objects.get_or_create(name=DEAD_LETTERS_JOB)
    until = timezone.now() - DEAD_LETTER_MARGIN
    since = state.last_until or until - FIRST_REPORT_WINDOW
    result = maintenance.process_dead_letters(
        since=since,
        until=until,
        email=settings.HUB_OPS_EMAIL,
        webhook_url=settings.HUB_OPS_WEBHOOK_URL,
    )
    if result.delivered:
        # Only a delivered report moves the watermark: a failed one is sent again next time.
        state.last_until = until
    state.last_summary = result.summary
    state.save()
    return result.summary
