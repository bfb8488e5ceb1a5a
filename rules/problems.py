"""Problems of a rule found by the layers above rules (e.g. fields Odoo no longer has).

rules sits below the Odoo connector, so it cannot ask Odoo itself: the connector registers a
check here at start-up (hub.apps), and the rule API and admin show what the checks return.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from rules.models import WebhookRule

logger = logging.getLogger(__name__)
Check = Callable[[WebhookRule], list[str]]
CHECKS: list[Check] = []


def register(check: Check) -> None:
    if check not in CHECKS:
        CHECKS.append(check)


def problems_for(rule: WebhookRule) -> list[str]:
    """Every registered check's lines; a check that breaks is logged, never raised."""
    found: list[str] = []
    for check in CHECKS:
        try:
            found += check(rule)
        except Exception:
            logger.exception("rule %s: problem check %s failed", rule.pk, check)
    return found
