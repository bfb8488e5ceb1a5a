"""The webhook rule admin as the project assembles it (imported by hub/admin.py).

rules.admin.WebhookRuleAdmin holds the rule's own pages; delivery.admin.SendTestRuleAdmin, a
subclass, adds "send test now"; "record a test event" is an entry point of the outbound flow,
like ``POST /api/emit/``, so it records through hub.events here. The project may know every
app (as hub/urls.py does), so it is the one place that registers the combination and no
lower app imports a higher one.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from delivery.admin import MAX_TESTS_PER_ACTION, SendTestRuleAdmin
from hub.events import NewEvent, record_event
from rules.models import WebhookRule
from rules.samples import sample_event


@admin.register(WebhookRule)
class WebhookRuleAdmin(SendTestRuleAdmin):
    actions = (
        "send_test_now",
        "record_test_event",
        "rotate_signing_secret",
        "drop_previous_secrets",
    )

    @admin.action(
        description="Record a test event (sample record, matched against every rule)",
        permissions=["change"],
    )
    def record_test_event(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Unlike "send test now", this goes the whole way: event history, matching (conditions,
        # trigger fields, every rule of the model), pending deliveries, queue, retries.
        for rule in queryset[:MAX_TESTS_PER_ACTION]:
            sample = sample_event(rule=rule)
            history = record_event(
                NewEvent(
                    model=sample.model,
                    event_code=sample.event_code,
                    record_id=sample.record_id,
                    data=sample.data,
                    changes=sample.changes,
                    source="admin-test",
                )
            )
            self.message_user(
                request,
                f"{rule.name}: recorded {history.type} event {history.event_id}; "
                f"{history.rules_triggered} rule(s) matched and were queued.",
                messages.SUCCESS if history.rules_triggered else messages.WARNING,
            )
