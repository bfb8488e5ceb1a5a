"""Backfill: emit `create` for every existing record matching a hook, in throttled batches.

Batches are keyed on id (not offsets), each committed with its snapshots under the hook's
lease, with a pause between batches so a large backfill does not flood the delivery queue.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from hub.events import NewEvent, record_events
from hub.models import ModelHook
from hub.odoo import state
from hub.odoo.client import OdooClient
from hub.odoo.poller import (
    ACTIVE_TEST_OFF,
    Decision,
    PollResult,
    Snap,
    batch_size,
    event_for,
    plan_for,
    resolve,
    save_snaps,
)
from rules.domain import parse_domain


def pause_seconds() -> float:
    return float(settings.HUB_ODOO_BACKFILL_PAUSE)


def backfill_hook(*, hook: ModelHook, client: OdooClient) -> PollResult:
    result = PollResult(hook_id=hook.pk)
    token = state.acquire(hook.pk)
    if token is None:
        result.busy = True
        return result
    try:
        plan = plan_for(hook, client)
        domain = list(parse_domain(hook.domain))
        pages = client.search_read_pages(
            hook.model, domain, plan.fields, batch_size=batch_size(), context=ACTIVE_TEST_OFF
        )
        for index, rows in enumerate(pages):
            if index:
                time.sleep(pause_seconds())
            resolve(client, hook, plan, rows)
            events: list[NewEvent] = [event_for(hook, r, Decision(code="create")) for r in rows]
            stored = {r["id"]: Snap(r.get("write_date") or "", r) for r in rows}
            with transaction.atomic():
                token = state.renew(hook.pk, token)
                record_events(events)
                save_snaps(hook, stored)
            result.seen += len(rows)
            result.events["create"] = result.events.get("create", 0) + len(rows)
        if not hook.baseline_done:
            # Everything is now known: the next poll must not take a second baseline.
            ModelHook.objects.filter(pk=hook.pk).update(baseline_done=True)
            hook.baseline_done = True
    finally:
        state.release(hook.pk, token)
    return result
