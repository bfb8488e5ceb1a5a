"""Connector services: poll a connection's hooks, poll or backfill one hook, find due connections.

Errors never escape as tracebacks to the admin: connection-wide ones (Odoo down, login refused)
land on the connection with a backoff; model-specific ones (unknown model or field, access
rules) on the hook; the cursor only moves with committed events, so nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from hub.models import ModelHook, OdooConnection
from hub.odoo import drift, state
from hub.odoo.backfill import backfill_hook
from hub.odoo.client import OdooClient, OdooError
from hub.odoo.poller import PollResult, poll_hook

logger = logging.getLogger(__name__)


def _run_hook(
    hook: ModelHook, client: OdooClient, *, backfill: bool, force_reconcile: bool
) -> PollResult:
    def report(result: PollResult) -> str:
        return with_drift(hook, client, result.summary())

    try:
        if backfill:
            result = backfill_hook(hook=hook, client=client)
        else:  # the poll stores its report when it frees the hook's lease
            result = poll_hook(
                hook=hook, client=client, force_reconcile=force_reconcile, report=report
            )
    except OdooError as exc:
        state.record_hook_result(hook, error=state.describe_error(exc))
        drift.forget_fields(hook.connection_id, hook.model)  # the model may have changed
        raise
    except state.LeaseLost:
        logger.warning("hook %s: lease lost mid-poll; the other worker continues", hook.pk)
        return PollResult(hook_id=hook.pk, busy=True)
    except Exception as exc:
        logger.exception("hook %s: poll failed", hook.pk)
        state.record_hook_result(hook, error=state.describe_error(exc))
        raise
    if backfill and not result.busy:
        state.record_hook_result(hook, result=report(result))
    return result


def with_drift(hook: ModelHook, client: OdooClient, summary: str) -> str:
    """The poll's summary plus the fields the hook names that Odoo no longer has (skipped by
    the poll; fields_get is cached by then, so this costs no call)."""
    problems = drift.hook_problems(hook, client)
    return f"{summary}; schema drift: {'; '.join(problems)}" if problems else summary


def poll_connection(
    *,
    connection_id: int,
    hook_ids: Iterable[int] | None = None,
    backfill: bool = False,
    force_reconcile: bool = False,
) -> list[PollResult]:
    """Poll (or backfill) the active hooks of one connection with one client and one login."""
    query = ModelHook.objects.filter(connection_id=connection_id).select_related("connection")
    hooks = list(
        query.filter(pk__in=list(hook_ids)) if hook_ids is not None else query.filter(active=True)
    )
    # One query: the connection comes with its hooks (on its own only when it has none).
    conn = hooks[0].connection if hooks else OdooConnection.objects.get(pk=connection_id)
    for hook in hooks:
        hook.connection = conn  # one instance: what a hook's poll learns, the others see
    results: list[PollResult] = []
    client = OdooClient.for_connection(conn)
    try:
        if not conn.version or conn.uid is None:
            state.identify(conn, client)
        for hook in hooks:
            try:
                results.append(
                    _run_hook(hook, client, backfill=backfill, force_reconcile=force_reconcile)
                )
            except OdooError as exc:
                if state.is_connection_error(exc):
                    raise
                logger.warning("hook %s: %s", hook.pk, state.describe_error(exc))
            except Exception:  # noqa: S112 - logged with its traceback in _run_hook
                continue
    except OdooError as exc:
        state.record_connection_failure(conn, exc)
        return results
    finally:
        client.close()
    state.record_connection_success(conn, uid=client.uid, transport=client.chosen_transport)
    return results


def poll_hooks(*, hook_ids: Iterable[int], backfill: bool = False) -> list[PollResult]:
    """Admin/API "Poll now" and "Backfill" on hooks (grouped by connection; reconcile forced)."""
    by_connection: dict[int, list[int]] = {}
    for hook_id, conn_id in ModelHook.objects.filter(pk__in=list(hook_ids)).values_list(
        "pk", "connection_id"
    ):
        by_connection.setdefault(conn_id, []).append(hook_id)
    results: list[PollResult] = []
    for conn_id, ids in by_connection.items():
        results += poll_connection(
            connection_id=conn_id, hook_ids=ids, backfill=backfill, force_reconcile=not backfill
        )
    return results


def claim_due_connections(
    *,
    now: datetime | None = None,
    names: Iterable[str] | None = None,
    slack: timedelta = timedelta(0),
) -> list[int]:
    """Active connections whose poll is due (within `slack`), each claimed by one conditional
    update, so two dispatchers (or a dispatcher and `poll_odoo`) never both take the same one."""
    now = now or timezone.now()
    due = OdooConnection.objects.filter(active=True).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now + slack)
    )
    if names is not None:
        due = due.filter(name__in=list(names))
    claimed = []
    for pk, next_at, interval in due.values_list("pk", "next_poll_at", "poll_interval"):
        until = now + timedelta(seconds=max(interval, 1))
        if OdooConnection.objects.filter(pk=pk, next_poll_at=next_at).update(next_poll_at=until):
            claimed.append(pk)
    return claimed
