"""Schema drift: rules and hooks that name a field Odoo no longer has (from cached fields_get).

fields_get answers are cached per (connection, model) in the Django cache for
``FIELDS_CACHE_SECONDS`` (hub.odoo.fields); a failed look-up is cached for a minute, so a list of
rules on an unreachable Odoo costs one timeout, not one per rule. A problem is one line naming
where the field is used, e.g. ``condition: sale.order has no field 'x_old'``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache

from hub.odoo.client import OdooClient, OdooError
from hub.odoo.fields import ALL_FIELDS, RELATIONAL, Describe, cache_key, cached_describe
from hub.odoo.models import ModelHook, OdooConnection
from rules.domain import DomainError, domain_fields, parse_domain
from rules.models import WebhookRule
from rules.placeholders import TemplateError, template_paths

logger = logging.getLogger(__name__)
FAILED_SECONDS = 60


# --- pure core ---------------------------------------------------------------------------------
def missing_in_path(path: str, *, model: str, describe: Describe) -> str | None:
    """The first segment of a dotted path that is not a field of its model, as "model.field"."""
    current = model
    segments = [s for s in path.split(".") if s and not s.isdigit()]
    for i, segment in enumerate(segments):
        info = describe(current).get(segment)
        if info is None:
            return f"{current} has no field {segment!r}"
        if i + 1 < len(segments):
            if info.get("type") not in RELATIONAL or not info.get("relation"):
                return None  # a path into a JSON value or a plain field: not a field name
            current = info["relation"]
    return None


def problems_in(
    uses: Iterable[tuple[str, str]], *, model: str, describe: Describe, where: str = ""
) -> list[str]:
    """One line per (use, path) whose path names a field Odoo does not have."""
    found: list[str] = []
    for use, path in uses:
        if not path or path == ALL_FIELDS:
            continue
        missing = missing_in_path(path, model=model, describe=describe)
        if missing:
            line = f"{use}: {missing}" + (f" (path {path!r})" if "." in path else "")
            found.append(line + where)
    return list(dict.fromkeys(found))


def _domain_paths(text: str) -> set[str]:
    try:
        return set(domain_fields(parse_domain(text))) if text.strip() else set()
    except DomainError:
        return set()  # validated on save; an invalid domain is its own error


def rule_uses(rule: WebhookRule) -> list[tuple[str, str]]:
    uses: list[tuple[str, str]] = []
    for field in rule.payload_fields.all():
        if not field.include:
            continue
        uses.append((f"payload field {field.key!r}", field.source_path))
        if field.transform == "template":
            try:
                uses += [
                    (f"payload field {field.key!r} template", p)
                    for p in sorted(template_paths(field.transform_arg))
                ]
            except TemplateError:
                pass
    uses += [("condition", p) for p in sorted(_domain_paths(rule.condition))]
    uses += [("trigger field", f) for f in rule.trigger_fields if isinstance(f, str)]
    return uses


def hook_uses(hook: ModelHook) -> list[tuple[str, str]]:
    uses = [("tracked field", f) for f in hook.tracked_fields or [] if isinstance(f, str)]
    return uses + [("domain", p) for p in sorted(_domain_paths(hook.domain))]


# --- fields_get through the cache ---------------------------------------------------------------
def _failed_key(connection_id: int, model: str) -> str:
    return cache_key(connection_id, model) + ":failed"


def describer(conn: OdooConnection, client: OdooClient | None = None) -> Describe:
    """fields_get per model for this connection: cached, and a failure cached for a minute
    (raised again as OdooError from the cache without calling Odoo)."""
    own = client or OdooClient.for_connection(conn)
    cached = cached_describe(conn.pk, own)

    def describe(model: str) -> dict[str, dict[str, Any]]:
        failed = cache.get(_failed_key(conn.pk, model))
        if failed:
            raise OdooError(failed)
        try:
            return cached(model)
        except OdooError as exc:
            cache.set(_failed_key(conn.pk, model), exc.message or str(exc), FAILED_SECONDS)
            raise

    return describe


def forget_fields(connection_id: int, model: str) -> None:
    """Drop the cached fields_get (a poll error may mean the model changed)."""
    cache.delete_many([cache_key(connection_id, model), _failed_key(connection_id, model)])


def _check(uses: list[tuple[str, str]], *, model: str, conn: OdooConnection, multi: bool) -> list:
    where = f" on connection {conn.name!r}" if multi else ""
    try:
        return problems_in(uses, model=model, describe=describer(conn), where=where)
    except OdooError as exc:
        from hub.odoo.state import describe_error

        return [f"fields not checked{where}: {describe_error(exc)}"]


def rule_connections(rule: WebhookRule) -> list[OdooConnection]:
    """The connection a rule is tied to; else every active connection with a hook on its model
    (or the first active connection, as the field picker does)."""
    if rule.connection_id is not None:
        return [rule.connection] if rule.connection else []
    hooked = list(
        OdooConnection.objects.filter(active=True, hooks__model=rule.model, hooks__active=True)
        .distinct()
        .order_by("pk")
    )
    if hooked:
        return hooked
    first = OdooConnection.objects.filter(active=True).order_by("pk").first()
    return [first] if first else []


def rule_problems(rule: WebhookRule) -> list[str]:
    uses = rule_uses(rule)
    if not uses:
        return []
    conns = rule_connections(rule)
    problems: list[str] = []
    for conn in conns:
        problems += _check(uses, model=rule.model, conn=conn, multi=len(conns) > 1)
    return problems


def hook_problems(hook: ModelHook, client: OdooClient | None = None) -> list[str]:
    uses = hook_uses(hook)
    if not uses:
        return []
    conn = hook.connection
    try:
        return problems_in(uses, model=hook.model, describe=describer(conn, client))
    except OdooError as exc:
        from hub.odoo.state import describe_error

        return [f"fields not checked: {describe_error(exc)}"]


def all_problems() -> list[tuple[str, str]]:
    """(what, problem) for every active hook and rule: the check_odoo_fields command."""
    found: list[tuple[str, str]] = []
    hooks = ModelHook.objects.filter(active=True, connection__active=True).select_related(
        "connection"
    )
    for hook in hooks:
        found += [(f"hook {hook.pk} {hook}", p) for p in hook_problems(hook)]
    rules = (
        WebhookRule.objects.filter(active=True)
        .select_related("connection")
        .prefetch_related("payload_fields")
    )
    for rule in rules:
        found += [(f"rule {rule.pk} {rule.name!r} ({rule.model})", p) for p in rule_problems(rule)]
    return found
