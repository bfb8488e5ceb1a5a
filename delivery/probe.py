""" "Send test now", the entry point behind the API route and the admin button of a rule.

A sample event of the rule's model (rules.samples), planned like any delivery (rules.planning),
sent now as a probe (delivery.services.send_test). The one delivery module that uses rules
beyond its models: a call down the layers (rules sits below delivery), made only here.
"""

from __future__ import annotations

from delivery import services
from delivery.models import WebhookLog
from rules.models import WebhookRule
from rules.planning import plan_one
from rules.samples import sample_event


def send_test_now(*, rule: WebhookRule) -> WebhookLog:
    """Send a sample delivery of ``rule`` now and return its log (not retried, no event row)."""
    event = sample_event(rule=rule)
    return services.send_test(event=event, planned=plan_one(rule=rule, event=event))
