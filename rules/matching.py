"""Which rules an event triggers, and which record paths those rules need to read."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rules.domain import Domain, DomainError, domain_fields, evaluate, parse_domain
from rules.models import WebhookRule
from rules.placeholders import TemplateError, template_paths
from rules.ruleset import active_rules

logger = logging.getLogger(__name__)
ALL_FIELDS = "*"  # in needed_paths: some rule sends the whole record, so read every field


@lru_cache(maxsize=1024)
def parsed_condition(text: str) -> Domain:
    """Parse a condition once per distinct text (the text is the cache key: never stale)."""
    return parse_domain(text)


def candidate_rules(*, model: str) -> Sequence[WebhookRule]:
    """Active rules for ``model`` with their active events and payload fields, from the
    process's rule set (rules.ruleset: one query while the rules are unchanged). Read-only."""
    return active_rules().for_model(model)


def _listens(rule: WebhookRule, model: str, event_code: str) -> bool:
    return (event_code, "") in rule.listened or (event_code, model) in rule.listened


def _condition_holds(rule: WebhookRule, data: dict[str, Any]) -> bool:
    if not rule.condition.strip():
        return True
    try:
        return evaluate(parsed_condition(rule.condition), data)
    except DomainError as exc:
        # Saved conditions are validated; one that slipped past (raw SQL, old data) matches
        # nothing rather than breaking the recording of the event for every other rule.
        logger.warning("rule %s has an invalid condition, skipped: %s", rule.pk, exc)
        return False


def _triggered(rule: WebhookRule, event_code: str, changes: dict[str, Any] | None) -> bool:
    if event_code != "write" or not rule.trigger_fields:
        return True
    return changes is not None and any(f in changes for f in rule.trigger_fields)


def matching_rules(
    *,
    model: str,
    event_code: str,
    connection_id: int | None,
    data: dict[str, Any],
    changes: dict[str, Any] | None,
    candidates: Sequence[WebhookRule] | None = None,
) -> list[WebhookRule]:
    """The active rules that fire for this event, with events and payload fields prefetched.

    ``candidates`` (``candidate_rules(model=...)``, or ``RuleSet.for_model``) lets a caller
    matching many events read the process's rule set once.
    """
    rules = candidate_rules(model=model) if candidates is None else candidates
    return [
        rule
        for rule in rules
        if rule.active
        and rule.model == model
        and _listens(rule, model, event_code)
        and (rule.connection_id is None or rule.connection_id == connection_id)
        and _triggered(rule, event_code, changes)
        and _condition_holds(rule, data)
    ]


def why_not(
    rule: WebhookRule,
    *,
    model: str,
    event_code: str,
    connection_id: int | None,
    data: dict[str, Any],
    changes: dict[str, Any] | None,
) -> str:
    """Empty when the rule fires for this event, else the first reason it does not, checked in
    matching_rules' order (the per-record trace explains each rule with it). The rule's events
    must be prefetched active-only, as candidate_rules does."""
    if not rule.active:
        return "rule inactive"
    if rule.model != model:
        return f"rule is for {rule.model}"
    if not _listens(rule, model, event_code):
        return f"event code {event_code!r} not watched by the rule"
    if rule.connection_id is not None and rule.connection_id != connection_id:
        return "rule is limited to another Odoo connection"
    if not _triggered(rule, event_code, changes):
        return "no trigger field changed (" + ", ".join(map(str, rule.trigger_fields)) + ")"
    if not _condition_holds(rule, data):
        return "condition false"
    return ""


def rule_paths(rule: WebhookRule) -> set[str]:
    """The record paths one rule reads: payload sources, template placeholders, condition."""
    fields = list(rule.payload_fields.all())
    paths: set[str] = set()
    included = [f for f in fields if f.include]
    if not fields:
        paths.add(ALL_FIELDS)
    for field in included:
        if field.source_path:
            paths.add(field.source_path)
        if field.transform == "template":
            try:
                paths |= template_paths(field.transform_arg)
            except TemplateError:
                pass  # validated at save time; an invalid one renders nothing
    try:
        paths |= domain_fields(parsed_condition(rule.condition))
    except DomainError:
        pass
    paths.update(f for f in rule.trigger_fields if isinstance(f, str))
    return paths


def needed_paths(*, model: str, connection_id: int | None) -> set[str]:
    """Every record path the active rules for ``model`` (on this connection) read.

    Contains ``"*"`` when some rule has no payload fields (its ``data`` is the whole record).
    """
    paths: set[str] = set()
    for rule in candidate_rules(model=model):
        if rule.connection_id is None or rule.connection_id == connection_id:
            paths |= rule_paths(rule)
    return paths
