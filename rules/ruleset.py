"""The active rules and event codes, loaded once per version of the rule tables, per process.

Recording an event needs the active rules of its model (with their active events and payload
fields) and, for ``POST /api/emit/``, whether its event code is active. Read per event these
were four ORM queries, most of an emit's cost. Each process instead keeps the last set it
loaded, tagged with the version token of the rule tables, and reads that token (one
primary-key lookup) every time it is asked. Database triggers (migration ``rules`` 0005) give
the token a new random value in the same transaction as any insert, update, delete or truncate
of rules, events, payload fields or a rule's event list, whoever makes it: the admin, the API,
a queryset ``update()``, raw SQL, another process or node. So the set handed out is never
older than the token read just before: no staleness beyond that of reading the tables
directly, in every gunicorn worker, queue worker and poller. A change rolled back leaves the
old token (and a random token never comes back, as a counter would after a rollback).

The instances are shared by the process's threads: callers only read them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from rules.models import PayloadField, RulesVersion, WebhookEvent, WebhookRule


@dataclass(frozen=True)
class RuleSet:
    """The active rules by model and the active event codes, as of one version token."""

    version: str | None
    event_codes: frozenset[str]
    by_model: Mapping[str, tuple[WebhookRule, ...]]

    def for_model(self, model: str) -> tuple[WebhookRule, ...]:
        return self.by_model.get(model, ())


_current: RuleSet | None = None


_UNREAD: Any = object()


def active_rules(*, version: str | None = _UNREAD) -> RuleSet:
    """The current rule set: the cached one while the stored token is unchanged, else loaded
    anew (and cached when the database keeps a token). ``version``: the token, when the
    caller read it already in one of its own statements (``version_subquery``)."""
    global _current
    if version is _UNREAD or not RulesVersion.kept():
        version = RulesVersion.stored()
    current = _current
    if version is not None and current is not None and current.version == version:
        return current
    loaded = _load(version)
    if version is not None:
        _current = loaded
    return loaded


def version_subquery() -> str:
    """The token as a scalar subquery, for a caller to read it in a statement it runs anyway
    (the emit's token lookup) and pass it to ``active_rules(version=...)``: one round trip
    less, the same freshness (the token is read before the rules are used)."""
    return "(" + RulesVersion.token_sql() + ")"


def rules_by_id(ids: Iterable[int]) -> dict[int, WebhookRule]:
    """These rules as matching hands them out (active events, payload fields): from the cached
    set, the ones no longer active from the database; a deleted rule is left out."""
    wanted = set(ids)
    found = {
        rule.pk: rule
        for rules in active_rules().by_model.values()
        for rule in rules
        if rule.pk in wanted
    }
    if missing := wanted - found.keys():
        found.update(
            (rule.pk, rule) for rule in _with_related(WebhookRule.objects.filter(pk__in=missing))
        )
    return found


def _with_related(rules: QuerySet[WebhookRule]) -> QuerySet[WebhookRule]:
    return rules.prefetch_related(
        Prefetch("events", queryset=WebhookEvent.objects.filter(active=True)),
        Prefetch("payload_fields", queryset=PayloadField.objects.order_by("sequence", "id")),
    )


def _load(version: str | None) -> RuleSet:
    """Every active rule with its active events and payload fields, and the active codes
    (four queries). The token was read first: what is loaded is at least as new as it."""
    rules = _with_related(WebhookRule.objects.filter(active=True))
    by_model: defaultdict[str, list[WebhookRule]] = defaultdict(list)
    for rule in rules:  # ordered by name, as each model's list keeps
        rule.listened  # noqa: B018 - computed before the instance is shared between threads
        by_model[rule.model].append(rule)
    codes = WebhookEvent.objects.filter(active=True).values_list("code", flat=True)
    return RuleSet(
        version=version,
        event_codes=frozenset(codes),
        by_model={model: tuple(found) for model, found in by_model.items()},
    )
